"""Adversarial fixtures: the e2e app (real HTTP path, both databases) plus ways to know it is done.

`served` is the e2e fixture's app with one difference: Bolt's listener pool and `room.work` (where
work runs after the acknowledgement) are `TrackedPool`s, so a test can wait until every listener a
request started, and the work it handed on, has finished (`served.idle()`) before it
asserts that *nothing* happened. Without that, "zero posts" would only mean "zero posts yet".
`snapshot(served)` counts the rows of every table of the schema (storage.models.Base), so a
test that compares two snapshots notices a store in any table, including tables added later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.services.candidates import import_export
from bot.war_room import build_war_room
from bot.web import wsgi_app
from storage.database import Database
from storage.models import Base, Program
from tests.e2e import conftest as e2e
from tests.e2e.conftest import DIRECTOR, WAR_ROOM, Served, _QuietHandler, _ThreadingServer, e2e_settings
from tests.factories import applicant_row, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

POST_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.delete", "files.getUploadURLExternal",
                "files.completeUploadExternal", "files.upload_url", "views.open", "views.push", "views.update")
TODAY = date(2027, 3, 17)

# The e2e fixtures, shared by this folder (`served` is redefined below).
standin = e2e.standin
clock = e2e.clock
slack = e2e.slack
war_room = e2e.war_room


class TrackedPool(ThreadPoolExecutor):
    """Bolt's listener pool, counting listeners in flight."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="adversarial-listener")
        self._cond = threading.Condition()
        self._pending = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._cond:
            self._pending += 1

        def run() -> Any:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

        return super().submit(run)

    def wait_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                assert remaining > 0, "the app was still handling a request after 15 s"
                self._cond.wait(remaining)


    def busy(self) -> bool:
        with self._cond:
            return self._pending > 0


@dataclass
class AdversarialServed(Served):
    pools: tuple[TrackedPool, ...]

    def idle(self) -> None:
        """Block until every listener started so far, and the work it handed on, has returned
        (the HTTP answer comes before)."""
        while True:
            for pool in self.pools:
                pool.wait_idle()
            if not any(pool.busy() for pool in self.pools):
                return


@pytest.fixture
def served(standin: SlackStandIn, database_url: str, clock: FakeClock) -> Iterator[AdversarialServed]:
    from wsgiref.simple_server import make_server

    settings = e2e_settings(standin, database_url)
    room = build_war_room(settings, clock=clock, sleep=lambda _s: None)
    pool, work = TrackedPool(), TrackedPool()
    room.work = work  # where the app runs work after the ack
    app = create_app(room, listener_executor=pool)
    server = make_server("127.0.0.1", 0, wsgi_app(app, room), server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield AdversarialServed(room, f"http://127.0.0.1:{server.server_port}", clock, settings, (pool, work))
    finally:
        server.shutdown()
        server.server_close()
        pool.shutdown(wait=True)
        work.shutdown(wait=True)


def snapshot(database: Database) -> dict[str, int]:
    """Row count of every table in the schema."""
    with database.reading() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables}


def posts(standin: SlackStandIn) -> list[str]:
    """Every Web API call that shows something to someone or changes a message or a view."""
    return [c.method for c in standin.calls if c.method in POST_METHODS]


def program_id(database: Database) -> int:
    with database.reading() as session:
        found = session.scalar(select(Program.id).where(Program.channel_id == WAR_ROOM))
    assert found is not None
    return found


def import_rows(database: Database, rows: list[dict[str, Any]]) -> None:
    result = import_export(database, program_id(database), eras_csv(rows), filename="export.csv",
                           actor=DIRECTOR, today=TODAY)
    assert result.ok, (result.problem, result.errors[:3])


@pytest.fixture
def stocked(served: AdversarialServed, war_room: str) -> str:
    """The war room with two imported applicants (AAMC ids from tests.factories.aamc_id(1) and (2))."""
    import_rows(served.room.database, [applicant_row(1), applicant_row(2)])
    return war_room


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until `check()` is truthy; fail when it never is."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
