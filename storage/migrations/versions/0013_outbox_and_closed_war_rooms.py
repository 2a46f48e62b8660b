"""The outbox: a post's intent is recorded before Slack is asked (bot_posts.marker), and a war room
closed because its channel was shared or made public is stored (programs.closed_at)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only adds nullable columns and an index: the code before this revision runs unchanged on it.
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('marker', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_bot_posts_marker', ['marker'], unique=True)
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programs', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
        batch_op.drop_column('closed_at')
    with op.batch_alter_table('bot_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_bot_posts_marker')
        batch_op.drop_column('marker')
