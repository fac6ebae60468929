"""Readiness: what a load balancer asks before sending a process traffic (README "Deployment").

Each check answers None when ready, else one sentence saying what is not ready; nothing here raises.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from models import db

from ..jobs.queue import queue_of

QUEUE_TIMEOUT_SECONDS = 1.0
MIGRATIONS = str(Path(__file__).resolve().parent.parent.parent / "migrations")


def readiness() -> dict[str, str | None]:
    """The database (reachable, migrated to head) and the job queue, each None when ready."""
    database = database_problem()
    return {
        "database": database,
        "migrations": migrations_problem() if database is None else "not checked: the database is unreachable",
        "queue": queue_problem(),
    }


def database_problem() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means not ready
        db.session.rollback()
        return f"the database does not answer: {type(exc).__name__}"
    return None


def migrations_problem() -> str | None:
    """The revision stored in alembic_version against the heads of migrations/."""
    try:
        stored = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:
        db.session.rollback()
        stored = set()
    heads = migration_heads(MIGRATIONS)
    if stored == heads:
        return None
    at = ", ".join(sorted(stored)) or "no revision (never migrated)"
    return f"the database is at {at}, the code needs {', '.join(sorted(heads))}: run `flask --app wsgi init-db`"


@cache
def migration_heads(directory: str = MIGRATIONS) -> frozenset[str]:
    """Read once per process (gunicorn reads it before forking): the code cannot change under a running process."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def queue_problem() -> str | None:
    """Redis answers PING, or the SQLite queue file can be read."""
    config = current_app.config
    if config["JOBS_REDIS_URL"]:
        return _redis_problem(config["JOBS_REDIS_URL"])
    try:
        queue_of(current_app).storage.queue_size()
    except Exception as exc:
        return f"the SQLite job queue at {config['JOBS_SQLITE_PATH']} cannot be read: {type(exc).__name__}"
    return None


def _redis_problem(url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=QUEUE_TIMEOUT_SECONDS,
                                  socket_timeout=QUEUE_TIMEOUT_SECONDS)
    try:
        client.ping()
    except Exception as exc:  # connection refused, timeout, authentication...
        return f"the Redis job queue at {_without_password(url)} does not answer: {type(exc).__name__}"
    finally:
        client.close()
    return None


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "JOBS_REDIS_URL"
