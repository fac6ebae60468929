"""Two-step sign-in: TOTP (RFC 6238, any authenticator app) and ten one-time recovery codes, each stored
with a salted password hash (about 50 bits each, under the 112 bits a plain hash would need)."""
from __future__ import annotations

import hmac
import secrets

import pyotp
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from models import Role, User, utcnow

RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read off paper


def required_for(role: Role) -> bool:
    roles = {r.strip() for r in current_app.config["MFA_REQUIRED_ROLES"].split(",") if r.strip()}
    return role.value in roles


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["MFA_ISSUER"])


def qr_data_uri(uri: str) -> str:
    """The QR code as an inline SVG data: URI (rendered here, no network; the CSP allows data: images)."""
    import segno  # only on the enrolment page

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _current_step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, after_step: int | None = None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is; never one already used."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = _current_step()
    replay = current_app.config["MFA_REPLAY_PROTECTION"]
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            if replay and after_step is not None and step <= after_step:
                return None
            return step
    return None


def check_totp(user: User, code: str) -> bool:
    """Accepts a current code once: the step is remembered so the same code cannot be replayed."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    return True


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes, shown once; only their hashes are kept, and any earlier codes stop working."""
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODE_COUNT)]
    user.recovery_code_hashes = [generate_password_hash(_normalised(c)) for c in codes]
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    typed = _normalised(code or "")
    if len(typed) != 10:
        return False
    remaining = list(user.recovery_code_hashes or [])
    for stored in remaining:
        if check_password_hash(stored, typed):
            remaining.remove(stored)
            user.recovery_code_hashes = remaining
            return True
    return False


def looks_like_recovery_code(code: str) -> bool:
    return any(ch.isalpha() for ch in code or "")
