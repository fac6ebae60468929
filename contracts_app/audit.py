"""The one way to write to the audit trail (record_event) and the check of its hash chain (verify_chain)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import inspect, select

from models import AuditEvent, User, db
from models.audit import HASHED_FIELDS, event_hash


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # same text whether the value came from the form or the database
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(obj: Any, exclude: tuple[str, ...] = ("password_hash",)) -> dict:
    """A JSON-ready copy of a model's column values, for the before/after of an event."""
    mapper = inspect(obj).mapper
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in exclude
    }


def _current_actor() -> User | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def record_event(
    action: str,
    obj: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    summary: str = "",
    actor: User | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Adds an audit event to the session; the caller's request or command commits it."""
    actor = actor or _current_actor()
    event = AuditEvent(
        user_id=actor.id if actor is not None else None,
        actor=actor_label or (actor.email if actor is not None else "system"),
        action=action,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=str(inspect(obj).identity[0]) if obj is not None and inspect(obj).identity else None,
        summary=summary,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the hash chain: how many events fit, and the first that does not."""

    events_checked: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_event_id is None


def verify_chain(batch_size: int = 1000) -> ChainReport:
    """Walk the audit trail in id order, recomputing every hash; stops at the first event that does not fit."""
    table = AuditEvent.__table__
    columns = [table.c[name] for name in ("id", "hash", *HASHED_FIELDS)]  # plain rows: memory stays flat
    previous_id, previous_hash, checked = None, None, 0
    rows = db.session.execute(select(*columns).order_by(table.c.id).execution_options(yield_per=batch_size))
    for row in rows.mappings():
        if row["prev_hash"] != previous_hash:
            if previous_id is None:
                problem = "it is the first event but points to an earlier one (events before it were removed)"
            else:
                problem = f"its prev_hash does not match the hash of event #{previous_id} (an event was removed or changed)"
            return ChainReport(checked, row["id"], problem)
        if row["hash"] != event_hash(row):
            return ChainReport(checked, row["id"], "its content does not match its hash (it was changed)")
        previous_id, previous_hash, checked = row["id"], row["hash"], checked + 1
    return ChainReport(checked)
