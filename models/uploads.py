"""Monthly performance sheets and the rows (observations) they commit."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import ONLY_ON, Model, utcnow
from .contracts import PERIOD_CHECK
from .types import JSONType, UploadStatus, UTCDateTime, enum_column

if TYPE_CHECKING:
    from .contracts import Contract
    from .users import User


class Upload(Model):
    __tablename__ = "uploads"
    __table_args__ = (
        CheckConstraint(PERIOD_CHECK.format(col="period"), name="period_format"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        # At most one committed upload per contract and period, enforced by the database.
        Index(
            "uq_uploads_one_committed_per_period",
            "contract_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'committed'"),
            postgresql_where=text("status = 'committed'"),
        ),
        # The parent key of an observation's (upload, contract, period): one foreign key check per stored row.
        UniqueConstraint("id", "contract_id", "period", name="uq_uploads_id_contract_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[UploadStatus] = mapped_column(
        enum_column(UploadStatus, "upload_status"), default=UploadStatus.STAGED
    )
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict] = mapped_column(JSONType, default=dict)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SPEC §8: the vendor's review window of this upload's data closes here (commit + the category's review days).
    review_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("uploads.id"))
    supersede_reason: Mapped[str | None] = mapped_column(Text)

    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")
    uploaded_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
    observations: Mapped[list[Observation]] = relationship(
        lazy="raise_on_sql",
        back_populates="upload", cascade="all, delete-orphan", passive_deletes=True
    )


class Observation(Model):
    """One data row (one unit of work) of a committed upload, kept for drill-down and rescoring."""

    __tablename__ = "observations"
    # Every read starts from uploads (one upload's rows, or a contract's committed uploads), so the primary key
    # (upload, row key) serves them all; one foreign key makes the row's contract and period its upload's.
    # values/context are plain JSON (text, validated) on PostgreSQL too: no query needs JSONB operators and
    # JSONB's conversion was most of the cost of storing a sheet (issue 13).
    # On PostgreSQL the foreign key's rule is kept by triggers that check once per statement, not per row
    # (migration keyed_observations): the declared key exists on SQLite only.
    __table_args__ = (
        ForeignKeyConstraint(["upload_id", "contract_id", "period"], ["uploads.id", "uploads.contract_id", "uploads.period"],
                             name="fk_observations_upload", ondelete="CASCADE",
                             info={ONLY_ON: ("sqlite",)}).ddl_if(dialect="sqlite"),
    )

    upload_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    contract_id: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(7))
    row_number: Mapped[int] = mapped_column(Integer)
    work_date: Mapped[date | None]
    # Clause key -> number/bool/None; context column -> text.
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    context: Mapped[dict] = mapped_column(JSON, default=dict)

    upload: Mapped[Upload] = relationship(lazy="raise_on_sql", back_populates="observations")
