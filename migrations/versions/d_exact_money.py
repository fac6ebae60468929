"""Money and volumes stored exactly, as integer hundredths (cents), on every database; bonus and penalty paid in cents.

SQLite bound the Numeric columns as binary floats (43749999999.999562 read back as ...565). Existing amounts
are converted (x 100, rounded half up); bonus and penalty are rounded to the cent and net recomputed from them.

Revision ID: d_exact_money
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "d_exact_money"
down_revision = "0002"
branch_labels = None
depends_on = None

# table -> {column: (old type, nullable)}
COLUMNS = {
    "contracts": {"value": (sa.Numeric(14, 2), False), "capacity": (sa.Numeric(14, 2), True)},
    "contract_period_scores": {
        "invoice_amount": (sa.Numeric(16, 2), True), "bonus": (sa.Numeric(20, 6), False),
        "penalty": (sa.Numeric(20, 6), False), "net": (sa.Numeric(20, 6), False),
    },
    "recommendations": {"volume": (sa.Numeric(14, 2), False), "unallocated": (sa.Numeric(14, 2), False)},
    "recommendation_lines": {"volume": (sa.Numeric(14, 2), False), "capacity": (sa.Numeric(14, 2), True)},
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    for table, columns in COLUMNS.items():
        if _sqlite():
            # Scale in place first (still numeric), then let batch mode copy into BIGINT columns.
            # ROUND(x) rounds half away from zero: half up for the non-negative amounts.
            op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = ROUND({c} * 100)" for c in columns))
            with op.batch_alter_table(table) as batch_op:
                for column, (old_type, nullable) in columns.items():
                    batch_op.alter_column(column, existing_type=old_type, type_=sa.BigInteger(),
                                          existing_nullable=nullable)
        else:
            for column, (old_type, nullable) in columns.items():
                op.alter_column(table, column, existing_type=old_type, type_=sa.BigInteger(),
                                existing_nullable=nullable, postgresql_using=f"round({column} * 100)::bigint")
    op.execute("UPDATE contract_period_scores SET net = bonus - penalty")


def downgrade():
    for table, columns in COLUMNS.items():
        if _sqlite():
            with op.batch_alter_table(table) as batch_op:
                for column, (old_type, nullable) in columns.items():
                    batch_op.alter_column(column, existing_type=sa.BigInteger(), type_=old_type,
                                          existing_nullable=nullable)
            op.execute(f"UPDATE {table} SET " + ", ".join(f"{c} = {c} / 100.0" for c in columns))
        else:
            for column, (old_type, nullable) in columns.items():
                op.alter_column(table, column, existing_type=sa.BigInteger(), type_=old_type,
                                existing_nullable=nullable, postgresql_using=f"({column} / 100.0)")
