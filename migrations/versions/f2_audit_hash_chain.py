"""Hash-chain the audit trail (prev_hash, hash; existing events back-filled in id order) and refuse TRUNCATE.

Revision ID: f2_audit_hash_chain
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

from models.audit import HASHED_FIELDS, event_hash
from models.types import JSONType, UTCDateTime

revision = "f2_audit_hash_chain"
down_revision = "c_upload_replaced"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    verb: f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
    for verb in ("UPDATE", "DELETE")
}

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("occurred_at", UTCDateTime), sa.column("user_id", sa.Integer),
    sa.column("actor", sa.String), sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.String), sa.column("summary", sa.Text), sa.column("before", JSONType),
    sa.column("after", JSONType), sa.column("ip_address", sa.String), sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _backfill(bind) -> None:
    """Chain the events already stored, oldest first (the owner running this may update them)."""
    previous = None
    rows = bind.execute(sa.select(*(events.c[name] for name in ("id", *HASHED_FIELDS[:-1]))).order_by(events.c.id))
    for row in rows.mappings().all():
        content = {**row, "prev_hash": previous}
        digest = event_hash(content)
        bind.execute(events.update().where(events.c.id == row["id"]).values(prev_hash=previous, hash=digest))
        previous = digest


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for verb in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _backfill(bind)
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
    if sqlite:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for verb in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    if sqlite:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
