"""The review-window migration on a database that already holds committed sheets: each gets a window of 14 days
from its commit, categories get 14 review days, and the range of review days is checked by the database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from contracts_app import create_app
from models import ServiceCategory, Upload, db
from tests.migration_support import BACKENDS, empty_database

SCHEMA = "migration_check_disputes"
ROWS = [
    "INSERT INTO service_categories (id, slug, name, unit, row_key, date_column, context_columns, created_at) "
    "VALUES (1, 'asphalt', 'Asphalt resurfacing', 'lane-mile', 'work_order', 'date', '[]', '2026-01-01 00:00:00+00')",
    "INSERT INTO vendors (id, name, created_at) VALUES (1, 'Harbor Paving', '2026-01-01 00:00:00+00')",
    "INSERT INTO contracts (id, number, title, vendor_id, category_id, start_date, end_date, value, status, capacity, "
    "incentive_cap, penalty_cap, created_at) VALUES (1, 'PW-1', 'Resurfacing', 1, 1, '2026-01-01', '2027-12-31', "
    "10000000, 'active', 4000, 5, 10, '2026-01-01 00:00:00+00')",
    "INSERT INTO uploads (id, contract_id, period, filename, sha256, status, row_count, report, uploaded_at, "
    f"committed_at) VALUES (1, 1, '2026-03', 'march.xlsx', '{'a' * 64}', 'committed', 0, '{{}}', "
    "'2026-04-02 09:00:00+00', '2026-04-02 09:00:00+00'), "
    f"(2, 1, '2026-04', 'april.xlsx', '{'b' * 64}', 'staged', 0, '{{}}', '2026-05-02 09:00:00+00', NULL)",
]


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path):
    yield from empty_database(request.param, tmp_path, SCHEMA)


def test_committed_sheets_get_a_window_of_fourteen_days_from_their_commit(old_database):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": old_database})
    with app.app_context():
        upgrade(revision="a_data_version")
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        upgrade()  # to head: the models read every later column too
        committed_at = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
        assert db.session.get(Upload, 1).review_closes_at == committed_at + timedelta(days=14)
        assert db.session.get(Upload, 2).review_closes_at is None  # never committed: no window
        assert db.session.get(ServiceCategory, 1).review_days == 14
        db.session.rollback()
        with pytest.raises(Exception, match="(?i)check|constraint"):
            with db.engine.begin() as connection:
                connection.execute(text("UPDATE service_categories SET review_days = 0 WHERE id = 1"))
        db.session.remove()
        db.engine.dispose()
