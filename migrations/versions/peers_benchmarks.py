"""Peer cities' benchmark files (issue 16): one stored per city and category.

Revision ID: peers_benchmarks
Revises: due_sheet_days
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "peers_benchmarks"
down_revision = "api_tokens"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "peer_benchmarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("city_name", sa.String(length=200), nullable=False),
        sa.Column("category_slug", sa.String(length=80), nullable=False),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["imported_by_id"], ["users.id"], name="fk_peer_benchmarks_imported_by_id_users",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_peer_benchmarks"),
        sa.UniqueConstraint("city_name", "category_slug", name="uq_peer_benchmarks_city_category"),
    )
    op.create_index("ix_peer_benchmarks_category_slug", "peer_benchmarks", ["category_slug"])


def downgrade():
    op.drop_index("ix_peer_benchmarks_category_slug", table_name="peer_benchmarks")
    op.drop_table("peer_benchmarks")
