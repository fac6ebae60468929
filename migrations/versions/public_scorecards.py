"""Public scorecards (issue 16): when a category was published and by whom, and which of its context columns
may be published (none unless listed: they may hold addresses or residents' names).

Revision ID: public_scorecards
Revises: disputes_review_window
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from models.types import UTCDateTime

revision = "public_scorecards"
down_revision = "packet_meeting_action_items"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column(
            "publish_context_columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_service_categories_published_by_id_users"), "users",
                                    ["published_by_id"], ["id"])


def downgrade():
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_service_categories_published_by_id_users"), type_="foreignkey")
        batch_op.drop_column("publish_context_columns")
        batch_op.drop_column("published_by_id")
        batch_op.drop_column("published_at")
