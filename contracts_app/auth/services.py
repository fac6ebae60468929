"""Sign-in checks: throttled per account and per address, the same work and answer whether or not the
email is known, and audited once per sign-in, lock and credential change (never once per failure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from models import User, db, utcnow

from ..audit import record_event
from . import throttle
from .mfa import check_totp, looks_like_recovery_code, new_recovery_codes, use_recovery_code
from .passwords import password_problem
from .sessions import end_all_sessions

_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, checked when the email is unknown so both answers take as long."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("no such account: the same work as a real check")
    return _DUMMY_HASH


@dataclass
class SignInResult:
    user: User | None = None
    retry_at: datetime | None = None  # must wait until then before trying again
    throttled: bool = False  # refused without looking at the password


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def _failed(email: str, address: str | None, user: User | None) -> SignInResult:
    outcome = throttle.record_failure(email, address)
    for kind in outcome.locks_started:
        what = f"account {throttle.account_key(email)}" if kind == throttle.ACCOUNT else f"address {address}"
        record_event("sign_in_locked", user if kind == throttle.ACCOUNT else None,
                     actor_label="sign-in throttle",
                     summary=f"sign-in locked for {what} until {outcome.retry_at:%Y-%m-%d %H:%M:%S} UTC "
                             "after repeated failures")
    return SignInResult(retry_at=outcome.retry_at)


def _temporary_password_expired(user: User) -> bool:
    """An admin's temporary password works for TEMPORARY_PASSWORD_SECONDS, then only a new reset helps."""
    if not user.must_change_password or user.password_changed_at is None:
        return False
    age = (utcnow() - user.password_changed_at).total_seconds()
    return age > current_app.config["TEMPORARY_PASSWORD_SECONDS"]


def authenticate(email: str, password: str, address: str | None) -> SignInResult:
    """The enabled user with these credentials (`user` set), or why not; failures are counted, not logged."""
    wait = throttle.blocked_until(email, address)
    if wait is not None:
        return SignInResult(retry_at=wait, throttled=True)
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return _failed(email, address, None)
    if not user.check_password(password) or not user.is_enabled or _temporary_password_expired(user):
        return _failed(email, address, user)
    throttle.clear_account(email)
    return SignInResult(user=user)


def check_second_step(user: User, code: str, address: str | None) -> SignInResult:
    """A TOTP code or one recovery code; failures count against the account like a wrong password."""
    wait = throttle.blocked_until(user.email, address)
    if wait is not None:
        return SignInResult(retry_at=wait, throttled=True)
    code = (code or "").strip()
    if looks_like_recovery_code(code):
        if use_recovery_code(user, code):
            record_event("mfa_recovery_code_used", user, actor=user,
                         summary=f"{user.email} used a recovery code; {len(user.recovery_code_hashes or [])} left")
            throttle.clear_account(user.email)
            return SignInResult(user=user)
    elif check_totp(user, code):
        throttle.clear_account(user.email)
        return SignInResult(user=user)
    return _failed(user.email, address, user)


def record_sign_in(user: User) -> None:
    record_event("sign_in", user, actor=user, summary=f"{user.email} signed in")


class PasswordRefused(ValueError):
    """Refused password change, with a message naming the field."""


def change_own_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise PasswordRefused("current_password: that is not your current password")
    if new == current:
        raise PasswordRefused("new_password: must differ from the current password")
    problem = password_problem(new, user.email, user.name)
    if problem:
        raise PasswordRefused(f"new_password: {problem}")
    user.set_password(new)
    user.must_change_password = False
    end_all_sessions(user)
    db.session.flush()
    record_event("password_changed", user, actor=user, summary=f"{user.email} changed their password")


def enrol_mfa(user: User, secret: str, code: str) -> list[str] | None:
    """Stores the secret once a code from it is shown; returns the recovery codes (shown once), or None."""
    from .mfa import matching_step

    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    end_all_sessions(user)
    db.session.flush()
    record_event("mfa_enrolled", user, actor=user, summary=f"{user.email} set up two-step sign-in")
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = new_recovery_codes(user)
    db.session.flush()
    record_event("mfa_recovery_codes_renewed", user, actor=user, summary=f"{user.email} made new recovery codes")
    return codes
