"""A thread belongs to one card: (program, thread ts) is unique among candidates

A program has one war-room channel, so this is (channel, thread ts). Before this, two candidates could
share a thread ts (the local console restarted its timestamps each session), and a reply in that
thread was saved on whichever candidate was read first. Every candidate of such a pair loses its
thread link: the thread cannot tell whose card it is, and the next `/soap candidate` posts a new card.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Adds a constraint only; code of the previous release never writes a shared thread on purpose.
expand_only = True


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE candidates SET thread_ts = NULL WHERE thread_ts IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM candidates other WHERE other.program_id = candidates.program_id"
        " AND other.thread_ts = candidates.thread_ts AND other.id <> candidates.id)"))
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_unique_constraint(op.f('uq_candidates_program_id_thread_ts'), ['program_id', 'thread_ts'])


def downgrade() -> None:
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_candidates_program_id_thread_ts'), type_='unique')
