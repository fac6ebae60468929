"""Contracts, their versioned outcome clauses, and the clause library."""
from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .base import Model, utcnow
from .types import Aggregation, ContractStatus, Curve, Direction, Hundredths, JSONType, Money, UTCDateTime, enum_column

if TYPE_CHECKING:
    from .catalog import ServiceCategory, Vendor
    from .users import User

ENUM_TERMS = {"direction": Direction, "row_direction": Direction, "aggregation": Aggregation, "curve": Curve}

PERIOD_CHECK = (
    "length({col}) = 7 AND substr({col}, 5, 1) = '-' "
    "AND substr({col}, 6, 2) IN ('01','02','03','04','05','06','07','08','09','10','11','12') "
    "AND CAST(substr({col}, 1, 4) AS INTEGER) BETWEEN 1900 AND 2999"
)
Number = Numeric(18, 6)


class Contract(Model):
    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_in_order"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("incentive_cap >= 0 AND incentive_cap <= 100", name="incentive_cap_percent"),
        CheckConstraint("penalty_cap >= 0 AND penalty_cap <= 100", name="penalty_cap_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.DRAFT
    )
    capacity: Mapped[Decimal | None] = mapped_column(Hundredths)
    incentive_cap: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    penalty_cap: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    vendor: Mapped[Vendor] = relationship(lazy="raise_on_sql", back_populates="contracts")
    category: Mapped[ServiceCategory] = relationship(lazy="raise_on_sql", back_populates="contracts")
    clauses: Mapped[list[OutcomeClause]] = relationship(
        lazy="raise_on_sql",
        back_populates="contract",
        order_by="(OutcomeClause.key, OutcomeClause.effective_from)",
        cascade="all, delete-orphan",
    )

    def clauses_in_force(self, period: str) -> list[OutcomeClause]:
        """The version of each clause in force at `period` (latest effective_from on or before it)."""
        current: dict[str, OutcomeClause] = {}
        for clause in self.clauses:
            if clause.effective_from <= period:
                best = current.get(clause.key)
                if best is None or clause.effective_from > best.effective_from:
                    current[clause.key] = clause
        return sorted((c for c in current.values() if not c.retired), key=lambda c: c.position_key)

    def covers(self, period: str) -> bool:
        return self.start_date.strftime("%Y-%m") <= period <= self.end_date.strftime("%Y-%m")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ClauseTermsMixin:
    """The measurable terms shared by a contract's clause and a library template (SPEC §2, §3)."""

    if TYPE_CHECKING:
        __tablename__: str  # set by each model that mixes these terms in

    key: Mapped[str] = mapped_column(String(80))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    aggregation: Mapped[Aggregation] = mapped_column(enum_column(Aggregation, "aggregation"))
    curve: Mapped[Curve] = mapped_column(enum_column(Curve, "curve"), default=Curve.LINEAR)
    target: Mapped[Decimal] = mapped_column(Number)
    minimum: Mapped[Decimal | None] = mapped_column(Number)
    weight: Mapped[Decimal] = mapped_column(Number)
    incentive_pct: Mapped[Decimal] = mapped_column(Number, default=Decimal("0"))
    penalty_pct: Mapped[Decimal] = mapped_column(Number, default=Decimal("0"))
    valid_min: Mapped[Decimal | None] = mapped_column(Number)
    valid_max: Mapped[Decimal | None] = mapped_column(Number)
    aliases: Mapped[list] = mapped_column(JSONType, default=list)
    row_standard: Mapped[Decimal | None] = mapped_column(Number)
    row_direction: Mapped[Direction | None] = mapped_column(enum_column(Direction, "row_direction"))
    denominator: Mapped[str | None] = mapped_column(String(80))
    scale: Mapped[Decimal] = mapped_column(Number, default=Decimal("1"))
    cap: Mapped[Decimal] = mapped_column(Number, default=Decimal("1"))
    language: Mapped[str] = mapped_column(Text, default="")

    @declared_attr.directive
    def __table_args__(cls):
        name = cls.__tablename__
        return (
            CheckConstraint("weight >= 0 AND weight <= 100", name="weight_percent"),
            CheckConstraint("incentive_pct >= 0 AND penalty_pct >= 0", name="payment_percents"),
            CheckConstraint("valid_min IS NULL OR valid_max IS NULL OR valid_min <= valid_max", name="valid_range"),
            CheckConstraint("cap > 0", name="cap_positive"),
            *cls._extra_table_args(name),
        )

    @classmethod
    def _extra_table_args(cls, name: str) -> tuple:
        return ()

    @property
    def position_key(self) -> tuple:
        return (-self.weight, self.key)

    TERM_FIELDS = (
        "key", "label", "unit", "direction", "aggregation", "curve", "target", "minimum", "weight",
        "incentive_pct", "penalty_pct", "valid_min", "valid_max", "aliases", "row_standard",
        "row_direction", "denominator", "scale", "cap", "language",
    )

    def terms(self) -> dict:
        return {name: getattr(self, name) for name in self.TERM_FIELDS}

    def plain_terms(self) -> dict:
        """The terms with enums as their plain values, as the pure scoring/ functions take them."""
        return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in self.terms().items()}

    @staticmethod
    def model_terms(plain: dict) -> dict:
        """The reverse of plain_terms: enum fields given as text become the model's enums (empty stays None)."""
        return {name: (ENUM_TERMS[name](value) if name in ENUM_TERMS and value else
                       (None if name in ENUM_TERMS else value))
                for name, value in plain.items()}


class OutcomeClause(ClauseTermsMixin, Model):
    """One version of a contract's clause; an amendment adds a version with a later effective_from."""

    __tablename__ = "outcome_clauses"

    @classmethod
    def _extra_table_args(cls, name: str) -> tuple:
        return (
            UniqueConstraint("contract_id", "key", "effective_from", name="uq_outcome_clauses_version"),
            CheckConstraint(PERIOD_CHECK.format(col="effective_from"), name="effective_from_period"),
        )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    effective_from: Mapped[str] = mapped_column(String(7))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql", back_populates="clauses")
    created_by: Mapped[User | None] = relationship(lazy="raise_on_sql")


class ClauseTemplate(ClauseTermsMixin, Model):
    """A reusable clause in the library, per category, copied into contracts and adjusted there."""

    __tablename__ = "clause_templates"

    @classmethod
    def _extra_table_args(cls, name: str) -> tuple:
        return (UniqueConstraint("category_id", "key", name="uq_clause_templates_category_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[ServiceCategory] = relationship(lazy="raise_on_sql", back_populates="clause_templates")
