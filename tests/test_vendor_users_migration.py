"""The migration that makes every vendor user belong to a vendor (and city staff to none) fits existing data."""
from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from contracts_app import create_app
from models import db

INSERT_USER = ("INSERT INTO users (email, name, role, password_hash, is_enabled, created_at, vendor_id, "
               "session_version, must_change_password) VALUES (:email, '', :role, 'x', 1, '2026-01-01 00:00:00', "
               ":vendor_id, 1, 0)")


def _app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migration.sqlite3'}"})


def _before_the_check(vendor_user_vendor: int | None) -> None:
    upgrade(revision="a_data_version")
    db.session.execute(text("INSERT INTO vendors (id, name, created_at) VALUES (7, 'Harbor Paving Co', '2026-01-01 00:00:00')"))
    db.session.execute(text(INSERT_USER), {"email": "staff@city.example", "role": "finance", "vendor_id": 7})
    db.session.execute(text(INSERT_USER), {"email": "sam@harbor.example", "role": "vendor",
                                           "vendor_id": vendor_user_vendor})
    db.session.commit()


def test_city_staff_lose_a_stray_vendor_and_vendor_users_keep_theirs(tmp_path):
    with _app(tmp_path).app_context():
        _before_the_check(vendor_user_vendor=7)
        upgrade()
        rows = dict(db.session.execute(text("SELECT email, vendor_id FROM users")).tuples().all())
        assert rows == {"staff@city.example": None, "sam@harbor.example": 7}


def test_a_vendor_user_without_a_vendor_stops_the_upgrade_with_what_to_do(tmp_path, capfd):
    with _app(tmp_path).app_context():
        _before_the_check(vendor_user_vendor=None)
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
            upgrade()
        assert "1 vendor user(s) have no vendor: give each its vendor" in capfd.readouterr().err
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "a_data_version"
