"""Every message and file the bot puts in Slack is recorded, so a purge deletes them all

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): Adds a table.
expand_only = True


def upgrade() -> None:
    op.create_table(
        'bot_posts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('channel_id', sa.String(length=32), nullable=False),
        sa.Column('ref', sa.String(length=32), nullable=False),
        sa.Column('thread_ts', sa.String(length=32), nullable=True),
        sa.Column('posted_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('problem', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_posts')),
        sa.UniqueConstraint('kind', 'channel_id', 'ref', name=op.f('uq_bot_posts_kind_channel_id_ref')),
    )
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.create_index('ix_bot_posts_channel_pending', ['channel_id', 'deleted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_posts_channel_pending')
    op.drop_table('bot_posts')
