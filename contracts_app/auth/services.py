"""Sign-in checks; both outcomes are written to the audit trail."""
from __future__ import annotations

from sqlalchemy import func, select

from models import User, db

from ..audit import record_event


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with these credentials, or None; records a sign-in or a failed sign-in."""
    user = find_user(email)
    if user is None or not user.is_enabled or not user.check_password(password):
        record_event("sign_in_failed", actor_label=email.strip()[:254], summary="wrong email or password")
        return None
    record_event("sign_in", user, actor=user, summary=f"{user.email} signed in")
    return user
