"""Sign-in throttling in aggregate: one database row per account (the email typed) and one per client
address, so every worker process shares the counters and no Redis is needed.

After a few failures each further attempt waits longer (1 s, 2 s, 4 s ...), and at the configured count
the account or address is locked for SIGN_IN_LOCK_SECONDS. Rows are keyed by what was typed, known or
not, so a lock never tells whether an account exists. Attempts refused while locked do not count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from models import SignInThrottle, db, utcnow

ACCOUNT = "account"
ADDRESS = "address"
ACCOUNT_FREE_FAILURES = 3
ADDRESS_FREE_FAILURES = 10


@dataclass
class FailureOutcome:
    retry_at: datetime | None  # when the next attempt is allowed, if it must wait
    locks_started: list[str]  # "account" and/or "address": a lock began with this failure


def account_key(email: str) -> str:
    return email.strip().lower()[:254]


def _limits(kind: str) -> tuple[int, int]:
    config = current_app.config
    if kind == ACCOUNT:
        return ACCOUNT_FREE_FAILURES, config["SIGN_IN_ACCOUNT_LOCK_AFTER"]
    return ADDRESS_FREE_FAILURES, config["SIGN_IN_ADDRESS_LOCK_AFTER"]


def delay_after(kind: str, failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: nothing, then doubling, then the lock."""
    free, lock_after = _limits(kind)
    lock = current_app.config["SIGN_IN_LOCK_SECONDS"]
    if failures >= lock_after:
        return timedelta(seconds=lock)
    if failures < free:
        return timedelta(0)
    return timedelta(seconds=min(2 ** (failures - free), lock))


def _rows(email: str, address: str | None) -> list[SignInThrottle]:
    keys = [(ACCOUNT, account_key(email))] + ([(ADDRESS, address)] if address else [])
    rows = []
    for kind, key in keys:
        row = db.session.scalars(select(SignInThrottle).where(SignInThrottle.kind == kind, SignInThrottle.key == key)
                                 .with_for_update()).first()
        if row is None:
            try:
                with db.session.begin_nested():
                    row = SignInThrottle(kind=kind, key=key, failures=0, last_failure_at=utcnow())
                    db.session.add(row)
            except IntegrityError:  # another worker inserted it a moment ago
                row = db.session.scalars(select(SignInThrottle).where(SignInThrottle.kind == kind,
                                                                       SignInThrottle.key == key)).one()
        rows.append(row)
    return rows


def blocked_until(email: str, address: str | None) -> datetime | None:
    """When the account or the address may try again, if it must still wait."""
    now = utcnow()
    keys = [(ACCOUNT, account_key(email))] + ([(ADDRESS, address)] if address else [])
    waits = [
        row.locked_until
        for kind, key in keys
        for row in db.session.scalars(select(SignInThrottle).where(SignInThrottle.kind == kind, SignInThrottle.key == key))
        if row.locked_until is not None and row.locked_until > now
    ]
    return max(waits) if waits else None


def record_failure(email: str, address: str | None) -> FailureOutcome:
    """Counts one failed attempt against the account and the address (one row each, updated in place)."""
    now = utcnow()
    window = timedelta(seconds=current_app.config["SIGN_IN_FAILURE_WINDOW_SECONDS"])
    lock = timedelta(seconds=current_app.config["SIGN_IN_LOCK_SECONDS"])
    retry_at, started = None, []
    for row in _rows(email, address):
        was_locked = row.locked_until is not None and row.locked_until > now
        if row.failures and row.last_failure_at < now - window and not was_locked:
            row.failures = 0  # a quiet hour forgives old mistakes
        row.failures += 1
        row.last_failure_at = now
        wait = delay_after(row.kind, row.failures)
        row.locked_until = now + wait if wait else None
        if wait >= lock and not was_locked:
            started.append(row.kind)
        if wait and (retry_at is None or row.locked_until > retry_at):
            retry_at = row.locked_until
    db.session.flush()
    return FailureOutcome(retry_at, started)


def clear_account(email: str) -> None:
    """A successful sign-in forgives the account's failures (not the address's)."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.kind == ACCOUNT,
                                                    SignInThrottle.key == account_key(email)))
