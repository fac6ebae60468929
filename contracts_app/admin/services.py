"""Accounts: one place that creates users (admin page and `create-user` alike), and the admin's changes
to them (role, deactivation, password reset, MFA reset), each ending the user's sessions and audited."""
from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import AuditEvent, Contract, ContractAssignment, Role, User, Vendor, db

from ..audit import record_event, snapshot
from ..auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from ..auth.sessions import end_all_sessions
from ..loading import load_related

__all__ = ["MIN_PASSWORD_LENGTH"]
# Never copied into the audit trail.
SECRET_FIELDS = ("password_hash", "totp_secret", "totp_last_step", "recovery_code_hashes")


class UserInputError(ValueError):
    """Refused input, with a message that names the field."""


def user_snapshot(user: User) -> dict:
    return snapshot(user, exclude=SECRET_FIELDS)


def _vendor(role: Role, vendor_name: str | None) -> Vendor | None:
    vendor_name = (vendor_name or "").strip()
    if role != Role.VENDOR:
        if vendor_name:
            raise UserInputError("vendor: only vendor users belong to a vendor")
        return None
    if not vendor_name:
        raise UserInputError("vendor: a vendor user belongs to a vendor; choose the vendor they work for")
    vendor = db.session.scalars(select(Vendor).where(func.lower(Vendor.name) == vendor_name.lower())).first()
    if vendor is None:
        raise UserInputError(f"vendor: no vendor named '{vendor_name}'")
    return vendor


def create_user(email: str, role: str | Role, password: str, name: str = "", actor: User | None = None,
                vendor_name: str | None = None) -> User:
    from email_validator import EmailNotValidError, validate_email  # loads its tables only when used

    try:
        email = validate_email(email.strip(), check_deliverability=False, globally_deliverable=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserInputError(f"email: {exc}") from None
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserInputError(f"role: '{role}' is not a role; use one of {allowed}") from None
    vendor = _vendor(role, vendor_name)
    problem = password_problem(password, email, name)
    if problem:
        raise UserInputError(f"password: {problem}")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise UserInputError(f"email: a user with email {email} already exists")
    user = User(email=email, role=role, name=name.strip(), vendor=vendor)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user_created", user, after=user_snapshot(user), actor=actor,
                 summary=f"{email} as {role.value}" + (f" of {vendor.name}" if vendor else ""))
    return user


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.is_enabled.is_(True), User.id != user.id))


def _guard_last_admin(user: User, doing: str) -> None:
    if user.role == Role.ADMIN and user.is_enabled and _other_active_admins(user) == 0:
        raise UserInputError(f"{doing}: {user.email} is the last active admin; make another admin first, "
                             "or nobody could manage users any more")


def change_role(user: User, role: str | Role, actor: User, vendor_name: str | None = None) -> bool:
    """Gives the user another role (ending their sessions); False when nothing changed."""
    try:
        role = Role(role)
    except ValueError:
        raise UserInputError(f"role: '{role}' is not a role") from None
    vendor = _vendor(role, vendor_name)
    if role == user.role and vendor is user.vendor:
        return False
    if role != Role.ADMIN:
        _guard_last_admin(user, "role")
    before = user_snapshot(user)
    old = user.role
    user.role, user.vendor = role, vendor
    if role != Role.CONTRACT_MANAGER:
        load_related([user], User.assignments)
        user.assignments.clear()
    end_all_sessions(user)
    db.session.flush()
    record_event("user_role_changed", user, before=before, after=user_snapshot(user), actor=actor,
                 summary=f"{user.email}: {old.label} -> {role.label}")
    return True


def set_enabled(user: User, enabled: bool, actor: User) -> bool:
    """Deactivates (every session ends at once) or reactivates; False when it already was."""
    if user.is_enabled == enabled:
        return False
    if not enabled:
        if user.id == actor.id:
            raise UserInputError("active: you cannot deactivate your own account")
        _guard_last_admin(user, "active")
    before = user_snapshot(user)
    user.is_enabled = enabled
    end_all_sessions(user)
    db.session.flush()
    record_event("user_reactivated" if enabled else "user_deactivated", user, before=before,
                 after=user_snapshot(user), actor=actor,
                 summary=f"{user.email} {'reactivated' if enabled else 'deactivated'}")
    return True


def temporary_password() -> str:
    words = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "harbor", "indigo", "juniper", "kestrel",
             "lumen", "maple", "nimbus", "orchid", "prairie", "quartz", "raven", "sierra", "tundra", "umber", "violet",
             "willow", "yarrow", "zephyr"]
    return "-".join(secrets.choice(words) for _ in range(3)) + f"-{secrets.randbelow(9000) + 1000}"


def reset_password(user: User, actor: User) -> str:
    """A temporary password for the admin to hand over; the user must change it at next sign-in."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    end_all_sessions(user)
    db.session.flush()
    record_event("password_reset", user, actor=actor,
                 summary=f"{user.email}: password reset by {actor.email}; must change it at next sign-in")
    return password


def end_sessions(user: User, actor: User) -> None:
    """Signs the user out everywhere (a stolen laptop, a shared computer)."""
    end_all_sessions(user)
    db.session.flush()
    record_event("sessions_ended", user, actor=actor, summary=f"{user.email}: every session ended by {actor.email}")


def reset_mfa(user: User, actor: User) -> bool:
    """Clears a lost authenticator; a user whose role needs MFA enrols again at next sign-in."""
    if not user.totp_secret:
        return False
    user.totp_secret = None
    user.totp_last_step = None
    user.recovery_code_hashes = None
    end_all_sessions(user)
    db.session.flush()
    record_event("mfa_reset", user, actor=actor, summary=f"{user.email}: two-step sign-in reset by {actor.email}")
    return True


def all_vendors() -> list[Vendor]:
    return list(db.session.scalars(select(Vendor).order_by(Vendor.name)))


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).options(joinedload(User.vendor), selectinload(User.assignments))
                                   .order_by(User.role, User.email)))


def audit_page(page: int, per_page: int = 50, action: str | None = None):
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def set_assignments(manager: User, contract_ids: set[int], actor: User) -> tuple[list[str], list[str]]:
    """Makes `contract_ids` exactly the contracts this contract manager uploads for; returns (added, removed)."""
    if manager.role != Role.CONTRACT_MANAGER:
        raise UserInputError("contract_ids: only contract managers are assigned to contracts")
    contracts = {c.id: c for c in db.session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))}
    current = {a.contract_id: a for a in manager.assignments}
    added, removed = [], []
    for contract_id in sorted(set(contracts) - set(current)):
        assignment = ContractAssignment(user=manager, contract=contracts[contract_id])
        db.session.add(assignment)
        db.session.flush()
        added.append(contracts[contract_id].number)
        record_event("contract_assigned", assignment, after={"user": manager.email, "contract": contracts[contract_id].number},
                     actor=actor, summary=f"{manager.email} manages {contracts[contract_id].number}")
    for contract_id in sorted(set(current) - set(contracts)):
        assignment = current[contract_id]
        number = assignment.contract.number
        record_event("contract_unassigned", assignment, before={"user": manager.email, "contract": number},
                     actor=actor, summary=f"{manager.email} no longer manages {number}")
        manager.assignments.remove(assignment)
        removed.append(number)
    db.session.flush()
    return added, removed


def all_contracts() -> list[Contract]:
    return list(db.session.scalars(select(Contract).options(joinedload(Contract.vendor)).order_by(Contract.number)))
