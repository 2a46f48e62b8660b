"""The reminder clock seen from outside: each clock process's last tick, and one alarm per silence

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): adds tables.
expand_only = True


def upgrade() -> None:
    op.create_table(
        'clock_ticks',
        sa.Column('clock_id', sa.String(length=128), nullable=False),
        sa.Column('started_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ticked_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('clock_id', name=op.f('pk_clock_ticks')),
    )
    op.create_table(
        'clock_silence_alarms',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('silent_since', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('claimed_by', sa.String(length=128), nullable=False),
        sa.Column('claimed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('posted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ts', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'],
                                name=op.f('fk_clock_silence_alarms_program_id_programs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'silent_since', name=op.f('pk_clock_silence_alarms')),
    )


def downgrade() -> None:
    op.drop_table('clock_silence_alarms')
    op.drop_table('clock_ticks')
