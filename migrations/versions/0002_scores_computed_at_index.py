"""Index the time scores were computed: the newest one tells cached pages whether scores changed.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contract_period_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_period_scores_computed_at"), ["computed_at"], unique=False)


def downgrade():
    with op.batch_alter_table("contract_period_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_period_scores_computed_at"))
