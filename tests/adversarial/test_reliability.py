"""Slack rate-limits everything (429 storms) and the database disappears mid-request.

429: the stand-in answers 429 (with Retry-After) many times in a row. The acknowledgement must stay
under 3 s (work happens after it), what was typed must be stored exactly once, and what is posted
must appear exactly once, even after the gateway gives up and the clock job retries.

Database: a write fails halfway (PostgreSQL: the session's backend is terminated by an
administrator; SQLite: the connection is switched to read-only), so the transaction cannot commit.
The person gets an answer saying nothing was changed, no row of the request remains, and /healthz
answers 503 while the database is unreachable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text

from bot.console.signing import SlackClientSim
from bot.services import notes
from storage.database import Database
from storage.models import ReferenceNote, Vote
from tests.adversarial.conftest import TRANSPORT_TABLES, AdversarialServed, snapshot
from tests.e2e.conftest import MEMBERS, WAR_ROOM
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

A = aamc_id(1)


def _note_posts(standin: SlackStandIn, words: str) -> list[Any]:
    return [c for c in standin.calls_to("chat.postMessage") if c.ok and words in json.dumps(c.params)]


@pytest.mark.timing
def test_a_429_storm_loses_no_note_and_posts_it_once(served: AdversarialServed, slack: SlackClientSim,
                                                     standin: SlackStandIn, stocked: str) -> None:
    """Defences: notes are stored before posting; SlackGateway retries 429 honouring Retry-After and
    gives up; the clock job retry_unposted_notes claims the note before posting (never twice)."""
    slack.command(f"ref {A} Opening the thread.", MEMBERS[0], WAR_ROOM)
    served.idle()
    standin.reset()
    standin.fail("chat.postMessage", times=30, status=429, retry_after=1)
    response = slack.command(f"ref {A} Storm-proof reference: dependable.", MEMBERS[1], WAR_ROOM)
    assert response.status == 200
    assert response.elapsed < 3.0
    served.idle()
    with served.room.database.reading() as session:
        stored = session.scalars(select(ReferenceNote).where(ReferenceNote.author == MEMBERS[1])).all()
    assert [n.text for n in stored] == ["Storm-proof reference: dependable."]
    assert stored[0].post_state != "posted"
    assert _note_posts(standin, "Storm-proof") == []
    for _ in range(4):  # the clock job, once a minute, until Slack lets it through
        served.clock.advance(minutes=1)
        notes.retry_unposted_notes(served.room)
    served.idle()
    assert len(_note_posts(standin, "Storm-proof")) == 1
    with served.room.database.reading() as session:
        assert session.scalar(select(ReferenceNote.post_state).where(ReferenceNote.author == MEMBERS[1])) == "posted"
    served.clock.advance(minutes=5)
    notes.retry_unposted_notes(served.room)
    assert len(_note_posts(standin, "Storm-proof")) == 1


@pytest.mark.timing
def test_a_429_storm_on_every_method_keeps_each_vote_once_and_acks_fast(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defences: the vote is an upsert in one transaction before any Slack call; card refreshes
    and answers that fail are logged, never retried into a second vote."""
    slack.command("committee", MEMBERS[0], WAR_ROOM)  # the committee is known (cached for a minute)
    served.idle()
    for method in ("chat.update", "chat.postMessage", "chat.postEphemeral", "response_url"):
        standin.fail(method, times=40, status=429, retry_after=2)
    elapsed = []
    for member in MEMBERS[:3]:
        response = slack.block_action(member, WAR_ROOM, "vote.rank_high", A, block_id="card.vote")
        elapsed.append(response.elapsed)
        slack.command(f"vote {aamc_id(2)} dnr", member, WAR_ROOM)
    served.idle()
    assert max(elapsed) < 3.0
    with served.room.database.reading() as session:
        votes = sorted((v.user_id, v.choice) for v in session.scalars(select(Vote)))
    assert len(votes) == 6
    assert len({v[0] for v in votes}) == 3


