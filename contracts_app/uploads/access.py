"""Who may upload for a contract: a contract manager assigned to it by an admin."""
from __future__ import annotations

from flask import abort, g
from sqlalchemy import select

from models import Contract, ContractAssignment, Role, User, db


def is_assigned(user: User, contract: Contract) -> bool:
    return db.session.scalar(
        select(ContractAssignment.id).where(ContractAssignment.user_id == user.id,
                                            ContractAssignment.contract_id == contract.id)
    ) is not None


def require_assignment(user: User, contract: Contract) -> None:
    """403 for anyone but a contract manager assigned to this contract, saying what is needed."""
    if user.role != Role.CONTRACT_MANAGER:
        g.required_roles = (Role.CONTRACT_MANAGER,)
        abort(403)
    if not is_assigned(user, contract):
        abort(403, description=f"You are not assigned to contract {contract.number}. "
                               "An administrator assigns contract managers to contracts.")
