"""Explicit loading. Every relationship in `models/` is lazy="raise_on_sql": code loads what it reads, in its
query (`selectinload`/`joinedload`) or, for objects it was handed, here, so no page runs a query per row by surprise."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import selectinload

from models import db

CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits


def load_related(objects: Iterable[Any], *relationships: Any) -> None:
    """Loads `relationships` (e.g. Contract.clauses) of objects already in the session that lack them: one query
    per relationship for all of them, nothing for objects that have them or are new (a new object's collections
    are empty without a query)."""
    wanting = [o for o in objects if _lacks(o, relationships)]
    if not wanting:
        return
    model = type(wanting[0])
    ids = sorted({o.id for o in wanting})
    for start in range(0, len(ids), CHUNK):
        query = select(model).where(model.id.in_(ids[start:start + CHUNK]))
        db.session.scalars(query.options(*(selectinload(r) for r in relationships))).all()


def _lacks(instance: Any, relationships: tuple[Any, ...]) -> bool:
    state = inspect(instance)
    return state.has_identity and any(r.key in state.unloaded for r in relationships)
