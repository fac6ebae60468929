"""At most one approved allocation per category and target period (SPEC §4): a partial unique index.

Where two were already approved for one category and month, the earlier approvals go back to draft (the
latest one stands), so the index can be built.

Revision ID: d_one_approved_allocation
Revises: d_exact_money
"""
import sqlalchemy as sa
from alembic import op

revision = "d_one_approved_allocation"
down_revision = "d_exact_money"
branch_labels = None
depends_on = None

INDEX = "uq_recommendations_one_approved_per_period"
APPROVED = sa.text("status = 'approved'")


def upgrade():
    op.execute(
        "UPDATE recommendations SET status = 'draft', approved_at = NULL, approved_by_id = NULL "
        "WHERE status = 'approved' AND EXISTS (SELECT 1 FROM recommendations later "
        "WHERE later.category_id = recommendations.category_id "
        "AND later.target_period = recommendations.target_period AND later.status = 'approved' "
        "AND (later.approved_at > recommendations.approved_at "
        "OR (later.approved_at = recommendations.approved_at AND later.id > recommendations.id)))"
    )
    with op.batch_alter_table("recommendations") as batch_op:
        batch_op.create_index(INDEX, ["category_id", "target_period"], unique=True,
                              sqlite_where=APPROVED, postgresql_where=APPROVED)


def downgrade():
    with op.batch_alter_table("recommendations") as batch_op:
        batch_op.drop_index(INDEX)
