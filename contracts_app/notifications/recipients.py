"""Who is told: a vendor's own users, and the contract managers assigned to a contract."""
from __future__ import annotations

from sqlalchemy import select

from models import ContractAssignment, Role, User, db


def vendor_users(vendor_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.role == Role.VENDOR, User.vendor_id == vendor_id, User.is_enabled.is_(True)).order_by(User.id)))


def contract_managers(contract_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(ContractAssignment, ContractAssignment.user_id == User.id)
        .where(ContractAssignment.contract_id == contract_id, User.role == Role.CONTRACT_MANAGER,
               User.is_enabled.is_(True)).order_by(User.id)))
