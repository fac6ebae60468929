"""Where a transaction starts and which lock it takes first, so concurrent writers wait instead of failing.

SQLite: a transaction that reads and then writes cannot wait for the write lock (another writer's
commit makes its snapshot stale: "database is locked" at once, whatever the busy timeout). So a
request that may write (any method but GET/HEAD/OPTIONS), every command and every job begin `BEGIN IMMEDIATE`
(`writing()`),
and a GET that must write (an audit event for a denied request) does it with `write_separately`, in
a short transaction of its own that starts IMMEDIATE.

PostgreSQL: two requests changing one contract's month (commits of its sheet, supersedes, invoices)
take `lock_contract_period` first, so the second waits, then reads what the first committed.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from models import db

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")
_writing: ContextVar[bool] = ContextVar("writing", default=False)


def begins_with_write_lock() -> bool:
    """Whether the transaction about to begin takes SQLite's write lock at once (BEGIN IMMEDIATE)."""
    if _writing.get():
        return True
    if has_request_context():
        return request.method not in READ_ONLY_METHODS
    return False  # a script or a worker's bookkeeping reads; commands and jobs say so with `writing()`


@contextmanager
def writing() -> Iterator[None]:
    """Every transaction begun inside takes SQLite's write lock at once: a command or a job is there to write."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def write_transaction() -> Iterator[None]:
    """Ends the current transaction (rolled back) and runs the body in a new one that holds the write lock.

    Commits when the body returns, rolls back when it raises.
    """
    db.session.rollback()
    token = _writing.set(True)
    try:
        yield
        from .unit_of_work import commit_now  # here, not at the top: unit_of_work imports this module

        commit_now()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        _writing.reset(token)


def write_separately(fn: Callable[..., T], *args, **kwargs) -> T:
    """`fn` in a short write transaction of its own (see write_transaction); for a GET that must write."""
    with write_transaction():
        return fn(*args, **kwargs)


def _lock_key(contract_id: int, period: str) -> int:
    digest = hashlib.blake2b(f"contract-period:{contract_id}:{period}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_contract_period(contract_id: int, period: str) -> None:
    """Waits until no other transaction changes this contract's month; held until commit or rollback.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: the write transaction (BEGIN IMMEDIATE)
    already excludes every other writer.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(contract_id, period)})


FILES_TO_REMOVE = "files_to_remove_after_commit"


def remove_after_commit(path: Path) -> None:
    """Deletes a file once the session's transaction commits (kept if it rolls back: rows still point at it)."""
    db.session.info.setdefault(FILES_TO_REMOVE, []).append(Path(path))


@event.listens_for(Session, "after_commit")
def _remove_files(session: Session) -> None:
    for path in session.info.pop(FILES_TO_REMOVE, []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_soft_rollback")
def _keep_files(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(FILES_TO_REMOVE, None)
