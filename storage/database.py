"""One engine per process, sessions, and the unit of work.

`Database.transaction()` is the unit of work: it commits when the block ends
normally and rolls back on any exception, so a failed request stores nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from storage.replays import forget_replay_stores

_engines: dict[str, Engine] = {}
READ_ONLY = "soap_read_only"
_engines_lock = threading.Lock()


def json_text(value: Any) -> str:
    """The text of a JSON column: compact UTF-8 JSON by orjson, keys in the order given.

    About ten times faster than ``json.dumps`` (an import writes four JSON columns per applicant).
    Non-string keys become strings, as with ``json``.
    """
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **_JSON)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Foreign keys (cascading deletes) and WAL for concurrent readers; take the write
            # lock at BEGIN so concurrent writers queue instead of failing on upgrade. secure_delete
            # overwrites deleted rows with zeros: the common SQLite build leaves them readable in the
            # file, and a purge must not leave applicants' names there.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # With WAL, NORMAL syncs at checkpoints instead of at every commit: a commit no longer
            # holds the one write lock through an fsync (10 ms here, two per first card), and the file
            # cannot be corrupted; only an OS crash or power loss may drop the last commits.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # Reads (Database.reading) begin deferred: with WAL they never wait for a writer.
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=10, pool_recycle=RECYCLE_SECONDS, **_JSON)
    _ping_when_idle(engine)
    return engine


#: A connection older than this is replaced at its next checkout (servers and proxies drop idle ones).
RECYCLE_SECONDS = 30 * 60
#: A connection idle in the pool longer than this is checked with one `SELECT 1` before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling without a round trip per checkout: only a connection that sat
    idle (across a database restart, say) is pinged; a busy pool pays nothing. One that fails its ping is
    replaced before anyone uses it. A connection dropped while in use fails that request as before, and
    the pool then discards every connection made before the drop."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise DisconnectionError(type(error).__name__) from error


def engine_for(url: str) -> Engine:
    """The process's one engine for `url`."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _make_engine(url)
        return engine


def dispose_engines() -> None:
    """Forget every engine (after fork in a worker, and in tests)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
    forget_replay_stores(close=True)


def forget_inherited_engines() -> None:
    """In a process just forked from one that used the database (a gunicorn worker): drop the parent's
    engines without closing their connections, which the parent still owns. Two processes talking over
    one PostgreSQL socket corrupt each other's transactions ("connection in transaction status
    INTRANS" at checkout)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose(close=False)
        _engines.clear()
    forget_replay_stores(close=False)


def connection_problem(url: str) -> str | None:
    """Why a process could not use the database at `url`, in words for the operator (never the URL's
    password nor the driver's full message), or None when a connection opens."""
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return f"the folder of the SQLite file ({folder}) cannot be created"
    # A throwaway engine with a connect timeout: a server that drops packets must not hang the start.
    engine = create_engine(url, connect_args={"timeout": 5} if sqlite else {"connect_timeout": 10},
                           poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except DBAPIError as error:
        said = str(error.orig).lower()
        if sqlite:
            return f"the SQLite file {parsed.database} cannot be opened (check the path and its permissions)"
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        if "password" in said or "authentication" in said or ("role" in said and "does not exist" in said):
            return f"the PostgreSQL server at {where} refused the user name or password"
        if "database" in said and "does not exist" in said:
            return f"the database {parsed.database} does not exist on the PostgreSQL server at {where}"
        return f"the PostgreSQL server at {where} cannot be reached (is it running, and is the host and port right?)"
    finally:
        engine.dispose()


# How long the purge's checkpoint waits for other readers of a SQLite file before it reports them.
CHECKPOINT_WAIT_MS = 5000


class WalNotTruncated(Exception):
    """SQLite's write-ahead log still holds pages written before a purge: another connection reads an older
    snapshot, so the checkpoint could not empty it."""


class Database:
    def __init__(self, url: str, *, clock: Callable[[], datetime] | None = None) -> None:
        self.url = url
        self.engine = engine_for(url)
        # Rows that stamp their own time (the audit trail) read the process's clock from the session,
        # so a console or a test running on its own clock records that time, not the wall clock.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, info={"clock": clock} if clock else {})
        self._readers = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Unit of work: commit at the end of the block, roll back on any exception."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads; anything written in it is rolled back. Loaded objects stay readable
        after the block (closing expunges them without expiring their attributes)."""
        session = self._readers()
        try:
            yield session
        finally:
            session.close()

    def compact(self, tables: tuple[str, ...]) -> None:
        """After a purge: rewrite the file without free pages (SQLite: VACUUM, then the WAL checkpointed and
        truncated, so no old page stays in either file), or VACUUM the purged tables (PostgreSQL, outside
        a transaction, as it must run)."""
        if self.backend == "sqlite":
            # The DBAPI connection directly: SQLAlchemy's begin (BEGIN IMMEDIATE above) would wrap VACUUM.
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("VACUUM")
                # Waits for readers to leave older snapshots, but not for ever: a process holding a read
                # keeps the WAL, and the purge must say so instead of reporting success.
                cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
                busy, *_ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                cursor.execute("PRAGMA busy_timeout=30000")
                cursor.close()
                if busy:
                    raise WalNotTruncated(
                        f"{Path(self.engine.url.database or '').name}-wal could not be emptied: another process "
                        "holds a read on the database")
            finally:
                raw.close()
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM " + ", ".join(f'"{table}"' for table in tables))

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
