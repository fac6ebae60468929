"""The hash-chain migration back-fills the events already stored and keeps the trail append-only."""
from __future__ import annotations

import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from contracts_app import create_app
from contracts_app.audit import verify_chain
from contracts_app.config import normalise_database_url
from models import db

OLD_EVENTS = [
    ("2025-11-03 09:15:00.123456+00:00", "sign_in", "a@city.example", None, None),
    ("2025-11-03 09:16:00+00:00", "contract_updated", "a@city.example", '{"value": "2400000.00", "n": 1.0}',
     '{"value": "2500000.00", "nested": {"b": [1, 2.5], "a": "é"}}'),
    ("2025-11-04 10:00:00+00:00", "sign_out", "a@city.example", None, None),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.sqlite3'}"
        return
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    admin_url = make_url(normalise_database_url(os.environ["TEST_DATABASE_URL"]))
    name = f"{admin_url.database}_chain_migration"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def test_events_stored_before_the_chain_are_chained_in_id_order(empty_database_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url,
                      "UPLOAD_FOLDER": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0002")
        for occurred_at, action, actor, before, after in OLD_EVENTS:
            db.session.execute(
                text("INSERT INTO audit_events (occurred_at, actor, action, summary, before, after) "
                     "VALUES (:t, :actor, :action, '', :before, :after)"),
                {"t": occurred_at, "actor": actor, "action": action, "before": before, "after": after},
            )
        db.session.commit()
        upgrade()
        report = verify_chain()
        assert report.intact, report
        assert report.events_checked == 3
        hashes = db.session.execute(text("SELECT prev_hash, hash FROM audit_events ORDER BY id")).all()
        assert hashes[0].prev_hash is None
        assert hashes[1].prev_hash == hashes[0].hash and hashes[2].prev_hash == hashes[1].hash
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("UPDATE audit_events SET summary = 'x'"))
        db.session.rollback()
        downgrade(revision="0002")
        upgrade()
        assert verify_chain().intact
        db.session.remove()
        db.engine.dispose()
