"""Who set a candidate's override (a director or the pre-SOAP plan) is a column of its own

The plan replaces and clears only its own overrides; read from the reason's first words
("pre-SOAP plan: ..."), a director's reason worded that way would count as the plan's. Existing
overrides are sorted by that prefix (exact case), the only record there is of who set them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Adds a nullable column and fills it; nothing is dropped or renamed.
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('override_source', sa.String(length=16), nullable=True))
    candidates = sa.table('candidates', sa.column('override_bucket', sa.String),
                          sa.column('override_reason', sa.Text), sa.column('override_source', sa.String))
    overridden = candidates.c.override_bucket.is_not(None)
    prefix = 'pre-SOAP plan:'
    from_plan = sa.func.substr(candidates.c.override_reason, 1, len(prefix)) == prefix
    op.execute(candidates.update().where(overridden, from_plan).values(override_source='plan'))
    op.execute(candidates.update().where(overridden, candidates.c.override_source.is_(None))
               .values(override_source='director'))


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_column('override_source')
