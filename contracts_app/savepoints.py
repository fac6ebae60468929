"""Flushing a new or changed row whose unique field another request may have taken a moment ago."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from models import db


def flush_unique(obj, refusal: Exception) -> None:
    """Flush in a savepoint; a unique clash raises `refusal` (a field error for the form), never a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        raise refusal from None
