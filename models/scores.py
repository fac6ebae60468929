"""Stored results of the scoring method (SPEC §3); pages read these, never raw rows."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .contracts import PERIOD_CHECK, Contract, OutcomeClause
from .types import ClauseStatus, Money, UTCDateTime, enum_column


class ClauseResult(Model):
    __tablename__ = "clause_results"
    __table_args__ = (
        UniqueConstraint("contract_id", "period", "clause_key", name="uq_clause_results_contract_period_key"),
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        CheckConstraint("attainment IS NULL OR (attainment >= 0)", name="attainment_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("outcome_clauses.id"))
    clause_key: Mapped[str] = mapped_column(String(80))
    period: Mapped[str] = mapped_column(String(7))
    value: Mapped[float | None] = mapped_column(Float)
    attainment: Mapped[float | None] = mapped_column(Float)
    status: Mapped[ClauseStatus] = mapped_column(enum_column(ClauseStatus, "clause_status"))
    observations: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")
    clause: Mapped[OutcomeClause] = relationship(lazy="raise_on_sql")


class ContractPeriodScore(Model):
    __tablename__ = "contract_period_scores"
    __table_args__ = (
        UniqueConstraint("contract_id", "period", name="uq_contract_period_scores_contract_period"),
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        CheckConstraint("coverage >= 0 AND coverage <= 1", name="coverage_fraction"),
        CheckConstraint("invoice_amount IS NULL OR invoice_amount >= 0", name="invoice_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    composite: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float, default=0.0)
    observations: Mapped[int] = mapped_column(Integer, default=0)
    invoice_amount: Mapped[Decimal | None] = mapped_column(Money)
    bonus: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    penalty: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    net: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")
