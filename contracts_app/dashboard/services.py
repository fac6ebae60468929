"""What the dashboard shows each role: the programme at a glance and that role's next jobs."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from models import (
    AuditEvent,
    Contract,
    ContractAssignment,
    ContractStatus,
    Observation,
    Role,
    ServiceCategory,
    Upload,
    UploadStatus,
    User,
    Vendor,
    db,
)


@dataclass
class DashboardSummary:
    counts: dict[str, int]
    latest_period: str | None
    my_contracts: list[Contract] = field(default_factory=list)
    recent_uploads: list[Upload] = field(default_factory=list)
    recent_events: list[AuditEvent] = field(default_factory=list)
    categories: list[tuple[ServiceCategory, int]] = field(default_factory=list)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def dashboard_summary(user: User) -> DashboardSummary:
    counts = {
        "vendors": _count(Vendor),
        "active_contracts": db.session.scalar(
            select(func.count()).select_from(Contract).where(Contract.status == ContractStatus.ACTIVE)
        ) or 0,
        "committed_uploads": db.session.scalar(
            select(func.count()).select_from(Upload).where(Upload.status == UploadStatus.COMMITTED)
        ) or 0,
        "observations": _count(Observation),
    }
    latest_period = db.session.scalar(
        select(func.max(Upload.period)).where(Upload.status == UploadStatus.COMMITTED)
    )
    categories = db.session.execute(
        select(ServiceCategory, func.count(Contract.id))
        .outerjoin(Contract, Contract.category_id == ServiceCategory.id)
        .group_by(ServiceCategory.id)
        .order_by(ServiceCategory.name)
    ).all()
    summary = DashboardSummary(counts=counts, latest_period=latest_period, categories=list(categories))
    if user.role == Role.CONTRACT_MANAGER:
        summary.my_contracts = list(
            db.session.scalars(
                select(Contract)
                .options(joinedload(Contract.vendor))
                .join(ContractAssignment, ContractAssignment.contract_id == Contract.id)
                .where(ContractAssignment.user_id == user.id)
                .order_by(Contract.number)
            )
        )
    recent = (
        select(Upload)
        .join(Contract, Contract.id == Upload.contract_id)
        .options(contains_eager(Upload.contract))
        .where(Upload.status == UploadStatus.COMMITTED)
        .order_by(Upload.committed_at.desc(), Upload.period.desc(), Contract.number)
        .limit(8)
    )
    if user.role == Role.CONTRACT_MANAGER:
        recent = recent.where(Upload.contract_id.in_([c.id for c in summary.my_contracts]))
    summary.recent_uploads = list(db.session.scalars(recent))
    if user.role == Role.ADMIN:
        summary.recent_events = list(
            db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(8))
        )
    return summary
