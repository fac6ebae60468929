"""Corrective action plans and their milestones (SPEC §9), and in-app notifications.

Revision ID: plans_action_plans
Revises: a_data_version
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'plans_action_plans'
down_revision = "portal_vendor_users"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('action_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('failed_clause', 'probation', 'other', name='plan_reason', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('source_period', sa.String(length=7), nullable=True),
    sa.Column('clause_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('outcome_required', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'completed', 'failed', name='plan_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closing_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_action_plans_closed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_action_plans_contract_id_contracts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_action_plans_opened_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plans'))
    )
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plans_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_plans_opened_by_id'), ['opened_by_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link_path', sa.String(length=500), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notifications_user_dedupe_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('action_plan_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'met', 'missed', name='milestone_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('vendor_answer', sa.Text(), nullable=True),
    sa.Column('answered_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marking_note', sa.Text(), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_action_plan_milestones_position_from_one')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_action_plan_milestones_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['marked_by_id'], ['users.id'], name=op.f('fk_action_plan_milestones_marked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['action_plans.id'], name=op.f('fk_action_plan_milestones_plan_id_action_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_plan_milestones')),
    sa.UniqueConstraint('plan_id', 'position', name='uq_action_plan_milestones_plan_position')
    )
    with op.batch_alter_table('action_plan_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_plan_milestones_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_plan_milestones_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('action_plan_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_plan_milestones_plan_id'))
        batch_op.drop_index(batch_op.f('ix_action_plan_milestones_due_on'))

    op.drop_table('action_plan_milestones')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')

    op.drop_table('notifications')
    with op.batch_alter_table('action_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_plans_opened_by_id'))
        batch_op.drop_index(batch_op.f('ix_action_plans_contract_id'))

    op.drop_table('action_plans')
