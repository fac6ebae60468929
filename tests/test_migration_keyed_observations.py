"""The keyed-observations migration (issue 13) on a database holding committed rows: the rows survive, (upload, row
key) becomes the primary key, a row of another month is still refused (a per-statement check on PostgreSQL),
deleting an upload still takes its rows, and the downgrade brings back the `id` column and the declared key."""
from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from contracts_app import create_app
from models import db
from tests.migration_support import BACKENDS, empty_database
from tests.test_migration_observations_lean import ROWS, db_json, insert_observation

SCHEMA = "migration_check_keyed"
BEFORE, AFTER = "pgstore_observations_lean", "keyed_observations"
STORED = [("WO-1", 2, {"pci_after": 91.25, "on_time": True}, {"street": "Maple\tAve ü"}),
          ("WO-2", 3, {"pci_after": None}, {})]


@pytest.fixture(params=BACKENDS)
def old_database(request, tmp_path):
    yield from empty_database(request.param, tmp_path, SCHEMA)


def stored_rows() -> list[tuple]:
    query = 'SELECT row_key, row_number, "values", context FROM observations ORDER BY row_key'
    with db.engine.connect() as connection:
        rows = connection.execute(text(query)).all()
    return [(key, number, db_json(values), db_json(context)) for key, number, values, context in rows]


def test_rows_survive_keyed_by_upload_and_row_key_and_the_upload_rule_holds(old_database):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": old_database})
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement))
        upgrade(revision=AFTER)
        assert stored_rows() == STORED
        columns = {c["name"] for c in inspect(db.engine).get_columns("observations")}
        assert "id" not in columns
        assert inspect(db.engine).get_pk_constraint("observations")["constrained_columns"] == ["upload_id", "row_key"]
        for contract_id, period in ((2, "2026-03"), (1, "2026-04")):  # another contract's, another month's
            with pytest.raises(IntegrityError):
                insert_observation(contract_id, period)
        insert_observation(1, "2026-03")
        with pytest.raises(IntegrityError):  # WO-9 again in the same upload
            insert_observation(1, "2026-03")

        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            ids = connection.execute(text("SELECT id FROM observations ORDER BY id")).scalars().all()
        assert len(ids) == len(set(ids)) == 3 and None not in ids
        assert stored_rows()[:2] == STORED
        with pytest.raises(IntegrityError):  # the declared foreign key is back
            insert_observation(1, "2026-04")

        upgrade(revision=AFTER)
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM uploads WHERE id = 1"))
        assert stored_rows() == []
        db.session.remove()
        db.engine.dispose()
