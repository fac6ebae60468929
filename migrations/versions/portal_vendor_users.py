"""A vendor user belongs to exactly one vendor, city staff to none (SPEC §1, the vendor portal): a CHECK.

The services never made either (create-user and the Users page require the vendor; a role change away from
vendor clears it), so existing data fits. Should a vendor account without a vendor exist anyway, the upgrade
stops and says what to do: it is not guessed here.

Revision ID: portal_vendor_users
Revises: a_data_version
"""
import sqlalchemy as sa
from alembic import op

revision = "portal_vendor_users"
down_revision = "a_data_version"
branch_labels = None
depends_on = None

CHECK = "(role = 'vendor') = (vendor_id IS NOT NULL)"


def upgrade():
    users = sa.table("users", sa.column("role", sa.String), sa.column("vendor_id", sa.Integer),
                     sa.column("is_enabled", sa.Boolean))
    # City staff never belong to a vendor; a vendor account without one can't be fixed here.
    op.execute(users.update().where(users.c.role != "vendor", users.c.vendor_id.is_not(None)).values(vendor_id=None))
    orphans = op.get_bind().execute(sa.select(sa.func.count()).select_from(users).where(
        users.c.role == "vendor", users.c.vendor_id.is_(None))).scalar()
    if orphans:
        raise RuntimeError(f"{orphans} vendor user(s) have no vendor: give each its vendor (Users → Manage) or "
                           "another role, then run the upgrade again")
    with op.batch_alter_table("users") as batch_op:
        batch_op.create_check_constraint("vendor_users_have_a_vendor", CHECK)


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint(op.f("ck_users_vendor_users_have_a_vendor"), type_="check")
