"""The migrations to exact money and one approved allocation convert a database that already holds data."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from contracts_app import create_app
from models import Contract, ContractPeriodScore, Recommendation, RecommendationLine, db
from tests.migration_support import BACKENDS, empty_database

SCHEMA = "migration_check_d"


ROWS_AT_0002 = [
    "INSERT INTO service_categories (id, slug, name, unit, row_key, date_column, context_columns, created_at) "
    "VALUES (1, 'asphalt', 'Asphalt resurfacing', 'lane-mile', 'work_order', 'date', '[]', '2026-01-01 00:00:00+00')",
    "INSERT INTO vendors (id, name, created_at) VALUES (1, 'Harbor Paving', '2026-01-01 00:00:00+00')",
    "INSERT INTO contracts (id, number, title, vendor_id, category_id, start_date, end_date, value, status, capacity, "
    "incentive_cap, penalty_cap, created_at) VALUES (1, 'PW-1', 'Resurfacing', 1, 1, '2026-01-01', '2027-12-31', "
    "43749999999.99, 'active', 40.5, 5, 10, '2026-01-01 00:00:00+00')",
    "INSERT INTO contract_period_scores (id, contract_id, period, coverage, observations, invoice_amount, bonus, "
    "penalty, net, computed_at) VALUES (1, 1, '2026-03', 1, 2, 182500.00, 1817.335, 0.004, 1817.331, "
    "'2026-04-01 00:00:00+00')",
    "INSERT INTO recommendations (id, category_id, target_period, volume, window_months, floor_share, gamma, "
    "probation_threshold, unallocated, floor_dropped, inputs, status, created_at, approved_at) VALUES "
    "(1, 1, '2026-11', 1000.25, 6, 0.1, 2, 50, 0.01, false, '{}', 'approved', '2026-09-01 00:00:00+00', "
    "'2026-10-01 00:00:00+00'), "
    "(2, 1, '2026-11', 900.00, 6, 0.1, 2, 50, 0, false, '{}', 'approved', '2026-09-01 00:00:00+00', '2026-10-02 00:00:00+00')",
    "INSERT INTO recommendation_lines (id, recommendation_id, vendor_id, insufficient_data, probation, share_before, "
    "share, volume, capacity, reason) VALUES (1, 1, 1, false, false, 1, 1, 1000.25, 0.03, '')",
]


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path):
    yield from empty_database(request.param, tmp_path, SCHEMA)


def test_existing_amounts_become_exact_cents_and_only_the_latest_approval_stands(old_database):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": old_database})
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as connection:
            for statement in ROWS_AT_0002:
                connection.execute(text(statement))
        upgrade()  # through exact money and one approved allocation, to the head the models describe

        contract = db.session.get(Contract, 1)
        assert (contract.value, contract.capacity) == (D("43749999999.99"), D("40.50"))
        score = db.session.get(ContractPeriodScore, 1)
        # bonus 1,817.335 paid as 1,817.34, penalty 0.004 as 0.00; net recomputed from the rounded amounts
        assert (score.invoice_amount, score.bonus, score.penalty, score.net) == (
            D("182500.00"), D("1817.34"), D("0.00"), D("1817.34"))
        first, second = db.session.get(Recommendation, 1), db.session.get(Recommendation, 2)
        assert (first.volume, first.unallocated, second.volume) == (D("1000.25"), D("0.01"), D("900.00"))
        assert (first.status.value, first.approved_at, second.status.value) == ("draft", None, "approved")
        line = db.session.get(RecommendationLine, 1)
        assert (line.volume, line.capacity) == (D("1000.25"), D("0.03"))
        # The constraints survived the table rebuild (SQLite batch mode).
        db.session.rollback()  # ends the session's transaction (on SQLite it holds the write lock)
        with pytest.raises(Exception, match="(?i)check|constraint"):
            with db.engine.begin() as connection:
                connection.execute(text("UPDATE contracts SET value = -1 WHERE id = 1"))
        db.session.remove()
        db.engine.dispose()
