"""The database itself refuses what must never be stored, whatever code path tries."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from models import AuditTrailIsAppendOnly, UploadStatus, db

from .factories import AuditEventFactory, ContractFactory, OutcomeClauseFactory, UploadFactory


def test_duplicate_contract_number_is_refused(session):
    ContractFactory(number="PW-2026-014")
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            ContractFactory(number="PW-2026-014")


def test_second_committed_upload_for_a_period_is_refused(session):
    first = UploadFactory(period="2026-03", status=UploadStatus.COMMITTED)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            UploadFactory(contract=first.contract, period="2026-03", status=UploadStatus.COMMITTED)


def test_superseded_and_staged_uploads_may_share_a_period(session):
    first = UploadFactory(period="2026-03", status=UploadStatus.SUPERSEDED)
    UploadFactory(contract=first.contract, period="2026-03", status=UploadStatus.STAGED)
    UploadFactory(contract=first.contract, period="2026-03", status=UploadStatus.COMMITTED)
    statuses = db.session.scalars(
        text("SELECT status FROM uploads WHERE contract_id = :id ORDER BY id"), {"id": first.contract_id}
    ).all()
    assert statuses == ["superseded", "staged", "committed"]


@pytest.mark.parametrize(
    "field, value",
    [("weight", 101), ("weight", -1), ("cap", 0), ("effective_from", "2026-13"), ("effective_from", "2026-0x")],
)
def test_clause_checks_live_in_the_database(session, field, value):
    clause = OutcomeClauseFactory()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(
                text(f"UPDATE outcome_clauses SET {field} = :v WHERE id = :id"), {"v": value, "id": clause.id}
            )


def test_unknown_enum_value_is_refused_by_the_database(session):
    clause = OutcomeClauseFactory()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(text("UPDATE outcome_clauses SET aggregation = 'average' WHERE id = :id"), {"id": clause.id})


def test_enum_outside_the_list_is_refused_before_sql(session):
    with pytest.raises(StatementError):
        with session.begin_nested():
            session.execute(text("SELECT 1"))
            OutcomeClauseFactory(direction="sideways")


def test_contract_end_before_start_is_refused(session):
    contract = ContractFactory()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(text("UPDATE contracts SET end_date = '2025-01-01' WHERE id = :id"), {"id": contract.id})


def test_audit_events_cannot_be_updated_or_deleted_through_the_orm(session):
    event = AuditEventFactory(summary="original")
    event.summary = "rewritten"
    with pytest.raises(AuditTrailIsAppendOnly):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET summary = 'x'", "DELETE FROM audit_events"])
def test_audit_events_cannot_be_changed_in_sql(session, statement):
    event = AuditEventFactory(summary="kept")
    with pytest.raises(Exception, match="append-only"):
        with session.begin_nested():
            session.execute(text(statement))
    assert session.scalar(text("SELECT summary FROM audit_events WHERE id = :id"), {"id": event.id}) == "kept"


@pytest.mark.parametrize("whose", ["another contract", "another month"])
def test_an_observation_must_carry_its_uploads_contract_and_month(session, whose):
    """One foreign key (upload, contract, period): drill-down and history read a row by its upload's contract."""
    upload = UploadFactory(period="2026-03", status=UploadStatus.COMMITTED)
    contract_id = ContractFactory().id if whose == "another contract" else upload.contract_id
    period = "2026-04" if whose == "another month" else upload.period
    statement = text('INSERT INTO observations (upload_id, contract_id, period, row_number, row_key, "values", context) '
                     "VALUES (:upload, :contract, :period, 2, 'WO-1', '{}', '{}')")
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(statement, {"upload": upload.id, "contract": contract_id, "period": period})
    session.execute(statement, {"upload": upload.id, "contract": upload.contract_id, "period": upload.period})
    assert session.scalar(text("SELECT count(*) FROM observations WHERE upload_id = :u"), {"u": upload.id}) == 1


FOREIGN_KEY_REFUSED = "fk_observations_upload|FOREIGN KEY constraint failed"  # PostgreSQL names it, SQLite does not
INSERT_ROW = text('INSERT INTO observations (upload_id, contract_id, period, row_number, row_key, "values", context) '
                  "VALUES (:upload, :contract, :period, :row, :key, '{}', '{}')")


def _rows_of(session, upload) -> int:
    return session.scalar(text("SELECT count(*) FROM observations WHERE upload_id = :u"), {"u": upload.id})


def test_one_bad_row_among_many_refuses_the_whole_statement(session):
    """On PostgreSQL the upload rule is checked once per statement (migration keyed_observations): a statement
    storing many rows with one row of another month stores none of them, as the per-row foreign key did."""
    upload = UploadFactory(period="2026-03", status=UploadStatus.COMMITTED)
    good = {"upload": upload.id, "contract": upload.contract_id, "period": upload.period}
    rows = [dict(good, row=n, key=f"WO-{n}") for n in range(2, 50)] + [dict(good, row=50, key="WO-50", period="2026-04")]
    with pytest.raises(IntegrityError, match=FOREIGN_KEY_REFUSED):
        with session.begin_nested():
            session.execute(INSERT_ROW, rows)
    assert _rows_of(session, upload) == 0
    with pytest.raises(IntegrityError, match=FOREIGN_KEY_REFUSED):  # moving stored rows to another month
        with session.begin_nested():
            session.execute(INSERT_ROW, rows[:3])
            session.execute(text("UPDATE observations SET period = '2026-04' WHERE upload_id = :u"), {"u": upload.id})
    assert _rows_of(session, upload) == 0


def test_a_row_key_is_stored_once_per_upload(session):
    upload = UploadFactory(period="2026-03", status=UploadStatus.COMMITTED)
    row = {"upload": upload.id, "contract": upload.contract_id, "period": upload.period, "row": 2, "key": "WO-1"}
    session.execute(INSERT_ROW, row)
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.execute(INSERT_ROW, dict(row, row=3))
    assert _rows_of(session, upload) == 1


def test_deleting_an_upload_deletes_its_rows_and_its_key_cannot_move_under_them(session):
    upload, other = (UploadFactory(period="2026-03", status=UploadStatus.COMMITTED) for _ in range(2))
    for each in (upload, other):
        session.execute(INSERT_ROW, [{"upload": each.id, "contract": each.contract_id, "period": each.period,
                                      "row": n, "key": f"WO-{n}"} for n in (2, 3)])
    with pytest.raises(IntegrityError, match=FOREIGN_KEY_REFUSED):
        with session.begin_nested():
            session.execute(text("UPDATE uploads SET period = '2026-05' WHERE id = :u"), {"u": upload.id})
    session.execute(text("UPDATE uploads SET filename = 'renamed.xlsx' WHERE id = :u"), {"u": upload.id})
    session.execute(text("DELETE FROM uploads WHERE id = :u"), {"u": upload.id})
    assert _rows_of(session, upload) == 0
    assert _rows_of(session, other) == 2


@pytest.mark.parametrize("statement", ["TRUNCATE uploads CASCADE", "TRUNCATE uploads, observations CASCADE"])
def test_truncating_uploads_takes_their_rows_on_postgresql(session, statement):
    """SQLite has no TRUNCATE; on PostgreSQL the rows go with their uploads, named in the command or not."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    upload = UploadFactory(period="2026-03", status=UploadStatus.COMMITTED)
    session.execute(INSERT_ROW, {"upload": upload.id, "contract": upload.contract_id, "period": upload.period,
                                 "row": 2, "key": "WO-1"})
    session.execute(text(statement))
    assert session.scalar(text("SELECT count(*) FROM observations")) == 0