@pytest.mark.timing
def test_an_import_reply_under_429_is_posted_once(served: AdversarialServed, slack: SlackClientSim,
                                                  standin: SlackStandIn, war_room: str) -> None:
    """Defence: SlackGateway's retries (a 429 is retried, the reply posted once, the rows imported once)."""
    standin.fail("chat.postMessage", times=5, status=429, retry_after=1)
    file = standin.share_file("soap.csv", eras_csv(applicant_rows(12)), MEMBERS[0])
    share = slack.message_event(WAR_ROOM, MEMBERS[0], "import")
    share.update({"subtype": "file_share", "files": [file]})
    assert slack.event(share).elapsed < 3.0
    served.idle()
    accepted = [c for c in standin.calls_to("chat.postMessage") if c.ok]
    assert len(accepted) == 1
    assert "12 new" in accepted[0].params["text"]
    assert snapshot(served.room.database)["candidates"] == 12


@contextmanager
def _database_dies_at_the_first_write(database: Database) -> Iterator[list[str]]:
    """Kill the connection (PostgreSQL) or make it read-only (SQLite) just before the first INSERT,
    UPDATE or DELETE of the request's work (the transport's replay memory, written before it, is not);
    yields the statements that were cut off."""
    cut: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if cut or not statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            return
        if any(table in statement for table in TRANSPORT_TABLES):
            return
        cut.append(statement.split()[0])
        if database.backend == "postgresql":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with Database(database.url).engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        else:
            cursor.execute("PRAGMA query_only = ON")

    event.listen(database.engine, "before_cursor_execute", before)
    try:
        yield cut
    finally:
        event.remove(database.engine, "before_cursor_execute", before)
        if database.backend == "sqlite":
            database.engine.dispose()  # no connection stays read-only


def test_a_database_that_dies_mid_request_leaves_nothing_half_written(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defences: Database.transaction() rolls back on any error; handlers.errors.guard answers the
    person ('nothing was changed') instead of raising; the next request works again."""
    database = served.room.database
    before = snapshot(database)
    standin.reset()
    with _database_dies_at_the_first_write(database) as cut:
        response = slack.command(f"ref {A} Written while the database died.", MEMBERS[0], WAR_ROOM,
                                 response_url_key="dying")
        served.idle()
    assert response.status == 200
    assert cut == ["INSERT"]
    answer = eventually(lambda: standin.response_url_posts("dying"))[-1].params["text"]
    assert "nothing was changed" in answer
    assert snapshot(database) == before
    assert not [c for c in standin.calls_to("chat.postMessage") if "died" in json.dumps(c.params)]
    slack.command(f"vote {A} high", MEMBERS[0], WAR_ROOM)  # the app recovers without a restart
    served.idle()
    assert snapshot(database)["votes"] == before["votes"] + 1


def test_healthz_answers_503_while_the_database_is_unreachable(served: AdversarialServed, slack: SlackClientSim,
                                                               standin: SlackStandIn, war_room: str,
                                                               tmp_path: Any) -> None:
    """Defence: /healthz runs a query (Database.ping) and answers 503 when it fails; a command
    meanwhile is answered with 'nothing was changed'."""
    real = served.room.database
    assert slack.raw_post(b"", {}, path="/healthz", method="GET").status == 200
    if real.backend == "postgresql":
        gone = Database("postgresql+psycopg://postgres@127.0.0.1:1/closed?connect_timeout=2")
    else:
        broken = tmp_path / "not-a-database.db"
        broken.write_bytes(b"this file is not a SQLite database" * 100)
        gone = Database(f"sqlite:///{broken}")
    served.room.database = gone
    try:
        health = slack.raw_post(b"", {}, path="/healthz", method="GET")
        slack.command(f"vote {A} high", MEMBERS[0], WAR_ROOM, response_url_key="gone")
        served.idle()
    finally:
        served.room.database = real
    assert health.status == 503
    assert "Traceback" not in str(health.body)
    answer = eventually(lambda: standin.response_url_posts("gone"))[-1].params["text"]
    assert "nothing was changed" in answer
    assert slack.raw_post(b"", {}, path="/healthz", method="GET").status == 200
