"""/healthz says the process is alive without touching the database; /readyz says whether this process
can serve: database reachable and migrated to head, job queue answering; else 503 naming what is not."""
from __future__ import annotations

import socket

from flask_migrate import upgrade

from contracts_app import create_app
from models import db
from tests.jobs_support import redis_url


def _app_on(tmp_path, database_url: str, **overrides):
    return create_app({"SECRET_KEY": "health-test", "SQLALCHEMY_DATABASE_URI": database_url,
                       "JOBS_REDIS_URL": "", "JOBS_SQLITE_PATH": str(tmp_path / "queue.sqlite3"), **overrides})


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_migrated_database_and_a_working_queue_are_ready(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "migrations": "ok", "queue": "ok"}}


def test_an_unmigrated_database_is_alive_but_not_ready(tmp_path):
    app = _app_on(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    client = app.test_client()

    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert set(body["not_ready"]) == {"migrations"}
    assert "never migrated" in body["not_ready"]["migrations"]
    assert "init-db" in body["not_ready"]["migrations"]


def test_a_database_migrated_then_upgraded_again_becomes_ready(tmp_path):
    app = _app_on(tmp_path, f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    client = app.test_client()
    assert client.get("/readyz").status_code == 503
    with app.app_context():
        upgrade()
        db.engine.dispose()

    assert client.get("/readyz").status_code == 200


def test_an_unreachable_database_is_alive_but_not_ready(tmp_path):
    app = _app_on(tmp_path, f"sqlite:///{tmp_path / 'no-such-folder' / 'outcomes.sqlite3'}")
    client = app.test_client()

    health = client.get("/healthz")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    not_ready = response.get_json()["not_ready"]
    assert "database does not answer" in not_ready["database"]
    assert "unreachable" in not_ready["migrations"]


def test_an_unreachable_redis_queue_is_not_ready_and_named(tmp_path):
    database = f"sqlite:///{tmp_path / 'outcomes.sqlite3'}"
    port = _unused_port()
    app = _app_on(tmp_path, database, JOBS_REDIS_URL=f"redis://:secret@127.0.0.1:{port}/0")
    with app.app_context():
        upgrade()
        db.engine.dispose()

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    not_ready = response.get_json()["not_ready"]
    assert set(not_ready) == {"queue"}
    assert f"127.0.0.1:{port}" in not_ready["queue"] and "does not answer" in not_ready["queue"]
    assert "secret" not in not_ready["queue"], "the Redis password is never shown"


def test_a_reachable_redis_queue_is_ready(tmp_path):
    database = f"sqlite:///{tmp_path / 'outcomes.sqlite3'}"
    app = _app_on(tmp_path, database, JOBS_REDIS_URL=redis_url(11))
    with app.app_context():
        upgrade()
        db.engine.dispose()

    response = app.test_client().get("/readyz")

    assert response.status_code == 200, response.get_json()
