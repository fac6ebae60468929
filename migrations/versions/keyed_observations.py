"""Observations keyed by (upload, row key); on PostgreSQL their upload is checked once per statement (issue 13).

- The surrogate `id` goes: the primary key is (upload_id, row_key), which was already unique and is how every
  read finds rows, so a stored row updates one index instead of two and no sequence.
- PostgreSQL: the composite foreign key (upload_id, contract_id, period) -> uploads checked each of a sheet's
  100,000 rows with its own lookup (most of the time COPY took). Triggers keep the same rule with one check per
  statement over the distinct (upload, contract, period) of the new rows, locking those uploads FOR KEY SHARE as
  the foreign key did; deleting an upload deletes its rows (ON DELETE CASCADE); changing an upload's id, contract
  or period under its rows is refused; truncating uploads empties observations (DELETE: TRUNCATE of a table
  the same command names would be refused).
  SQLite keeps the declared foreign key: its per-row check costs little there.

Revision ID: keyed_observations
Revises: pgstore_observations_lean
"""
import sqlalchemy as sa
from alembic import op

revision = "keyed_observations"
down_revision = "pgstore_observations_lean"
branch_labels = None
depends_on = None

FOREIGN_KEY = "fk_observations_upload"
VIOLATION = ('insert or update on table "observations" violates foreign key constraint "fk_observations_upload"')

POSTGRESQL_CHECKS = [
    f"""
    CREATE FUNCTION observations_check_upload() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- The rule of {FOREIGN_KEY}, once per statement: every new row's (upload, contract, period) is an upload's.
        IF EXISTS (
            SELECT 1 FROM (SELECT DISTINCT upload_id, contract_id, period FROM added) AS keys
            WHERE NOT EXISTS (
                SELECT 1 FROM uploads
                WHERE uploads.id = keys.upload_id AND uploads.contract_id = keys.contract_id
                  AND uploads.period = keys.period
                FOR KEY SHARE)
        ) THEN
            RAISE EXCEPTION '{VIOLATION}' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{FOREIGN_KEY}',
                DETAIL = 'Key (upload_id, contract_id, period) is not present in table "uploads".';
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER observations_upload_on_insert AFTER INSERT ON observations REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION observations_check_upload()",
    "CREATE TRIGGER observations_upload_on_update AFTER UPDATE ON observations REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION observations_check_upload()",
    """
    CREATE FUNCTION uploads_delete_observations() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM observations USING removed WHERE observations.upload_id = removed.id;  -- ON DELETE CASCADE
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER uploads_cascade_observations AFTER DELETE ON uploads REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION uploads_delete_observations()",
    f"""
    CREATE FUNCTION uploads_keep_observations_key() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM observations WHERE upload_id = OLD.id) THEN
            RAISE EXCEPTION 'update or delete on table "uploads" violates foreign key constraint "{FOREIGN_KEY}" '
                'on table "observations"' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{FOREIGN_KEY}';
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER uploads_observations_key AFTER UPDATE OF id, contract_id, period ON uploads FOR EACH ROW "
    "WHEN (OLD.id <> NEW.id OR OLD.contract_id <> NEW.contract_id OR OLD.period <> NEW.period) "
    "EXECUTE FUNCTION uploads_keep_observations_key()",
    """
    CREATE FUNCTION uploads_truncate_observations() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM observations;  -- the rows go with their uploads (TRUNCATE here fails if the command names both)
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER uploads_truncate_observations BEFORE TRUNCATE ON uploads "
    "FOR EACH STATEMENT EXECUTE FUNCTION uploads_truncate_observations()",
]
POSTGRESQL_DROPS = [
    "DROP TRIGGER IF EXISTS uploads_truncate_observations ON uploads",
    "DROP TRIGGER IF EXISTS uploads_observations_key ON uploads",
    "DROP TRIGGER IF EXISTS uploads_cascade_observations ON uploads",
    "DROP TRIGGER IF EXISTS observations_upload_on_update ON observations",
    "DROP TRIGGER IF EXISTS observations_upload_on_insert ON observations",
    "DROP FUNCTION IF EXISTS uploads_truncate_observations()",
    "DROP FUNCTION IF EXISTS uploads_keep_observations_key()",
    "DROP FUNCTION IF EXISTS uploads_delete_observations()",
    "DROP FUNCTION IF EXISTS observations_check_upload()",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE observations DROP CONSTRAINT {FOREIGN_KEY}")
        op.execute("ALTER TABLE observations DROP CONSTRAINT pk_observations")
        op.execute("ALTER TABLE observations DROP COLUMN id")
        op.execute("ALTER TABLE observations DROP CONSTRAINT uq_observations_upload_row_key, "
                   "ADD CONSTRAINT pk_observations PRIMARY KEY (upload_id, row_key)")
        for statement in POSTGRESQL_CHECKS:
            op.execute(statement)
        return
    with op.batch_alter_table("observations", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("uq_observations_upload_row_key", type_="unique")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_observations", ["upload_id", "row_key"])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_DROPS:
            op.execute(statement)
        op.execute("ALTER TABLE observations DROP CONSTRAINT pk_observations")
        op.execute("ALTER TABLE observations ADD COLUMN id SERIAL")
        op.execute("ALTER TABLE observations ADD CONSTRAINT pk_observations PRIMARY KEY (id)")
        op.execute("ALTER TABLE observations ADD CONSTRAINT uq_observations_upload_row_key UNIQUE (upload_id, row_key)")
        op.execute(f"ALTER TABLE observations ADD CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (upload_id, contract_id, period) "
                   "REFERENCES uploads (id, contract_id, period) ON DELETE CASCADE")
        return
    with op.batch_alter_table("observations", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_observations", type_="primary")
        batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint("uq_observations_upload_row_key", ["upload_id", "row_key"])
    with op.batch_alter_table("observations", schema=None, recreate="always") as batch_op:
        batch_op.alter_column("id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_primary_key("pk_observations", ["id"])
