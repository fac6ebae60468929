"""Staff accounts: one place that creates users, for the admin page and `create-user` alike."""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from models import AuditEvent, Contract, ContractAssignment, Role, User, db

from ..audit import record_event, snapshot

MIN_PASSWORD_LENGTH = 10


class UserInputError(ValueError):
    """Refused input, with a message that names the field."""


def create_user(email: str, role: str | Role, password: str, name: str = "", actor: User | None = None) -> User:
    try:
        email = validate_email(email.strip(), check_deliverability=False, globally_deliverable=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserInputError(f"email: {exc}") from None
    try:
        role = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise UserInputError(f"role: '{role}' is not a role; use one of {allowed}") from None
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise UserInputError(f"email: a user with email {email} already exists")
    user = User(email=email, role=role, name=name.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user_created", user, after=snapshot(user), actor=actor, summary=f"{email} as {role.value}")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


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
    return list(db.session.scalars(select(Contract).order_by(Contract.number)))
