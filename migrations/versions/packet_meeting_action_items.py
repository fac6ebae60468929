"""Action items of the monthly meeting per category (issue 15, the meeting packet).

Revision ID: packet_meeting_action_items
Revises: due_sheet_days
"""
import sqlalchemy as sa
from alembic import op

from models.contracts import PERIOD_CHECK
from models.types import UTCDateTime

revision = "packet_meeting_action_items"
down_revision = "due_sheet_days"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("open", "done", "dropped", name="action_item_status", native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(owner_user_id IS NULL) <> (owner_name IS NULL)",
                           name=op.f("ck_meeting_action_items_one_owner")),
        sa.CheckConstraint(PERIOD_CHECK.format(col="period"), name=op.f("ck_meeting_action_items_period_format")),
        sa.ForeignKeyConstraint(["category_id"], ["service_categories.id"],
                                name=op.f("fk_meeting_action_items_category_id_service_categories"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_user_id"], ["users.id"],
                                name=op.f("fk_meeting_action_items_owner_user_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_meeting_action_items_created_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_action_items")),
    )
    with op.batch_alter_table("meeting_action_items", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_action_items_category_period", ["category_id", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_action_items_owner_user_id"), ["owner_user_id"], unique=False)


def downgrade():
    op.drop_table("meeting_action_items")
