"""The replay memory's store: digests of verified Slack requests until their signature expires.

It is on the acknowledgement path of every request, so it never waits behind the application's own
writes: it has its own small connection pool and writes one autocommitted
`INSERT … ON CONFLICT DO NOTHING` per request.

- PostgreSQL: the `seen_requests` table of the application's database (shared by every process and
  host), with asynchronous commit (a digest lost in a server crash would only let one replay through
  in the next 5 minutes, when everything else the request did was lost too) and short lock and
  statement timeouts.
- SQLite: a small database file of its own next to the application's (`soap.db` -> `soap.replays.db`),
  in WAL mode, used for nothing else: every process on the machine shares it, and a request's digest
  never queues behind a card's write on the application's file lock.

When it cannot record a digest, `remember` raises `ReplayStoreUnavailable`: the caller refuses the
request (it fails closed) rather than remembering it in one process only.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from storage.models import SeenRequest

#: Longer than this and Slack's 3-second acknowledgement is at risk: the request is refused instead.
WAIT_SECONDS = 1.5


class ReplayStoreUnavailable(Exception):
    """The store could not say whether a request was seen before (database unreachable, locked, slow)."""


def replay_file(database: str) -> str:
    """Where a SQLite database at `database` keeps its replay memory: `soap.db` -> `soap.replays.db`."""
    path = Path(database)
    return str(path.with_name(f"{path.stem}.replays{path.suffix or '.db'}"))


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        target = "sqlite:///" + replay_file(database)
        engine = create_engine(target, isolation_level="AUTOCOMMIT",
                               connect_args={"timeout": WAIT_SECONDS, "check_same_thread": False})
    else:  # an in-memory application database (one process): the replays in memory too, one connection
        engine = create_engine("sqlite://", isolation_level="AUTOCOMMIT", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(WAIT_SECONDS * 1000)}")
        # Nothing here outlives 5½ minutes: no fsync on commit (a crash forgets recent digests, and with
        # them the requests they would have refused, whose effects it lost as well).
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("CREATE TABLE IF NOT EXISTS seen_requests (digest VARCHAR(64) NOT NULL PRIMARY KEY, "
                       "expires_at DATETIME NOT NULL)")
        cursor.execute("CREATE INDEX IF NOT EXISTS ix_seen_requests_expires_at ON seen_requests (expires_at)")
        cursor.close()

    return engine


def _postgresql_engine(url: str) -> Engine:
    timeout_ms = int(WAIT_SECONDS * 1000)
    options = (f"-c synchronous_commit=off -c lock_timeout={timeout_ms} -c statement_timeout={timeout_ms} "
               "-c idle_in_transaction_session_timeout=10000")
    # No pre-ping: a connection the server dropped fails its INSERT as a disconnect, the pool discards it,
    # and `remember` tries once more on a fresh one. Recycled hourly so none outlives a server's idle limit.
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_size=4, max_overflow=12, pool_timeout=WAIT_SECONDS,
                         pool_recycle=3600, connect_args={"options": options, "connect_timeout": 2})


class ReplayStore:
    """One per process and database URL (`replay_store`)."""

    def __init__(self, url: str) -> None:
        self.backend = make_url(url).get_backend_name()
        self.engine = _sqlite_engine(url) if self.backend == "sqlite" else _postgresql_engine(url)
        self._insert = sqlite_insert if self.backend == "sqlite" else postgresql_insert

    def remember(self, digest: str, expires_at: datetime) -> bool:
        """True when `digest` is new (now remembered), False when it was seen before.
        Raises `ReplayStoreUnavailable` when the store cannot tell."""
        statement = (self._insert(SeenRequest).values(digest=digest, expires_at=expires_at)
                     .on_conflict_do_nothing().returning(SeenRequest.digest))
        for attempt in (1, 2):
            try:
                with self.engine.connect() as connection:
                    return connection.execute(statement).scalar() is not None
            except DBAPIError as error:
                # A pooled connection the server closed (a restart, a killed backend): once more on a new one.
                if attempt == 1 and error.connection_invalidated:
                    continue
                raise ReplayStoreUnavailable(type(error).__name__) from error
            except SQLAlchemyError as error:
                raise ReplayStoreUnavailable(type(error).__name__) from error
        raise AssertionError("unreachable")

    def forget_expired(self, now: datetime) -> None:
        """Delete digests whose signature has expired (best effort: a failure only keeps them longer)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(delete(SeenRequest).where(SeenRequest.expires_at < now))
        except SQLAlchemyError:
            pass

    def count(self) -> int:
        """How many digests are remembered (tests, operations)."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(SeenRequest)).scalar() or 0)


_stores: dict[str, ReplayStore] = {}
_stores_lock = threading.Lock()


def replay_store(url: str) -> ReplayStore:
    """The process's one replay store for the application database at `url`."""
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = ReplayStore(url)
        return store


def forget_replay_stores(*, close: bool) -> None:
    """After fork (close=False: the parent owns the connections) or at the end of a test."""
    with _stores_lock:
        for store in _stores.values():
            store.engine.dispose(close=close)
        _stores.clear()
