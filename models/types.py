"""Column types shared by the models: UTC datetimes, JSON, and the domain's enumerations."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import JSON, DateTime, Enum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always hands back aware UTC values (SQLite drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times in UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Role(str, enum.Enum):
    PROCUREMENT = "procurement"
    CONTRACT_MANAGER = "contract_manager"
    FINANCE = "finance"
    ADMIN = "admin"
    VENDOR = "vendor"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize().replace("Procurement", "Procurement officer")


class ContractStatus(str, enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class Direction(str, enum.Enum):
    HIGHER = "higher"
    LOWER = "lower"


class Aggregation(str, enum.Enum):
    MEAN = "mean"
    MEDIAN = "median"
    SUM = "sum"
    PERCENT_TRUE = "percent_true"
    PERCENT_MEETING = "percent_meeting"
    RATIO = "ratio"


class Curve(str, enum.Enum):
    LINEAR = "linear"
    RATIO = "ratio"
    PASS_FAIL = "pass_fail"


class UploadStatus(str, enum.Enum):
    STAGED = "staged"
    COMMITTED = "committed"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"


class ClauseStatus(str, enum.Enum):
    MET = "met"
    PARTIAL = "partial"
    FAILED = "failed"
    NO_DATA = "no_data"


class RecommendationStatus(str, enum.Enum):
    DRAFT = "draft"
    APPROVED = "approved"


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: stored as the value string with a CHECK constraint on every backend."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
        length=32,
    )
