"""What the acknowledgement and a first card cost in database work, counted, on both databases.

The request path is fast because of what it does not do: no write to the application's database
before Slack has its 200, and a first card in a fixed number of transactions however many sections
the card shows. A change that adds a round trip there fails here, in CI, instead of in a benchmark
weeks later. Counted with SQLAlchemy's engine events (every statement sent to the database, every
transaction begun) on the application's engine and on the replay memory's (storage.replays).

The work a request hands on after its acknowledgement is held (`HeldWork`) until the answer is back,
so everything counted before that is what the acknowledgement cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from bot.app import create_app
from bot.bootstrap import build_war_room
from bot.console.signing import SlackClientSim
from bot.console.workspace import LoopbackServer
from bot.services.candidate_import import import_export
from bot.war_room import WarRoom
from bot.web import wsgi_app
from storage.models import Candidate, Program
from storage.replays import replay_store
from tests.e2e.conftest import DIRECTOR, MEMBERS, SIGNING_SECRET, WAR_ROOM, e2e_settings
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

#: Statements before the acknowledgement: the replay memory's INSERT, and every 30 s its pruning DELETE.
ACK_STATEMENTS = 3
#: Transactions of a first card's work on the application's database: the gate's read of who is asking;
#: the card's claim with the intent to post it (the gateway's outbox) and everything the card shows;
#: after the post, the thread with the post's record, its audit event and the card view.
FIRST_CARD_TRANSACTIONS = 3
#: Statements of a first card's work (BEGIN not counted): the gate's 2; (PostgreSQL: the claim's
#: asynchronous commit,) the lookup, the claim, the intent (unless the war room is closed), the program,
#: then each section's own queries; the thread, the post's record, the card view and the audit event.
#: A new query on this path fails here: batch it instead.
FIRST_CARD_STATEMENTS = 23


@dataclass
class Counted:
    statements: Counter[str] = field(default_factory=Counter)
    transactions: Counter[str] = field(default_factory=Counter)
    sql: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.statements.clear()
        self.transactions.clear()
        self.sql.clear()


@contextmanager
def counting(engines: dict[str, Engine]) -> Iterator[Counted]:
    counted = Counted()
    lock = threading.Lock()
    hooks: list[tuple[Engine, str, Callable[..., None]]] = []
    for name, engine in engines.items():
        def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any, name: str = name) -> None:
            if sql.startswith("BEGIN"):  # SQLite's BEGIN is sent as a statement, PostgreSQL's is not
                return
            with lock:
                counted.statements[name] += 1
                counted.sql.append(f"{name}: {sql.split(chr(10))[0][:100]}")

        def begin(_conn: Any, name: str = name) -> None:
            with lock:
                counted.transactions[name] += 1

        for what, hook in (("before_cursor_execute", statement), ("begin", begin)):
            event.listen(engine, what, hook)
            hooks.append((engine, what, hook))
    try:
        yield counted
    finally:
        for engine, what, hook in hooks:
            event.remove(engine, what, hook)


class HeldWork(Executor):
    """room.work that starts nothing until `release()`: while it holds the work, only the
    acknowledgement has run."""

    def __init__(self) -> None:
        self._held: list[tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            self._held.append((future, fn, args, kwargs))
        return future

    def release(self) -> None:
        """Run the held work here, one after the other, until none is left."""
        while True:
            with self._lock:
                if not self._held:
                    return
                future, fn, args, kwargs = self._held.pop(0)
            future.set_running_or_notify_cancel()
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:  # the guard answers failures; a raise here is a test failure
                future.set_exception(error)
                raise

    def held(self) -> int:
        with self._lock:
            return len(self._held)


@dataclass
class Budgeted:
    room: WarRoom
    slack: SlackClientSim
    work: HeldWork
    engines: dict[str, Engine]


@pytest.fixture
def budgeted(standin: SlackStandIn, database_url: str) -> Iterator[Budgeted]:
    work = HeldWork()
    room = build_war_room(e2e_settings(standin, database_url), clock=FakeClock(), sleep=lambda _s: None, work=work)
    server = LoopbackServer(wsgi_app(create_app(room), room), name="budget-app")
    slack = SlackClientSim(server.url, SIGNING_SECRET, standin=standin)
    try:
        assert slack.command("setup Internal Medicine – Test", DIRECTOR, WAR_ROOM).status == 200
        work.release()
        with room.database.reading() as session:
            program = session.scalars(select(Program)).one()
        result = import_export(room.database, program.id, eras_csv(applicant_rows(3)), filename="export.csv",
                               actor=DIRECTOR, today=room.clock().date())
        assert result.ok, result.problem
        standin.reset()
        engines = {"application": room.database.engine, "replays": replay_store(database_url).engine}
        yield Budgeted(room, slack, work, engines)
    finally:
        server.stop()


@pytest.mark.parametrize("command", ["help", f"candidate {aamc_id(1)}", f"ref {aamc_id(1)} Called the dean."])
def test_the_acknowledgement_writes_nothing_to_the_application_database(budgeted: Budgeted, command: str) -> None:
    """Before an ack: the replay memory's one INSERT (and its pruning DELETE at most every 30 s), on its
    own connection; nothing on the application's database, so no ack waits for its write lock."""
    with counting(budgeted.engines) as counted:
        for user in MEMBERS[:3]:
            counted.reset()
            assert budgeted.slack.command(command, user, WAR_ROOM).status == 200
            assert budgeted.work.held() == 1  # acknowledged, its work not started
            assert sum(counted.statements.values()) <= ACK_STATEMENTS, counted.sql
            assert counted.statements["application"] == 0 and counted.transactions["application"] == 0, counted.sql
            budgeted.work.release()


def test_a_first_card_takes_a_fixed_number_of_transactions(budgeted: Budgeted, standin: SlackStandIn) -> None:
    """The gate's read, the claim with all the card shows, and after the post one write: whatever the
    card's sections hold (votes, notes, interview, offers)."""
    for index, user in enumerate(MEMBERS[:3]):
        assert budgeted.slack.command(f"candidate {aamc_id(index)}", user, WAR_ROOM).status == 200
        with counting(budgeted.engines) as counted:
            budgeted.work.release()
        assert counted.transactions["application"] <= FIRST_CARD_TRANSACTIONS, (counted.transactions, counted.sql)
        assert counted.statements["application"] <= FIRST_CARD_STATEMENTS, counted.sql
        assert counted.statements["replays"] == 0
    standin.wait_for("chat.postMessage", count=3)
    with budgeted.room.database.reading() as session:
        assert all(session.scalars(select(Candidate.thread_ts)))
