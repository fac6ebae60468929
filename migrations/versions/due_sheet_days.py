"""A category's sheet due days (issue 15): a month's sheet is due this many days after the month ends.

Revision ID: due_sheet_days
Revises: disputes_review_window
"""
import sqlalchemy as sa
from alembic import op

revision = "due_sheet_days"
down_revision = "disputes_review_window"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sheet_due_days", sa.Integer(), server_default="10", nullable=False))
        batch_op.create_check_constraint("sheet_due_days_range", "sheet_due_days BETWEEN 1 AND 60")


def downgrade():
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_service_categories_sheet_due_days_range"), type_="check")
        batch_op.drop_column("sheet_due_days")
