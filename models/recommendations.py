"""Work-reallocation runs (SPEC §4): inputs, one line per vendor, and approval."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .contracts import PERIOD_CHECK
from .types import Hundredths, JSONType, RecommendationStatus, UTCDateTime, enum_column

if TYPE_CHECKING:
    from .catalog import ServiceCategory, Vendor
    from .users import User


class Recommendation(Model):
    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK.format(col="target_period"), name="target_period_format"),
        CheckConstraint("volume > 0", name="volume_positive"),
        CheckConstraint("floor_share >= 0 AND floor_share <= 1", name="floor_fraction"),
        CheckConstraint("window_months >= 1", name="window_positive"),
        CheckConstraint(
            "(status = 'approved') = (approved_at IS NOT NULL)", name="approved_has_time"
        ),
        # At most one approved allocation per category and target period (SPEC §4), enforced by the database.
        Index(
            "uq_recommendations_one_approved_per_period",
            "category_id",
            "target_period",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
        CheckConstraint("basis IN ('score', 'shrunk')", name="basis_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_categories.id"), index=True)
    target_period: Mapped[str] = mapped_column(String(7))
    volume: Mapped[Decimal] = mapped_column(Hundredths)
    window_months: Mapped[int] = mapped_column(Integer, default=6)
    floor_share: Mapped[float] = mapped_column(Float, default=0.10)
    gamma: Mapped[float] = mapped_column(Float, default=2.0)
    probation_threshold: Mapped[float] = mapped_column(Float, default=50.0)
    unallocated: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0"))
    floor_dropped: Mapped[bool] = mapped_column(Boolean, default=False)
    # which score weighed the vendors (SPEC §4): the vendor score S, or the shrunk score θ of SPEC §3b
    basis: Mapped[str] = mapped_column(String(10), default="score", server_default="score")
    inputs: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[RecommendationStatus] = mapped_column(
        enum_column(RecommendationStatus, "recommendation_status"), default=RecommendationStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[ServiceCategory] = relationship(lazy="raise_on_sql")
    created_by: Mapped[User | None] = relationship(lazy="raise_on_sql", foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(lazy="raise_on_sql", foreign_keys=[approved_by_id])
    lines: Mapped[list[RecommendationLine]] = relationship(
        lazy="raise_on_sql",
        back_populates="recommendation", cascade="all, delete-orphan", order_by="RecommendationLine.id"
    )


class RecommendationLine(Model):
    __tablename__ = "recommendation_lines"
    __table_args__ = (
        UniqueConstraint("recommendation_id", "vendor_id", name="uq_recommendation_lines_vendor"),
        CheckConstraint("share >= 0 AND share <= 1", name="share_fraction"),
        CheckConstraint("volume >= 0", name="volume_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    score: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    insufficient_data: Mapped[bool] = mapped_column(Boolean, default=False)
    probation: Mapped[bool] = mapped_column(Boolean, default=False)
    share_before: Mapped[float] = mapped_column(Float, default=0.0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    volume: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0"))
    capacity: Mapped[Decimal | None] = mapped_column(Hundredths)
    reason: Mapped[str] = mapped_column(Text, default="")

    recommendation: Mapped[Recommendation] = relationship(lazy="raise_on_sql", back_populates="lines")
    vendor: Mapped[Vendor] = relationship(lazy="raise_on_sql")
