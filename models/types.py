"""Column types shared by the models: UTC datetimes, exact decimals, JSON, and the domain's enumerations."""
from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import JSON, BigInteger, DateTime, Enum
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
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class ExactDecimal(TypeDecorator):
    """A Decimal stored as an integer count of 10^-places units (cents for places=2), exact on every database.

    SQLite binds Numeric columns as binary floats (43749999999.999562 reads back as ...565); an integer does
    not. Values with more decimals than `places` are rounded half up, as a Numeric(p, places) column would.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2):
        super().__init__()
        self.places = places
        self.quantum = Decimal(1).scaleb(-places)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, bool):
            raise TypeError("a boolean is not an amount")
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise ValueError(f"{value} is not a finite amount")
        return int(number.quantize(self.quantum, rounding=ROUND_HALF_UP).scaleb(self.places))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self.quantum)

    def process_literal_param(self, value, dialect):
        return str(self.process_bind_param(value, dialect))

    @property
    def python_type(self):
        return Decimal


Money = ExactDecimal(2)  # dollars and cents, stored as integer cents (SPEC §3)
Hundredths = ExactDecimal(2)  # volumes and capacities in the category's unit, to 2 decimals (SPEC §4)


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
    REPLACED = "replaced"  # staged, then another upload of its month was committed first


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


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
