"""Schema migrations (Alembic), driven from code: `soapbot db upgrade` and the start-up check.

Expand and contract: a migration that only adds (a table, a nullable column, an index) declares
`expand_only = True` at module level; the code of the revision before it runs unchanged against the
schema after it. `upgrade` records in `runnable_revisions` every revision whose code may still run
against the database (its head, and each revision below it reached through expand-only migrations
only), because an older release does not have the newer migration files and cannot judge them
itself: it reads that table. So a process of the previous release starts against a database one
release ahead when that release only added, which a rolling deploy and a rollback need, and refuses
(naming both revisions and saying to upgrade the code) when a migration ahead removed or changed
something. The table's shape is fixed for good: every release reads it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.database import Database
from storage.models import RunnableRevision, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


class SchemaMismatch(Exception):
    """The database's schema and this code's do not go together; the message says which to upgrade."""


class SchemaBehind(SchemaMismatch):
    """The database is older than the code: upgrade the database."""


class SchemaAhead(SchemaMismatch):
    """The database is newer than the code, past a migration this code cannot run after: upgrade the code."""


@dataclass(frozen=True)
class SchemaState:
    """Where the database stands against this code's migrations."""

    database: str | None  # the database's revision (None: no schema yet)
    code: str | None  # this code's head revision
    relation: str  # "current", "behind", "ahead" (this code runs against it) or "ahead-incompatible"

    @property
    def runs(self) -> bool:
        """True when a process of this code may start against the database as it is."""
        return self.relation in ("current", "ahead")

    def describe(self) -> str:
        shown = self.database or "none (empty)"
        if self.relation == "current":
            return f"The database is at revision {shown}, this version's."
        if self.relation == "behind":
            return (f"The database is at revision {shown}, behind this version, which needs {self.code}. "
                    "Upgrade the database: run `soapbot db upgrade` (with the same DATABASE_URL), then start again.")
        if self.relation == "ahead":
            return (f"The database is at revision {shown}, ahead of this version ({self.code}); every migration "
                    "between them only adds, so this version runs against it.")
        return (f"The database is at revision {shown}, ahead of this version ({self.code}), and a migration "
                f"between them removes or changes something this version uses. Upgrade the code: run the release "
                f"that brought revision {shown} or a later one (`soapbot db upgrade` of this version cannot take "
                f"the database back).")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


def _script(database: Database) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(database))


def head_revision(database: Database) -> str | None:
    return _script(database).get_current_head()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_expand_only(script: ScriptDirectory, revision: str) -> bool:
    """The migration's own declaration; a migration that says nothing is taken as a contract."""
    migration = script.get_revision(revision)
    return bool(migration is not None and getattr(migration.module, "expand_only", False))


def runnable_revisions(script: ScriptDirectory, revision: str) -> list[str]:
    """`revision` and every revision below it from which only expand-only migrations lead up to it."""
    runnable = [revision]
    while is_expand_only(script, runnable[-1]):
        below = script.get_revision(runnable[-1])
        parent = below.down_revision if below is not None else None
        if not isinstance(parent, str):
            break
        runnable.append(parent)
    return runnable


def _recorded_runnable(connection: sa.Connection) -> set[str]:
    if not sa.inspect(connection).has_table(RunnableRevision.__tablename__):
        return set()
    return set(connection.scalars(sa.select(RunnableRevision.revision)))


def _record_runnable(connection: sa.Connection, script: ScriptDirectory) -> None:
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None or not sa.inspect(connection).has_table(RunnableRevision.__tablename__):
        return
    connection.execute(sa.delete(RunnableRevision))
    now = utcnow()
    connection.execute(sa.insert(RunnableRevision), [{"revision": r, "recorded_at": now}
                                          for r in runnable_revisions(script, current)])


def schema_state(database: Database) -> SchemaState:
    script = _script(database)
    code = script.get_current_head()
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        if current == code:
            return SchemaState(current, code, "current")
        if current is None or current in {r.revision for r in script.walk_revisions()}:
            return SchemaState(current, code, "behind")
        # A revision this code has no file for: a later release's. Its upgrade said whether this code may run.
        runnable = code in _recorded_runnable(connection)
    return SchemaState(current, code, "ahead" if runnable else "ahead-incompatible")


def upgrade(database: Database, revision: str = "head") -> SchemaState:
    """Apply this code's migrations (none when the database is current or ahead) and record which
    revisions' code can run against the result. SchemaAhead when the database is ahead past a
    migration this code cannot run after."""
    state = schema_state(database)
    if state.relation == "ahead-incompatible":
        raise SchemaAhead(state.describe())
    if state.relation == "ahead":
        return state
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
                _record_runnable(connection, _script(database))
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return schema_state(database)


def ensure_current(database: Database) -> None:
    """Return when a process of this code may start: the schema is this code's, or ahead of it by
    expand-only migrations, or (SQLite) was behind and has been upgraded in place. Otherwise raise
    SchemaBehind (PostgreSQL: upgrade the database) or SchemaAhead (upgrade the code)."""
    state = schema_state(database)
    if state.relation == "ahead":
        log.info("database schema at %s, ahead of this version's %s by expand-only migrations",
                 state.database, state.code)
        return
    if state.relation == "ahead-incompatible":
        raise SchemaAhead(state.describe())
    if state.relation == "behind":
        if database.backend != "sqlite":
            raise SchemaBehind(state.describe())
        upgrade(database)
