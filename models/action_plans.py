"""Corrective action plans (SPEC §9): a contract manager's plan for a vendor to recover, milestone by milestone."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .types import JSONType, UTCDateTime, enum_column

if TYPE_CHECKING:
    from .contracts import Contract
    from .users import User


class PlanReason(str, enum.Enum):
    FAILED_CLAUSE = "failed_clause"
    PROBATION = "probation"
    OTHER = "other"


class PlanStatus(str, enum.Enum):
    OPEN = "open"
    COMPLETED = "completed"
    FAILED = "failed"


class MilestoneStatus(str, enum.Enum):
    PENDING = "pending"
    MET = "met"
    MISSED = "missed"


class ActionPlan(Model):
    """One plan on one contract: why it was opened, the clauses concerned, the outcome required, how it ended."""

    __tablename__ = "action_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    reason: Mapped[PlanReason] = mapped_column(enum_column(PlanReason, "plan_reason"))
    # The month whose failed clause (or probation) prompted the plan, when it came from one.
    source_period: Mapped[str | None] = mapped_column(String(7))
    clause_keys: Mapped[list] = mapped_column(JSONType, default=list)
    outcome_required: Mapped[str] = mapped_column(Text)
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus, "plan_status"), default=PlanStatus.OPEN)
    opened_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closing_note: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id], lazy="raise_on_sql")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id], lazy="raise_on_sql")
    milestones: Mapped[list[ActionPlanMilestone]] = relationship(
        back_populates="plan", order_by="ActionPlanMilestone.position", cascade="all, delete-orphan",
        lazy="raise_on_sql")


class ActionPlanMilestone(Model):
    """A step of a plan with its due date; the vendor answers it, the manager marks it met or missed."""

    __tablename__ = "action_plan_milestones"
    __table_args__ = (
        UniqueConstraint("plan_id", "position", name="uq_action_plan_milestones_plan_position"),
        CheckConstraint("position >= 1", name="position_from_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(1000))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus, "milestone_status"),
                                                    default=MilestoneStatus.PENDING)
    vendor_answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marking_note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[ActionPlan] = relationship(back_populates="milestones", lazy="raise_on_sql")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id], lazy="raise_on_sql")
    marked_by: Mapped[User | None] = relationship(foreign_keys=[marked_by_id], lazy="raise_on_sql")
