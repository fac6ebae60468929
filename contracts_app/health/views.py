"""Liveness (/healthz) and readiness (/readyz) for the process manager and the load balancer; no sign-in."""
from flask import Blueprint, jsonify

from .services import readiness

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """The process is alive and answering; touches no database, so a database outage restarts nothing."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """200 when the database is reachable and migrated to head and the job queue answers; else 503 naming
    each part that is not ready, so the load balancer sends this process no traffic until it is."""
    checks = readiness()
    not_ready = {name: problem for name, problem in checks.items() if problem}
    if not_ready:
        return jsonify(status="not ready", not_ready=not_ready), 503
    return jsonify(status="ready", checks={name: "ok" for name in checks})
