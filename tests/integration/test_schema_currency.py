"""Whether a process of this code may start against the database: behind, current, or ahead (both databases)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from storage.database import Database
from storage.migrate import (
    SchemaBehind,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    is_expand_only,
    runnable_revisions,
    schema_state,
    upgrade,
)


def _downgrade(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_an_upgrade_records_each_revision_whose_code_runs_against_the_database(database: Database) -> None:
    _downgrade(database, "0009")
    upgrade(database)
    with database.engine.connect() as connection:
        recorded = set(connection.scalars(sa.text("SELECT revision FROM runnable_revisions")))
    script = ScriptDirectory.from_config(alembic_config(database))
    assert recorded == set(runnable_revisions(script, head_revision(database) or ""))
    # Down to the first migration that is not expand-only (0004 rewrote rows the code before it read): code
    # at that revision may run, code older than it may not.
    lowest = min(recorded)
    assert not is_expand_only(script, lowest)
    assert all(is_expand_only(script, r) for r in recorded - {lowest})


def test_a_database_behind_is_upgraded_in_place_on_sqlite_and_refused_on_postgresql(database: Database) -> None:
    head = head_revision(database)
    _downgrade(database, "0008")
    assert schema_state(database).relation == "behind"
    if database.backend == "sqlite":
        ensure_current(database)
        assert current_revision(database) == head
        return
    with pytest.raises(SchemaBehind) as refused:
        ensure_current(database)
    upgrade(database)
    message = str(refused.value)
    assert f"The database is at revision 0008, behind this version, which needs {head}." in message
    assert "Upgrade the database: run `soapbot db upgrade`" in message
