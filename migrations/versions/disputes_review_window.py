"""The review window and disputes (SPEC §8): a category's review days, when each upload's window closes,
the vendor's comments and disputes of a month, and their evidence files.

Committed uploads already stored get a window of 14 days from their commit (the default review days).

Revision ID: disputes_review_window
Revises: a_data_version
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from models.types import UTCDateTime

revision = 'disputes_review_window'
down_revision = "plans_action_plans"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'upheld', 'rejected', name='dispute_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('clause_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('row_keys', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('corrected_upload_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("length(period) = 7 AND substr(period, 5, 1) = '-' AND substr(period, 6, 2) IN ('01','02','03','04','05','06','07','08','09','10','11','12') AND CAST(substr(period, 1, 4) AS INTEGER) BETWEEN 1900 AND 2999", name=op.f('ck_disputes_period_format')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_disputes_contract_id_contracts')),
    sa.ForeignKeyConstraint(['corrected_upload_id'], ['uploads.id'], name=op.f('fk_disputes_corrected_upload_id_uploads')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_disputes_opened_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_disputes_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_disputes_upload_id_uploads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disputes'))
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_contract_period', ['contract_id', 'period'], unique=False)

    op.create_table('month_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("length(period) = 7 AND substr(period, 5, 1) = '-' AND substr(period, 6, 2) IN ('01','02','03','04','05','06','07','08','09','10','11','12') AND CAST(substr(period, 1, 4) AS INTEGER) BETWEEN 1900 AND 2999", name=op.f('ck_month_comments_period_format')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_month_comments_author_id_users')),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_month_comments_contract_id_contracts')),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_month_comments_upload_id_uploads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_month_comments'))
    )
    with op.batch_alter_table('month_comments', schema=None) as batch_op:
        batch_op.create_index('ix_month_comments_contract_period', ['contract_id', 'period'], unique=False)

    op.create_table('dispute_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dispute_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('uploaded_at', UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_dispute_evidence_sha256_length')),
    sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id'], name=op.f('fk_dispute_evidence_dispute_id_disputes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispute_evidence'))
    )
    with op.batch_alter_table('dispute_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_evidence_dispute_id'), ['dispute_id'], unique=False)

    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.create_check_constraint('review_days_range', 'review_days BETWEEN 1 AND 90')

    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_closes_at', UTCDateTime(timezone=True), nullable=True))

    _backfill_windows()


def _backfill_windows():
    """Each committed or superseded upload's window: 14 days from its commit."""
    uploads = sa.table("uploads", sa.column("id", sa.Integer), sa.column("committed_at", UTCDateTime(timezone=True)),
                       sa.column("review_closes_at", UTCDateTime(timezone=True)))
    connection = op.get_bind()
    rows = connection.execute(sa.select(uploads.c.id, uploads.c.committed_at)
                              .where(uploads.c.committed_at.is_not(None))).all()
    for upload_id, committed_at in rows:
        connection.execute(uploads.update().where(uploads.c.id == upload_id)
                           .values(review_closes_at=committed_at + timedelta(days=14)))


def downgrade():
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_column('review_closes_at')

    with op.batch_alter_table('service_categories', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_service_categories_review_days_range'), type_='check')
        batch_op.drop_column('review_days')

    with op.batch_alter_table('dispute_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_evidence_dispute_id'))

    op.drop_table('dispute_evidence')
    with op.batch_alter_table('month_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_month_comments_contract_period')

    op.drop_table('month_comments')
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_contract_period')

    op.drop_table('disputes')
