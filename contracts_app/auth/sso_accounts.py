"""Who an OpenID Connect sign-in is: the city account's email and groups become a user and a role, audited."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from models import Role, User, db

from ..audit import record_event, snapshot
from .services import find_user

# Roles for which a password sign-in asks for a second factor; for SSO the provider is asked to show one.
MFA_ROLES = frozenset({Role.ADMIN, Role.FINANCE})


class SSORefused(Exception):
    """The provider signed the person in, but this app will not; the message says why, in plain words."""


@dataclass(frozen=True)
class SSOPolicy:
    group_roles: tuple[tuple[str, Role], ...]
    groups_claim: str = "groups"
    trusts_idp_mfa: bool = True
    issuer: str = ""


def parse_group_roles(raw: str) -> tuple[tuple[str, Role], ...]:
    """'city-finance=finance,city-admins=admin' -> ordered (group, role) pairs; a bad entry is named."""
    pairs = []
    for entry in (part.strip() for part in (raw or "").split(",")):
        if not entry:
            continue
        group, sep, role = (piece.strip() for piece in entry.partition("="))
        if not sep or not group or not role:
            raise ValueError(f"OIDC_GROUP_ROLES: '{entry}' is not GROUP=ROLE")
        try:
            mapped = Role(role)
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise ValueError(f"OIDC_GROUP_ROLES: '{role}' in '{entry}' is not a role; use one of {allowed}") from None
        if mapped == Role.VENDOR:  # a vendor user belongs to one vendor, which a city group cannot say
            raise ValueError(f"OIDC_GROUP_ROLES: '{entry}' maps a city group to the vendor role; vendor users are "
                             "created on the Users page, each with its vendor")
        pairs.append((group, mapped))
    return tuple(pairs)


def role_for_groups(groups: list[str], policy: SSOPolicy) -> Role | None:
    """The role of the first mapping (in OIDC_GROUP_ROLES order) whose group the person is in."""
    member_of = set(groups)
    return next((role for group, role in policy.group_roles if group in member_of), None)


def _groups(claims: dict, policy: SSOPolicy) -> list[str]:
    value = claims.get(policy.groups_claim)
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _refuse(policy: SSOPolicy, email: str, reason: str, message: str) -> SSORefused:
    record_event("sign_in_failed", actor_label=email[:254] or "unknown", summary=f"city account sign-in: {reason}",
                 after={"method": "sso", "issuer": policy.issuer})
    return SSORefused(message)


def user_for_claims(claims: dict, policy: SSOPolicy) -> User:
    """The enabled user these verified ID-token claims stand for (created or re-roled as the groups say)."""
    email = str(claims.get("email") or "").strip().lower()
    if not email:
        raise _refuse(policy, "", "no email claim", "Your city account has no email address, so it cannot be matched "
                      "to a user here. Ask your identity administrator to release the email claim.")
    if claims.get("email_verified") is False:
        raise _refuse(policy, email, "email not verified", "Your city account's email address is not verified, so it "
                      "cannot be matched to a user here.")
    groups = _groups(claims, policy)
    role = role_for_groups(groups, policy)
    if role is None:
        shown = ", ".join(sorted(groups))[:500] or "none"
        raise _refuse(policy, email, f"no group maps to a role (groups: {shown})",
                      "Your city account is not in any group that has a role in the outcome tracker, so you "
                      "cannot sign in here. Ask an administrator to add you to the right group.")
    if not policy.trusts_idp_mfa and role in MFA_ROLES and "mfa" not in (claims.get("amr") or []):
        raise _refuse(policy, email, f"{role.value} needs multi-factor and the provider reported none",
                      f"The {role.label} role needs a second factor, and your city sign-in did not use one. "
                      "Sign in again with your second factor.")
    user = find_user(email)
    if user is None:
        user = User(email=email, role=role, name=str(claims.get("name") or "")[:200])
        user.set_password(secrets.token_urlsafe(32))  # nobody knows it: this account signs in through SSO
        db.session.add(user)
        db.session.flush()
        record_event("user_created", user, after=snapshot(user), actor=user,
                     summary=f"{email} as {role.value}, on first sign-in with the city account")
    elif not user.is_enabled:
        raise _refuse(policy, email, "account disabled", "This account is disabled here. Ask an administrator.")
    elif user.role != role:
        before = snapshot(user)
        user.role = role
        db.session.flush()
        record_event("user_updated", user, before=before, after=snapshot(user), actor=user,
                     summary=f"{email} role {before['role']} -> {role.value}, from city account groups")
    record_event("sign_in", user, actor=user, summary=f"{email} signed in with the city account",
                 after={"method": "sso", "issuer": policy.issuer, "groups": groups[:50]})
    return user
