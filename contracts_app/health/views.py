from flask import Blueprint, jsonify
from sqlalchemy import text

from models import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """Liveness plus a trivial database round trip, for load balancers; needs no sign-in."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
