"""A one-row counter that every write transaction bumps: the rankings page's cache key (issue 10).

Revision ID: a_data_version
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "a_data_version"
down_revision = "a_recommendation_basis"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade():
    op.drop_table("data_version")
