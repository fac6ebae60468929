"""Personal API tokens: made, listed, revoked, and checked on each API request.

A token reads `ct_<prefix>_<secret>`: the prefix finds the row, and only the sha256 of the whole token is
stored, compared in constant time. The secret has 256 bits from `secrets`, so a plain hash is enough (no
password stretching). Creating and revoking are audited; a use only stamps `last_used_at`.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from models import ApiToken, Role, User, db, utcnow

from ..audit import record_event
from ..rankings.cache import UNVERSIONED

TOKEN_RE = re.compile(r"^ct_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
SCOPE_READ = "read"
SCOPE_PAYMENTS = "read:payments"
SCOPES = (SCOPE_READ, SCOPE_PAYMENTS)
PAYMENT_ROLES = (Role.FINANCE, Role.ADMIN)
EXPIRY_MIN_DAYS, EXPIRY_MAX_DAYS = 1, 365
NAME_MAX = 100
LAST_USED_EVERY = timedelta(minutes=1)  # a busy dashboard polling each second stamps once a minute


class TokenRefused(ValueError):
    """The form's input can't make a token; `field` names the form field, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def scopes_for(user: User) -> tuple[str, ...]:
    """The scopes the user's role may give a token: payments only for finance and admin (as the pages)."""
    return SCOPES if user.role in PAYMENT_ROLES else (SCOPE_READ,)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown once and never stored


def create_token(user: User, name: str, scope: str, days_text: str) -> NewToken:
    name = (name or "").strip()
    if not name:
        raise TokenRefused("name", "Give the token a name, so you know later where it is used (e.g. “Power BI”).")
    if len(name) > NAME_MAX:
        raise TokenRefused("name", f"The name is {len(name)} characters long; at most {NAME_MAX}.")
    if scope not in scopes_for(user):
        raise TokenRefused("scope", f"Your role ({user.role.label}) may give a token only the scope "
                                    f"{' or '.join(scopes_for(user))}.")
    days_text = (days_text or "").strip()
    if not days_text.isdigit() or not EXPIRY_MIN_DAYS <= int(days_text) <= EXPIRY_MAX_DAYS:
        raise TokenRefused("days", f"The token expires after a whole number of days from {EXPIRY_MIN_DAYS} to "
                                   f"{EXPIRY_MAX_DAYS}, not '{days_text[:20]}'.")
    prefix = secrets.token_hex(6)
    secret = f"ct_{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, secret_hash=hash_token(secret), scope=scope,
                     created_at=now, expires_at=now + timedelta(days=int(days_text)))
    db.session.add(token)
    db.session.flush()
    record_event("api_token_created", token, after=_audited(token), summary=f"API token “{name}” ({scope}) created",
                 actor=user)
    return NewToken(token=token, secret=secret)


def _audited(token: ApiToken) -> dict:
    return {"name": token.name, "prefix": token.prefix, "scope": token.scope,
            "expires_at": token.expires_at.isoformat(), "revoked_at": token.revoked_at.isoformat()
            if token.revoked_at else None}


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(user: User, token_id: int) -> ApiToken | None:
    """Revokes one of the user's own tokens; None when it is not theirs (the page answers 404)."""
    token = db.session.scalars(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)).first()
    if token is None:
        return None
    if token.revoked_at is None:
        before = _audited(token)
        token.revoked_at = utcnow()
        db.session.flush()
        record_event("api_token_revoked", token, before=before, after=_audited(token),
                     summary=f"API token “{token.name}” revoked", actor=user)
    return token


def token_state(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= utcnow() else "active"


@dataclass(frozen=True)
class Authenticated:
    user: User
    token: ApiToken


def authenticate(header: str | None) -> Authenticated | str:
    """The token's user and token for an `Authorization: Bearer …` header, or why not (a sentence)."""
    if not header:
        return "Send a personal API token: Authorization: Bearer <token> (create one under Account, API tokens)."
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return "The Authorization header must read: Bearer <token>."
    presented = value.strip()
    match = TOKEN_RE.match(presented)
    token = None
    if match:
        token = db.session.scalars(select(ApiToken).where(ApiToken.prefix == match.group(1))).first()
    # Compared in constant time, and against a dummy when no row matched, so timing tells nothing.
    stored = token.secret_hash if token is not None else "0" * 64
    if not hmac.compare_digest(stored, hash_token(presented)) or token is None:
        return "This API token is not valid."
    if token.revoked_at is not None:
        return "This API token was revoked; create a new one under Account, API tokens."
    if token.expires_at <= utcnow():
        return "This API token has expired; create a new one under Account, API tokens."
    user = db.session.get(User, token.user_id)
    if user is None or not user.is_enabled:
        return "The account this API token belongs to is disabled."
    return Authenticated(user=user, token=token)


def stamp_last_used(token: ApiToken) -> None:
    """Records the use without counting as a data change (the ETags and cached pages stay valid)."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                       .execution_options(**UNVERSIONED))
