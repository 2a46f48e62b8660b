"""Database connections after the server dropped them (a restart, a killed backend), PostgreSQL only:
the pool does not ping at every checkout, so what replaces the pre-ping is tested here.

- the application's pool pings a connection that sat idle (PING_AFTER_IDLE_SECONDS) before handing it
  out, and replaces it when the ping fails: the request never sees the dead connection;
- the replay memory retries its one INSERT once on a fresh connection when the pooled one was dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from storage import database as database_module
from storage.database import Database
from storage.models import Program
from storage.replays import replay_store


def _kill_backends_of(url: str, engine: Engine) -> int:
    """Terminate every server process holding one of `engine`'s pooled connections."""
    with engine.connect() as connection:  # the one connection the pool keeps idle after this block
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM (SELECT pg_terminate_backend(:pid)) AS t"),
                                          {"pid": pid}).scalar() or 0)
    finally:
        admin.dispose()


@pytest.fixture
def postgres(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no connection for a server to drop")
    return database_url


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(postgres: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    database = Database(postgres)
    assert _kill_backends_of(postgres, database.engine) == 1
    monkeypatch.setattr(database_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 0
    # The pool is the process's, shared with the tests after this one: drop any connection it still holds
    # whose server process was killed above (only the one handed out was pinged).
    database.engine.dispose()


def test_the_replay_memory_records_on_a_fresh_connection_when_its_pooled_one_was_dropped(postgres: str) -> None:
    store = replay_store(postgres)
    expires = datetime.now(UTC) + timedelta(minutes=5)
    assert store.remember("a" * 64, expires)
    assert _kill_backends_of(postgres, store.engine) == 1
    assert store.remember("b" * 64, expires)
    assert not store.remember("b" * 64, expires)
