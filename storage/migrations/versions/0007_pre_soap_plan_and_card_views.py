"""The pre-SOAP plan (plan_entries) and who opened which card (card_views)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): Adds tables.
expand_only = True


def upgrade() -> None:
    op.create_table(
        'plan_entries',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('aamc_id', sa.String(length=16), nullable=False),
        sa.Column('first_name', sa.String(length=200), nullable=False),
        sa.Column('last_name', sa.String(length=200), nullable=False),
        sa.Column('choice', sa.String(length=16), nullable=False),
        sa.Column('word', sa.String(length=200), nullable=False),
        sa.Column('interviewed', sa.Boolean(), nullable=False),
        sa.Column('rotated_here', sa.Boolean(), nullable=False),
        sa.Column('home_student', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('imported_by', sa.String(length=64), nullable=False),
        sa.Column('imported_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_plan_entries_program_id_programs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'aamc_id', name=op.f('pk_plan_entries')),
    )
    op.create_table(
        'card_views',
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('first_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_card_views_candidate_id_candidates'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_card_views_program_id_programs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('candidate_id', 'user_id', name=op.f('pk_card_views')),
    )
    with op.batch_alter_table('card_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_views_program_id'), ['program_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_views_program_id'))
    op.drop_table('card_views')
    op.drop_table('plan_entries')
