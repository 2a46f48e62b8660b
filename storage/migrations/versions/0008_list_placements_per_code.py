"""A director's pins and exclusions per program code's list

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): Adds a table.
expand_only = True


def upgrade() -> None:
    op.create_table(
        'list_placements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('placed_by', sa.String(length=32), nullable=False),
        sa.Column('placed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                                name=op.f('fk_list_placements_candidate_id_candidates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'],
                                name=op.f('fk_list_placements_program_id_programs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_placements')),
        sa.UniqueConstraint('candidate_id', 'code', name=op.f('uq_list_placements_candidate_id_code')),
    )
    with op.batch_alter_table('list_placements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_list_placements_program_id'), ['program_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('list_placements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_list_placements_program_id'))
    op.drop_table('list_placements')
