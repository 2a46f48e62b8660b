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
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by copying it and dropping the old one (batch mode); with foreign keys on,
            # that DROP cascades into every row that refers to it (a rebuilt candidates table took every offer,
            # vote and note with it). The pragma only takes effect outside a transaction: on the driver's
            # connection, before SQLAlchemy begins one.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise RuntimeError("the migration left rows whose foreign key points nowhere; nothing was changed")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


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
