"""The Alembic revisions form one line: several engineers adding migrations at once must chain them.

Two revisions with the same parent give two heads, and `soapbot db upgrade` (and every storage
test) then refuses to run; this test says so without a database.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory

from storage.database import Database
from storage.migrate import alembic_config


def test_the_migrations_have_one_head_and_each_revision_one_child() -> None:
    script = ScriptDirectory.from_config(alembic_config(Database("sqlite://")))
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    revisions = list(script.walk_revisions())
    parents = [r.down_revision for r in revisions]
    assert len(parents) == len(set(parents)), "two revisions revise the same parent"
    # File names start with the revision id, so the order on disk is the order of the chain.
    assert all(r.path and r.path.split("/")[-1].startswith(f"{r.revision}_") for r in revisions)


def test_every_migration_says_whether_it_only_adds() -> None:
    # storage/migrate.py lets the previous release run on across expand-only migrations: each must say.
    script = ScriptDirectory.from_config(alembic_config(Database("sqlite://")))
    undeclared = [r.revision for r in script.walk_revisions() if not isinstance(getattr(r.module, "expand_only", None),
                                                                                   bool)]
    assert not undeclared, f"declare `expand_only = True` (it only adds) or `= False` in {undeclared}"
