"""Read-side queries for the vendor pages."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Contract, ContractStatus, Observation, Vendor, db


def list_vendors() -> list[tuple[Vendor, int, int]]:
    """Each vendor with its number of contracts and of active contracts."""
    active = func.sum(func.cast(Contract.status == ContractStatus.ACTIVE, db.Integer))
    rows = db.session.execute(
        select(Vendor, func.count(Contract.id), func.coalesce(active, 0))
        .outerjoin(Contract, Contract.vendor_id == Vendor.id)
        .group_by(Vendor.id)
        .order_by(Vendor.name)
    ).all()
    return [(vendor, total, int(active_count)) for vendor, total, active_count in rows]


def vendor_detail(vendor_id: int) -> dict | None:
    vendor = db.session.get(Vendor, vendor_id)
    if vendor is None:
        return None
    contracts = list(
        db.session.scalars(
            select(Contract)
            .where(Contract.vendor_id == vendor_id)
            .options(selectinload(Contract.category))
            .order_by(Contract.number)
        )
    )
    observation_counts = dict(
        db.session.execute(
            select(Observation.contract_id, func.count())
            .where(Observation.contract_id.in_([c.id for c in contracts]))
            .group_by(Observation.contract_id)
        ).all()
    )
    return {"vendor": vendor, "contracts": contracts, "observation_counts": observation_counts}
