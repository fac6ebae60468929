"""What a password must be: long enough, not common or guessable (zxcvbn), not built from the email."""
from __future__ import annotations

import re

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
MIN_STRENGTH = 3  # zxcvbn score 0-4; 3 is "safely unguessable" (about 10^8 guesses or more)
# Context-specific words an attacker would try first (ASVS 6.1.2): zxcvbn counts them as guessable.
CONTEXT_WORDS = ["tracker", "city", "springfield", "procurement", "finance", "admin", "administrator", "vendor",
                 "contract", "resurfacing", "asphalt", "paving", "password"]


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, in words for the person choosing it; None when it will do."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters"
    local_part = email.strip().lower().partition("@")[0]
    lowered = password.lower()
    if len(local_part) >= 3 and local_part in lowered:
        return "must not contain the part of your email before the @"
    words = [w for w in re.split(r"[^a-z0-9]+", f"{local_part} {name}".lower()) if len(w) >= 3]
    from zxcvbn import zxcvbn  # its dictionaries load only when a password is set

    result = zxcvbn(password[:100], user_inputs=words + CONTEXT_WORDS)
    if result["score"] < MIN_STRENGTH:
        hint = result.get("feedback", {}).get("warning") or "it is too easy to guess"
        return (f"is too common or easy to guess ({hint.rstrip('.')}); "
                "use three or four unrelated words, or a password manager")
    return None
