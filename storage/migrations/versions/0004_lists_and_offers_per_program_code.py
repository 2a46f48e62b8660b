"""One preference list per NRMP program code: positions carry a label, locks a code, applicants an availability

Existing data is carried over (`../shared/DOMAIN.md` §2: each track is its own program code):
- a program whose applicants' track values name exactly one program code and that has one
  positions row gets that code as the row's key, label the old track name; its offers and its
  locked lists move to the code too;
- a program with several positions rows: each row whose name is the label of exactly one of the
  program's codes (`categorical` -> `1234140C0 (Categorical)`) gets that code, and its offers with it;
  its locked lists stay whole lists (code NULL), each entry keeping the track it was locked with;
- a program whose export has no codes keeps its track names and its one list.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Expand and contract (storage/migrate.py). Not expand-only: it rewrites existing rows (positions' and offers' tracks become program codes),
# which the code before it reads by the old track names.
expand_only = False

# Frozen copy of bot.domain.program_codes' pattern: a migration must not change when the app does.
_CODE = re.compile(r"\b(\d{7}[A-Z]\d)\b")
_LABEL = re.compile(r"\(([^()]*)\)\s*$")
_LETTERS = {"C": "categorical", "P": "preliminary", "A": "advanced", "R": "reserved", "M": "primary care"}

candidates = sa.table("candidates", sa.column("program_id", sa.Integer), sa.column("tracks", sa.JSON))
positions = sa.table("positions", sa.column("program_id", sa.Integer), sa.column("track", sa.String),
                     sa.column("label", sa.String))
offers = sa.table("offers", sa.column("program_id", sa.Integer), sa.column("track", sa.String))
snapshots = sa.table("list_snapshots", sa.column("program_id", sa.Integer), sa.column("code", sa.String))


def _codes(bind: sa.engine.Connection, program_id: int) -> dict[str, str]:
    """code -> label (lower case) of every code in the program's applicants' track values."""
    found: dict[str, str] = {}
    for (tracks,) in bind.execute(sa.select(candidates.c.tracks).where(candidates.c.program_id == program_id)):
        for value in tracks or []:
            text = " ".join(str(value).split())
            code = _CODE.search(text.upper())
            if code:
                label = _LABEL.search(text)
                name = label.group(1).strip() if label and label.group(1).strip() else ""
                found.setdefault(code.group(1), (name or _LETTERS.get(code.group(1)[7], "")).casefold())
    return found


def upgrade() -> None:
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('label', sa.String(length=100), server_default='', nullable=False))
    with op.batch_alter_table('list_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=64), nullable=True))
    op.create_table(
        'applicant_availability',
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('recorded_by', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'],
                                name=op.f('fk_applicant_availability_candidate_id_candidates'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'],
                                name=op.f('fk_applicant_availability_program_id_programs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('candidate_id', name=op.f('pk_applicant_availability')),
    )
    with op.batch_alter_table('applicant_availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_applicant_availability_program_id'), ['program_id'], unique=False)

    bind = op.get_bind()
    rows = bind.execute(sa.select(positions.c.program_id, positions.c.track)).all()
    by_program: dict[int, list[str]] = {}
    for program_id, track in rows:
        by_program.setdefault(program_id, []).append(track)
    for program_id, tracks in by_program.items():
        codes = _codes(bind, program_id)
        if not codes:
            continue
        renames: dict[str, str] = {}
        if len(tracks) == 1 and len(codes) == 1:
            renames[tracks[0]] = next(iter(codes))
        else:
            for track in tracks:
                hits = [code for code, label in codes.items() if label == track.casefold()]
                if len(hits) == 1 and hits[0] not in tracks:
                    renames[track] = hits[0]
        for old, code in renames.items():
            bind.execute(positions.update().where(positions.c.program_id == program_id, positions.c.track == old)
                         .values(track=code, label=old))
            bind.execute(offers.update().where(offers.c.program_id == program_id, offers.c.track == old)
                         .values(track=code))
        if len(tracks) == 1 and len(codes) == 1:
            bind.execute(snapshots.update().where(snapshots.c.program_id == program_id)
                         .values(code=next(iter(codes))))


def downgrade() -> None:
    with op.batch_alter_table('applicant_availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applicant_availability_program_id'))
    op.drop_table('applicant_availability')
    with op.batch_alter_table('list_snapshots', schema=None) as batch_op:
        batch_op.drop_column('code')
    with op.batch_alter_table('positions', schema=None) as batch_op:
        batch_op.drop_column('label')
