"""Index the pinned candidates of a program (the preference list reads them on every /soap list)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:52:46.844215
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py): Adds an index.
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index('ix_candidates_program_pinned', ['program_id', 'pinned_by'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_candidates_program_pinned')

