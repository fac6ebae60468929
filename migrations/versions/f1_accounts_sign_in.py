"""Accounts fit for a city: session version, MFA, forced password change, last sign-in, vendor users,
and aggregate sign-in failure counters.

Revision ID: f1_accounts_sign_in
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models

revision = "f1_accounts_sign_in"
down_revision = "g_jobs"
branch_labels = None
depends_on = None

OLD_ROLES = "'procurement', 'contract_manager', 'finance', 'admin'"
NEW_ROLES = OLD_ROLES + ", 'vendor'"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("kind", "key", name="uq_sign_in_throttles_kind_key"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({NEW_ROLES})")
        batch_op.add_column(sa.Column("vendor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_sign_in_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("recovery_code_hashes", JSON, nullable=True))
        batch_op.create_index(batch_op.f("ix_users_vendor_id"), ["vendor_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_vendor_id_vendors"), "vendors", ["vendor_id"], ["id"],
                                    ondelete="RESTRICT")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_vendor_id_vendors"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_vendor_id"))
        for column in ("recovery_code_hashes", "totp_last_step", "totp_secret", "password_changed_at",
                       "last_sign_in_at", "must_change_password", "session_version", "vendor_id"):
            batch_op.drop_column(column)
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({OLD_ROLES})")
    op.drop_table("sign_in_throttles")
