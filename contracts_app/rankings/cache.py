"""The rendered rankings, kept per request and data version, so a page view does not recount 100 vendors.

The data version is a one-row counter (`DataVersion`) that every write transaction bumps as it commits:
a session that flushed anything, or executed an INSERT, UPDATE or DELETE, adds 1 in the same transaction.
So the version changes exactly when committed data changes, whatever changed, in whatever order
transactions commit; a rolled-back transaction rolls its bump back with its data. Each worker keeps its
own small LRU, per database; tests clear it (a test's rollback may reuse a version with other data).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import current_app
from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from models import DataVersion, db

MAX_ENTRIES = 64
_WROTE = "data_version_wrote"
_BUMP = "data_version_bump"
# Execution options of a write that is bookkeeping no page or API response shows (an API token's last use):
# it does not bump the data version, so the ETags and cached pages built on it stay valid.
UNVERSIONED = {_BUMP: True}


def data_version() -> tuple:
    return (current_app.config["SQLALCHEMY_DATABASE_URI"],
            db.session.scalar(select(DataVersion.version).where(DataVersion.id == 1)))


@event.listens_for(Session, "after_flush")
def _flushed(session, _context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and not state.execution_options.get(_BUMP):
        state.session.info[_WROTE] = True


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    if not session.info.pop(_WROTE, False):
        return
    bump = update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)
    if session.execute(bump.execution_options(**{_BUMP: True})).rowcount == 0:
        session.execute(insert(DataVersion).values(id=1, version=1).execution_options(**{_BUMP: True}))
    session.info.pop(_WROTE, None)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session) -> None:
    session.info.pop(_WROTE, None)


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
