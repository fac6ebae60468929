"""The rendered rankings, kept per request and data version, so a page view does not recount 100 vendors.

The data version is the newest stored score (when scores were last recomputed, an indexed column) and
the head of the audit trail (every other change in the app, such as a vendor renamed, writes an event
in the same transaction). Both only grow, so an unchanged version means unchanged data. Each worker
keeps its own small LRU, per database.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Callable, Hashable

from flask import current_app
from sqlalchemy import func, select

from models import AuditEvent, ContractPeriodScore, db

MAX_ENTRIES = 64


def data_version() -> tuple:
    return (
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        db.session.scalar(select(func.max(ContractPeriodScore.computed_at))),
        db.session.scalar(select(func.max(AuditEvent.id))),
    )


class RenderedCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self._entries: OrderedDict[Hashable, tuple] = OrderedDict()
        self._max = max_entries
        self._lock = Lock()

    def get_or_render(self, key: Hashable, render: Callable[[], tuple]) -> tuple:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = render()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


rendered_rankings = RenderedCache()
