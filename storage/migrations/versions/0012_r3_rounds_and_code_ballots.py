"""Availability with its round and kind of position, and a member's ordering per program code

`applicant_availability.in_round` (the round an applicant accepted elsewhere or withdrew, as typed)
and `.kind` (the kind of position accepted elsewhere); `code_rankings` (`/soap rank <code> …`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Adds a table and two nullable columns; the previous release reads and writes as before.
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('applicant_availability', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_round', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
    op.create_table(
        'code_rankings',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                                name=op.f('fk_code_rankings_candidate_id_candidates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'],
                                name=op.f('fk_code_rankings_program_id_programs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'user_id', 'code', 'candidate_id', name=op.f('pk_code_rankings')),
    )


def downgrade() -> None:
    op.drop_table('code_rankings')
    with op.batch_alter_table('applicant_availability', schema=None) as batch_op:
        batch_op.drop_column('kind')
        batch_op.drop_column('in_round')
