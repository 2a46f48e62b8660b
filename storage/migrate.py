"""Schema migrations (Alembic), driven from code: `soapbot db upgrade` and the start-up check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaBehind(Exception):
    """The database is older than the code; the message says which command brings it up."""


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def head_revision(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(database: Database, revision: str = "head") -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(database: Database) -> None:
    """SQLite is upgraded in place; PostgreSQL that is behind stops the start with the command to run."""
    if current_revision(database) == head_revision(database):
        return
    if database.backend == "sqlite":
        upgrade(database)
        return
    raise SchemaBehind(
        f"The database is at revision {current_revision(database) or 'none (empty)'} but this version "
        f"needs {head_revision(database)}. Run `soapbot db upgrade` (with the same DATABASE_URL), "
        "then start again."
    )
