"""Which revisions' code may run against the database, recorded by `soapbot db upgrade`

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): adds a table.
expand_only = True


def upgrade() -> None:
    op.create_table(
        'runnable_revisions',
        sa.Column('revision', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('revision', name=op.f('pk_runnable_revisions')),
    )


def downgrade() -> None:
    op.drop_table('runnable_revisions')
