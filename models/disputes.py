"""A vendor's say on a committed month (SPEC §8): comments, disputes of clause results or rows, their
evidence files and their resolution."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model, utcnow
from .contracts import PERIOD_CHECK
from .types import JSONType, UTCDateTime, enum_column

if TYPE_CHECKING:
    from .contracts import Contract
    from .uploads import Upload
    from .users import User


class DisputeStatus(str, enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class MonthComment(Model):
    """A vendor user's comment on a committed month, kept with the month's record."""

    __tablename__ = "month_comments"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        Index("ix_month_comments_contract_period", "contract_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    period: Mapped[str] = mapped_column(String(7))
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise_on_sql")


class Dispute(Model):
    """A vendor's dispute of clause results (clause keys) and/or rows (row keys) of a committed month."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        Index("ix_disputes_contract_period", "contract_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    period: Mapped[str] = mapped_column(String(7))
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))  # the data disputed
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus, "dispute_status"),
                                                  default=DisputeStatus.OPEN)
    clause_keys: Mapped[list] = mapped_column(JSONType, default=list)
    row_keys: Mapped[list] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Upheld: the corrected sheet, staged from the dispute and linked when it is committed.
    corrected_upload_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")
    upload: Mapped[Upload] = relationship(foreign_keys=[upload_id], lazy="raise_on_sql")
    corrected_upload: Mapped[Upload | None] = relationship(foreign_keys=[corrected_upload_id], lazy="raise_on_sql")
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id], lazy="raise_on_sql")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="raise_on_sql")
    evidence: Mapped[list[DisputeEvidence]] = relationship(
        back_populates="dispute", lazy="raise_on_sql", order_by="DisputeEvidence.id")

    @property
    def is_open(self) -> bool:
        return self.status == DisputeStatus.OPEN


class DisputeEvidence(Model):
    """One evidence file of a dispute, stored under UPLOAD_FOLDER with a generated name."""

    __tablename__ = "dispute_evidence"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(8))  # pdf, xlsx, csv, png, jpg
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dispute: Mapped[Dispute] = relationship(back_populates="evidence", lazy="raise_on_sql")
