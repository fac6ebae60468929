"""The audit trail is a hash chain: `verify-audit` notices an event changed or removed behind the app's back."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from contracts_app.audit import record_event
from models import AuditEvent, db


def _three_events(session) -> list[AuditEvent]:
    events = [record_event("test_event", summary=f"event {n}", after={"n": n, "amount": "12.50"}) for n in range(3)]
    session.commit()
    return events


def _bypass_triggers_as_superuser(session, statement: str, **params) -> None:
    """What someone with the database's superuser could do: switch the append-only triggers off, write, on."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_events_no_update"))
        session.execute(text("DROP TRIGGER audit_events_no_delete"))
        session.execute(text(statement), params)
    else:
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        session.execute(text(statement), params)
        session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
    session.commit()  # kept until the test's outer transaction is rolled back


def test_each_event_carries_the_hash_of_the_one_before(session):
    first, second, third = _three_events(session)
    assert len(first.hash) == len(second.hash) == 64
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3


def test_verify_audit_reports_an_intact_trail(cli, session):
    _three_events(session)
    total = session.scalar(select(db.func.count()).select_from(AuditEvent))
    result = cli.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert f"Audit trail intact: {total} events" in result.output


def test_an_event_rewritten_in_sql_is_named_by_verify_audit(cli, session):
    _first, second, _third = _three_events(session)
    _bypass_triggers_as_superuser(session, "UPDATE audit_events SET summary = 'nothing happened' WHERE id = :id",
                                  id=second.id)
    result = cli.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"event #{second.id} does not fit" in result.output
    assert "content does not match its hash" in result.output


def test_an_event_removed_in_sql_breaks_the_chain_at_the_next_one(cli, session):
    _first, second, third = _three_events(session)
    _bypass_triggers_as_superuser(session, "DELETE FROM audit_events WHERE id = :id", id=second.id)
    result = cli.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"event #{third.id} does not fit" in result.output
    assert "prev_hash does not match" in result.output


def test_a_rewritten_event_with_a_recomputed_hash_still_breaks_the_next_link(cli, session):
    """Recomputing the changed event's own hash is not enough: the next event still points at the old one."""
    from models.audit import content_of, event_hash

    _first, second, third = _three_events(session)
    forged = {**content_of(second), "summary": "nothing happened"}
    _bypass_triggers_as_superuser(
        session, "UPDATE audit_events SET summary = :summary, hash = :hash WHERE id = :id",
        summary="nothing happened", hash=event_hash(forged), id=second.id,
    )
    result = cli.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"event #{third.id} does not fit" in result.output


def test_truncate_of_the_audit_trail_is_refused_on_postgresql(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE trigger refuses DELETE FROM audit_events")
    _three_events(session)
    with pytest.raises(DBAPIError, match="append-only"):
        with session.begin_nested():
            session.execute(text("TRUNCATE audit_events CASCADE"))
    assert session.scalar(select(db.func.count()).select_from(AuditEvent)) >= 3
