"""The append-only audit trail: who changed what, when (UTC), before and after, hash-chained.

Each event carries the hash of the event before it (prev_hash) and a SHA-256 over its own content
including that prev_hash, so rewriting or removing an event breaks the chain `verify-audit` checks.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, event, text
from sqlalchemy.orm import Mapped, Session, attributes, mapped_column

from .base import Model, utcnow
from .types import JSONType, UTCDateTime

# Any constant bigint: the transaction-level lock PostgreSQL writers take before reading the chain's head.
AUDIT_CHAIN_LOCK_KEY = 0x61756469745F6368  # "audit_ch"
HASHED_FIELDS = ("occurred_at", "user_id", "actor", "action", "object_type", "object_id", "summary", "before",
                 "after", "ip_address", "prev_hash")


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(80))
    object_id: Mapped[str | None] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # None only for the first event
    hash: Mapped[str] = mapped_column(String(64))


class AuditTrailIsAppendOnly(RuntimeError):
    pass


def _canonical(value: Any) -> Any:
    """JSON values as they come back from either database: integral floats become ints (JSONB does that)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    return value


def event_hash(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of an event's HASHED_FIELDS; the chain's format, never change it."""
    plain = {}
    for name in HASHED_FIELDS:
        value = content.get(name)
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat()
        plain[name] = _canonical(value)
    encoded = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def content_of(event_row: Any) -> dict[str, Any]:
    """The hashed fields of an AuditEvent or a row with the same column names."""
    return {name: getattr(event_row, name) for name in HASHED_FIELDS}


def lock_chain_head(connection) -> None:
    """Serialise chain writers until commit, so two transactions never extend the same head."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        # A write statement takes SQLite's single write lock (held to commit); it touches no row.
        connection.exec_driver_sql("DELETE FROM audit_events WHERE 0")


def chain_head(connection) -> str | None:
    return connection.execute(text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar()


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, flush_context, instances) -> None:
    """The ORM never updates or deletes an audit event; the database triggers say the same."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context, instances) -> None:
    """New events get prev_hash and hash, in the order they were added, under the chain lock."""
    new_events = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new_events:
        return
    new_events.sort(key=lambda obj: attributes.instance_state(obj).insert_order or 0)
    connection = session.connection(bind_arguments={"mapper": AuditEvent.__mapper__})
    lock_chain_head(connection)
    previous = chain_head(connection)
    for obj in new_events:
        if obj.occurred_at is None:
            obj.occurred_at = utcnow()
        if obj.actor is None:
            obj.actor = ""
        if obj.summary is None:
            obj.summary = ""
        obj.prev_hash = previous
        obj.hash = event_hash(content_of(obj))
        previous = obj.hash
