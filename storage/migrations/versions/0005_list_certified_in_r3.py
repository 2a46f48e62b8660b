"""A locked list records when a director entered and certified it in R3

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): Adds nullable columns.
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('list_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certified_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('certified_at', storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('list_snapshots', schema=None) as batch_op:
        batch_op.drop_column('certified_at')
        batch_op.drop_column('certified_by')
