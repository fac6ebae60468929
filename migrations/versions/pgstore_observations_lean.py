"""Observations cheaper to store (issue 13): plain JSON, one composite foreign key, no contract-side indexes.

- values/context JSONB -> json on PostgreSQL (still validated JSON; no query uses JSONB operators or indexes).
- The two foreign keys (upload, contract) become one: (upload_id, contract_id, period) -> uploads(id,
  contract_id, period), so a row's contract and period are its upload's (stricter, one check per row).
- ix_observations_contract_period and ix_observations_contract_row_key dropped: every query now starts from
  the contract's uploads and reads their rows through uq_observations_upload_row_key.

Revision ID: pgstore_observations_lean
Revises: due_sheet_days
"""
from alembic import op

revision = "pgstore_observations_lean"
down_revision = "peers_benchmarks"
branch_labels = None
depends_on = None

def _json_columns(to_jsonb: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite stores both as JSON text already
    target = "jsonb" if to_jsonb else "json"
    for column in ("values", "context"):
        op.execute(f'ALTER TABLE observations ALTER COLUMN "{column}" TYPE {target} USING "{column}"::{target}')


def upgrade():
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_uploads_id_contract_period", ["id", "contract_id", "period"])
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index("ix_observations_contract_row_key")
        batch_op.drop_index("ix_observations_contract_period")
        batch_op.drop_constraint("fk_observations_contract_id_contracts", type_="foreignkey")
        batch_op.drop_constraint("fk_observations_upload_id_uploads", type_="foreignkey")
        batch_op.create_foreign_key("fk_observations_upload", "uploads", ["upload_id", "contract_id", "period"],
                                    ["id", "contract_id", "period"], ondelete="CASCADE")
    _json_columns(to_jsonb=False)


def downgrade():
    _json_columns(to_jsonb=True)
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_constraint("fk_observations_upload", type_="foreignkey")
        batch_op.create_foreign_key("fk_observations_upload_id_uploads", "uploads", ["upload_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_foreign_key("fk_observations_contract_id_contracts", "contracts", ["contract_id"], ["id"])
        batch_op.create_index("ix_observations_contract_period", ["contract_id", "period"], unique=False)
        batch_op.create_index("ix_observations_contract_row_key", ["contract_id", "row_key"], unique=False)
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_constraint("uq_uploads_id_contract_period", type_="unique")
