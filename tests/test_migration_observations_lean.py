"""The lean-observations migration (issue 13) on a database holding committed rows: values and context survive
the move from JSONB to json and back, the one composite foreign key refuses a row whose contract or period is not
its upload's, and the downgrade brings back the two plain foreign keys and the contract-side indexes."""
from __future__ import annotations

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from contracts_app import create_app
from models import db
from tests.migration_support import BACKENDS, empty_database

SCHEMA = "migration_check_pgstore"
BEFORE, AFTER = "due_sheet_days", "pgstore_observations_lean"
ROWS = [
    "INSERT INTO service_categories (id, slug, name, unit, row_key, date_column, context_columns, created_at) "
    "VALUES (1, 'asphalt', 'Asphalt resurfacing', 'lane-mile', 'work_order', 'date', '[]', '2026-01-01 00:00:00+00')",
    "INSERT INTO vendors (id, name, created_at) VALUES (1, 'Harbor Paving', '2026-01-01 00:00:00+00')",
    "INSERT INTO contracts (id, number, title, vendor_id, category_id, start_date, end_date, value, status, capacity, "
    "incentive_cap, penalty_cap, created_at) VALUES (1, 'PW-1', 'Resurfacing', 1, 1, '2026-01-01', '2027-12-31', "
    "10000000, 'active', 4000, 5, 10, '2026-01-01 00:00:00+00'), (2, 'PW-2', 'Potholes', 1, 1, '2026-01-01', "
    "'2027-12-31', 10000000, 'active', 4000, 5, 10, '2026-01-01 00:00:00+00')",
    "INSERT INTO uploads (id, contract_id, period, filename, sha256, status, row_count, report, uploaded_at, "
    f"committed_at) VALUES (1, 1, '2026-03', 'march.xlsx', '{'a' * 64}', 'committed', 2, '{{}}', "
    "'2026-04-02 09:00:00+00', '2026-04-02 09:00:00+00')",
    "INSERT INTO observations (id, upload_id, contract_id, period, row_number, row_key, work_date, \"values\", context) "
    "VALUES (1, 1, 1, '2026-03', 2, 'WO-1', '2026-03-05', '{\"pci_after\": 91.25, \"on_time\": true}', "
    "'{\"street\": \"Maple\\tAve ü\"}'), (2, 1, 1, '2026-03', 3, 'WO-2', NULL, '{\"pci_after\": null}', '{}')",
]
STORED = [(1, "WO-1", {"pci_after": 91.25, "on_time": True}, {"street": "Maple\tAve ü"}),
          (2, "WO-2", {"pci_after": None}, {})]


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path):
    yield from empty_database(request.param, tmp_path, SCHEMA)


def stored_rows() -> list[tuple]:
    query = 'SELECT id, row_key, "values", context FROM observations ORDER BY id'
    with db.engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    return [(id_, key, *(db_json(value) for value in (values, context))) for id_, key, values, context in rows]


def db_json(value):
    return json.loads(value) if isinstance(value, str) else value


def insert_observation(contract_id: int, period: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO observations (upload_id, contract_id, period, row_number, row_key, \"values\", context) "
            f"VALUES (1, {contract_id}, '{period}', 9, 'WO-9', '{{}}', '{{}}')"))


def observation_indexes() -> set[str]:
    return {index["name"] for index in inspect(db.engine).get_indexes("observations")}


def test_rows_survive_and_the_foreign_key_ties_each_row_to_its_upload(old_database):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": old_database})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        upgrade(revision=AFTER)
        assert stored_rows() == STORED
        assert not observation_indexes() & {"ix_observations_contract_period", "ix_observations_contract_row_key"}
        if db.engine.dialect.name == "postgresql":
            types = {c["name"]: str(c["type"]) for c in inspect(db.engine).get_columns("observations")}
            assert types["values"] == types["context"] == "JSON"
        for contract_id, period in ((2, "2026-03"), (1, "2026-04")):  # another contract's, another month's
            with pytest.raises(IntegrityError):
                insert_observation(contract_id, period)
        insert_observation(1, "2026-03")

        downgrade(revision=BEFORE)
        assert stored_rows()[:2] == STORED
        assert {"ix_observations_contract_period", "ix_observations_contract_row_key"} <= observation_indexes()
        if db.engine.dialect.name == "postgresql":
            types = {c["name"]: str(c["type"]) for c in inspect(db.engine).get_columns("observations")}
            assert types["values"] == types["context"] == "JSONB"
        db.session.remove()
        db.engine.dispose()
