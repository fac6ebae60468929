"""Service categories and vendors: what is bought, and from whom."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .types import JSONType, UTCDateTime

if TYPE_CHECKING:
    from .contracts import ClauseTemplate, Contract


class ServiceCategory(Model):
    __tablename__ = "service_categories"
    __table_args__ = (CheckConstraint("review_days BETWEEN 1 AND 90", name="review_days_range"),
                      CheckConstraint("sheet_due_days BETWEEN 1 AND 60", name="sheet_due_days_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(80))
    date_column: Mapped[str] = mapped_column(String(80))
    context_columns: Mapped[list] = mapped_column(JSONType, default=list)
    # SPEC §8: days a committed month stays provisional, open to the vendor's comments and disputes.
    review_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # Issue 15: a month's sheet is due this many days after the month ends; later it is overdue.
    sheet_due_days: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Issue 16: a published category's final months are open to anyone under /public. Context columns may hold
    # personal data (addresses, names), so only those listed here are ever published.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    publish_context_columns: Mapped[list] = mapped_column(JSONType, default=list, server_default="[]")

    contracts: Mapped[list[Contract]] = relationship(lazy="raise_on_sql", back_populates="category")
    clause_templates: Mapped[list[ClauseTemplate]] = relationship(lazy="raise_on_sql", back_populates="category")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def __str__(self) -> str:
        return self.name


class Vendor(Model):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contracts: Mapped[list[Contract]] = relationship(lazy="raise_on_sql", back_populates="vendor")

    def __str__(self) -> str:
        return self.name
