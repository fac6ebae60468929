"""The one way to write to the audit trail; every change in the app goes through record_event()."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import inspect

from models import AuditEvent, User, db


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
