"""Upload status 'replaced': a staged sheet whose month another upload committed first.

Revision ID: c_upload_replaced
Revises: 0002
"""
from alembic import op

revision = "c_upload_replaced"
down_revision = "d_one_approved_allocation"
branch_labels = None
depends_on = None

BEFORE = "status IN ('staged', 'committed', 'superseded', 'rejected')"
AFTER = "status IN ('staged', 'committed', 'superseded', 'rejected', 'replaced')"


def _status_check(condition: str) -> None:
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_uploads_upload_status"), type_="check")
        batch_op.create_check_constraint("upload_status", condition)


def upgrade():
    _status_check(AFTER)


def downgrade():
    op.execute("UPDATE uploads SET status = 'rejected' WHERE status = 'replaced'")
    _status_check(BEFORE)
