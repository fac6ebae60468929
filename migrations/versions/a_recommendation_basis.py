"""Record the basis of a recommendation: the vendor score S or the shrunk score θ (SPEC §4, §3b).

Revision ID: a_recommendation_basis
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "a_recommendation_basis"
down_revision = "f1_accounts_sign_in"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.String(length=10), server_default="score", nullable=False))
        batch_op.create_check_constraint(op.f("ck_recommendations_basis_known"), "basis IN ('score', 'shrunk')")


def downgrade():
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_recommendations_basis_known"), type_="check")
        batch_op.drop_column("basis")
