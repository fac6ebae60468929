"""Staff and vendor accounts, their role, sign-in state (session version, MFA), which contracts a contract
manager may upload for, and the aggregate sign-in failure counters that throttle guessing."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .base import Model, utcnow
from .catalog import Vendor
from .contracts import Contract
from .types import JSONType, Role, UTCDateTime, enum_column


class User(UserMixin, Model):
    __tablename__ = "users"
    # A vendor user belongs to exactly one vendor, city staff to none (SPEC §1): never a vendor user who could
    # be confined to nothing, nor a city user who could be taken for a vendor's.
    __table_args__ = (
        CheckConstraint("(role = 'vendor') = (vendor_id IS NOT NULL)", name="vendor_users_have_a_vendor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A vendor user belongs to one vendor (SPEC §1); NULL for city staff.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    # Bumped by sign-out, password change, role change and deactivation: every older session ends.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP (RFC 6238) secret, base32; NULL until the user has enrolled.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last 30-second step a code was accepted for: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # SHA-256 of each unused one-time recovery code.
    recovery_code_hashes: Mapped[list | None] = mapped_column(JSONType)

    vendor: Mapped[Vendor | None] = relationship(lazy="raise_on_sql")
    assignments: Mapped[list[ContractAssignment]] = relationship(
        lazy="raise_on_sql",
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # flask-login refuses disabled accounts
        return self.is_enabled

    @property
    def mfa_enabled(self) -> bool:
        return bool(self.totp_secret)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.email


class ContractAssignment(Model):
    """A contract manager assigned by an admin to a contract they upload sheets for."""

    __tablename__ = "contract_assignments"
    __table_args__ = (UniqueConstraint("user_id", "contract_id", name="uq_contract_assignments_user_contract"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise_on_sql", back_populates="assignments")
    contract: Mapped[Contract] = relationship(lazy="raise_on_sql")


class SignInThrottle(Model):
    """Failed sign-ins in aggregate: one row per account (the email typed) and one per client address."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_sign_in_throttles_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "account" or "address"
    key: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
