"""Read-side queries for the contract pages."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from models import Contract, ContractAssignment, ContractStatus, Observation, OutcomeClause, Upload, User, db


def list_contracts(status: str | None = None) -> list[Contract]:
    query = (
        select(Contract)
        .options(joinedload(Contract.vendor), joinedload(Contract.category))
        .order_by(Contract.number)
    )
    if status in {s.value for s in ContractStatus}:
        query = query.where(Contract.status == ContractStatus(status))
    return list(db.session.scalars(query))


def current_period_of(contract: Contract, latest: str | None) -> str:
    """The period whose clauses the page shows: the latest with data, else the contract's start."""
    return latest or contract.start_date.strftime("%Y-%m")


def contract_detail(contract_id: int) -> dict | None:
    contract = db.session.get(Contract, contract_id, options=[
        selectinload(Contract.clauses).joinedload(OutcomeClause.created_by),
        joinedload(Contract.vendor), joinedload(Contract.category),
    ])
    if contract is None:
        return None
    uploads = list(
        db.session.scalars(
            select(Upload).options(joinedload(Upload.uploaded_by))
            .where(Upload.contract_id == contract_id).order_by(Upload.period.desc(), Upload.id.desc())
        )
    )
    observations_by_period = dict(
        db.session.execute(
            select(Upload.period, func.count())
            .join(Observation, Observation.upload_id == Upload.id)
            .where(Upload.contract_id == contract_id)
            .group_by(Upload.period)
        ).all()
    )
    latest = max(observations_by_period) if observations_by_period else None
    period = current_period_of(contract, latest)
    managers = list(
        db.session.scalars(
            select(User)
            .join(ContractAssignment, ContractAssignment.user_id == User.id)
            .where(ContractAssignment.contract_id == contract_id)
            .order_by(User.email)
        )
    )
    return {
        "contract": contract,
        "period": period,
        "clauses": contract.clauses_in_force(period),
        "uploads": uploads,
        "observations_by_period": observations_by_period,
        "managers": managers,
    }
