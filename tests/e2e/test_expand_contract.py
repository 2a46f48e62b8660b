"""A rolling deploy and a rollback: this release against a database that a later release has upgraded.

The later release is this code in a temporary copy with two more migrations on top of head: one that
only adds (`expand_only = True`) and one that drops a column this release uses. Its `soapbot db upgrade`
(run from the copy, as that release's release step would) upgrades the database one migration at a
time; this release's `soapbot serve` then starts against the first and refuses the second, naming it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.database import Database, dispose_engines
from storage.migrate import head_revision, upgrade
from tests.conftest import BACKENDS
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.harness.processes import SOAPBOT, free_port, soapbot_env, stop, wait_healthy
from tests.harness.slack_api import SlackStandIn

ROOT = Path(__file__).resolve().parents[2]

EXPAND = '''"""A later release adds a note to each program

Revision ID: {revision}
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None
expand_only = True


def upgrade() -> None:
    with op.batch_alter_table('programs') as batch_op:
        batch_op.add_column(sa.Column('later_note', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('programs') as batch_op:
        batch_op.drop_column('later_note')
'''

CONTRACT = '''"""A later release stops marking cards stale and drops the column

Revision ID: {revision}
Revises: {down}
"""
import sqlalchemy as sa
from alembic import op

revision = {revision!r}
down_revision = {down!r}
branch_labels = None
depends_on = None
expand_only = False


def upgrade() -> None:
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.drop_column('card_stale')


def downgrade() -> None:
    with op.batch_alter_table('candidates') as batch_op:
        batch_op.add_column(sa.Column('card_stale', sa.Boolean(), server_default=sa.false(), nullable=False))
'''


@pytest.fixture(params=BACKENDS)
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of this test's own at this release's head (the later release's migrations change its
    schema, which no other test may see)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'soap.db'}"
        upgrade(Database(url))
        yield url
        return
    admin_url = "postgresql+psycopg://" + os.environ["TEST_DATABASE_URL"].split("://", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"soap_rolling_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        upgrade(Database(url))
        yield url
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _later_release(tmp_path: Path, head: str) -> tuple[Path, str, str]:
    """This code copied with an expand-only and a contract migration on top; the copy and their revisions."""
    release = tmp_path / "later-release"
    for package in ("bot", "handlers", "storage"):
        shutil.copytree(ROOT / package, release / package, ignore=shutil.ignore_patterns("__pycache__"))
    expand, contract = f"{int(head) + 1:04d}", f"{int(head) + 2:04d}"
    versions = release / "storage" / "migrations" / "versions"
    (versions / f"{expand}_later_program_note.py").write_text(EXPAND.format(revision=expand, down=head))
    (versions / f"{contract}_later_drop_card_stale.py").write_text(CONTRACT.format(revision=contract, down=expand))
    return release, expand, contract


def _later_upgrade(release: Path, database_url: str, revision: str) -> str:
    """The later release's upgrade to `revision` (what its `soapbot db upgrade` runs), from its copy;
    the revision the database is at after it."""
    code = ("import storage.migrate as m; from storage.database import Database; "
            f"assert m.__file__.startswith({str(release)!r}), m.__file__; "
            f"print(m.upgrade(Database({database_url!r}), {revision!r}).database)")
    result = subprocess.run([sys.executable, "-c", code], cwd=release, capture_output=True, timeout=120,
                            env=soapbot_env(PYTHONPATH=str(release)), check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode().strip()


def _serve(database_url: str, standin: SlackStandIn, cwd: Path) -> subprocess.Popen[bytes]:
    port = free_port()
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
                      DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="1")
    process = subprocess.Popen([SOAPBOT, "serve"], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    process.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    return process


def _db_upgrade(database_url: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """This release's `soapbot db upgrade` (its release step, as in a rollback)."""
    return subprocess.run([SOAPBOT, "db", "upgrade"], cwd=cwd, env=soapbot_env(DATABASE_URL=database_url),
                          capture_output=True, timeout=60, check=False)


def test_this_release_starts_after_a_later_expand_only_migration_and_refuses_after_a_contract(
        own_database_url: str, standin: SlackStandIn, tmp_path: Path) -> None:
    head = head_revision(Database(own_database_url))
    assert head is not None
    release, expand, contract = _later_release(tmp_path, head)

    # The later release's release step, up to its expand-only migration: this release still starts.
    assert _later_upgrade(release, own_database_url, expand) == expand
    serving = _serve(own_database_url, standin, tmp_path)
    try:
        wait_healthy(serving, serving.url, timeout=60)  # type: ignore[attr-defined]
    finally:
        stop(serving)
    # A rollback to this release runs its release step first: nothing to do, and it says why.
    rolled_back = _db_upgrade(own_database_url, tmp_path)
    assert rolled_back.returncode == 0, rolled_back.stderr.decode()
    assert f"ahead of this version ({head})" in rolled_back.stdout.decode()
    assert "only adds" in rolled_back.stdout.decode()

    # Then to its contract migration: this release refuses, naming both revisions and what to upgrade.
    assert _later_upgrade(release, own_database_url, contract) == contract
    refused = subprocess.run([SOAPBOT, "serve"], cwd=tmp_path, env=soapbot_env(
        SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
        DATABASE_URL=own_database_url, PORT=str(free_port())), capture_output=True, timeout=60, check=False)
    message = refused.stderr.decode()
    assert refused.returncode == 2, message
    assert f"The database is at revision {contract}, ahead of this version ({head})" in message
    assert "Upgrade the code" in message
    assert "Run `soapbot db upgrade`" not in message  # the advice for a database that is behind
    assert "Can't locate revision" not in message and "Traceback" not in message
    # Its release step refuses too, with the same words, so a rollback past a contract stops there.
    refused_upgrade = _db_upgrade(own_database_url, tmp_path)
    assert refused_upgrade.returncode == 2
    assert f"revision {contract}, ahead of this version ({head})" in refused_upgrade.stderr.decode()
