"""The two-role PostgreSQL deployment (README "Database roles"): the app works, tampering with the trail fails.

Also: concurrent writers never fork the hash chain, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from contracts_app import create_app
from contracts_app.audit import record_event, verify_chain
from contracts_app.config import normalise_database_url
from models import AuditEvent, User, db
from tests.factories import TEST_TOTP_SECRET

from .conftest import FreshContextClient

ROLES_SQL = Path(__file__).resolve().parent.parent / "deploy" / "postgres-roles.sql"
OWNER, RUNTIME = "outcomes_owner", "outcomes_app"
PASSWORDS = {OWNER: "owner-test-password", RUNTIME: "app-test-password"}


def _app_for(url: str, tmp_path: Path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production", "SQLALCHEMY_DATABASE_URI": url,
        "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False, "UPLOAD_FOLDER": str(tmp_path),
    })
    app.test_client_class = FreshContextClient
    return app


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def two_role_database():
    """A database owned by outcomes_owner, with outcomes_app as a plain login role; dropped afterwards."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    admin_url = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"{admin_url.database}_roles"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
            pytest.skip("creating roles needs a superuser on TEST_DATABASE_URL")
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        for role, password in PASSWORDS.items():
            exists = connection.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            verb = "ALTER" if exists else "CREATE"
            connection.execute(text(f"{verb} ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                    f"PASSWORD '{password}'"))
        connection.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER}'))
    urls = {role: admin_url.set(username=role, password=PASSWORDS[role], database=name)
            .render_as_string(hide_password=False) for role in PASSWORDS}
    yield urls
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="module")
def deployed(two_role_database, tmp_path_factory):
    """The owner runs init-db and the grants script; the app then runs as the runtime role."""
    owner_app = _app_for(two_role_database[OWNER], tmp_path_factory.mktemp("owner"))
    result = owner_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with owner_app.app_context():
        db.engine.dispose()
    with psycopg.connect(_libpq(two_role_database[OWNER]), autocommit=True) as connection:
        connection.execute(ROLES_SQL.read_text())
    runtime_app = _app_for(two_role_database[RUNTIME], tmp_path_factory.mktemp("runtime"))
    yield runtime_app
    with runtime_app.app_context():
        db.engine.dispose()


def test_the_app_works_as_the_runtime_role_and_its_changes_are_audited(deployed):
    runner = deployed.test_cli_runner()
    created = runner.invoke(args=["create-user", "clerk@city.example", "--role", "admin", "--password-stdin"],
                            input="a long enough password 123\n")
    assert created.exit_code == 0, created.output
    with deployed.app_context():  # an admin signs in with a second factor: enrol the new one
        clerk = db.session.scalars(select(User).where(User.email == "clerk@city.example")).one()
        clerk.totp_secret = TEST_TOTP_SECRET
        db.session.commit()
    client = deployed.test_client()
    response = client.sign_in("clerk@city.example", "a long enough password 123", totp_secret=TEST_TOTP_SECRET)
    assert response.status_code == 302
    assert client.get("/admin/audit").status_code == 200
    with deployed.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert "sign_in" in actions
        assert len(actions) >= 2
    verified = runner.invoke(args=["verify-audit"])
    assert verified.exit_code == 0, verified.output
    assert f"Audit trail intact: {len(actions)} events" in verified.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET summary = 'nothing happened'",
    "DELETE FROM audit_events",
    "TRUNCATE audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
    "SET session_replication_role = replica",
    "DROP TABLE audit_events CASCADE",
    "UPDATE alembic_version SET version_num = 'x'",
])
def test_the_runtime_role_cannot_tamper_with_the_audit_trail(deployed, two_role_database, statement):
    with deployed.app_context():
        record_event("test_event", summary="must stay")
        db.session.commit()
    with psycopg.connect(_libpq(two_role_database[RUNTIME])) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute(statement)
    with deployed.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.summary == "must stay")) >= 1
        assert verify_chain().intact


def _write_concurrently(app, writers: int = 4, each: int = 15) -> None:
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(each):
                    record_event("test_event", summary=f"writer {n} event {i}")
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_concurrent_writers_keep_one_chain_on_postgresql(deployed):
    with deployed.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    _write_concurrently(deployed)
    with deployed.app_context():
        report = verify_chain()
        assert report.intact, report
        assert report.events_checked == before + 60


def test_concurrent_writers_keep_one_chain_on_sqlite(tmp_path):
    app = _app_for(f"sqlite:///{tmp_path / 'chain.sqlite3'}", tmp_path)
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    _write_concurrently(app)
    with app.app_context():
        report = verify_chain()
        assert report.intact, report
        assert report.events_checked == 60
        db.engine.dispose()
