"""The gateway's outbox against the real database (SQLite and PostgreSQL) and the Web API stand-in: a post
is recorded before Slack is asked and after it answered, so a lost answer (a 500 after the work, a
timeout, a killed process, a database fault at the record) neither doubles the post nor hides it from
the purge; and a war room closed because its channel was shared gets nothing more."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.bootstrap import SETUP_HOOKS, build_war_room
from bot.console.payloads import BOT_USER_ID, TEAM_ID
from bot.services import candidate_cards, programs, records
from bot.services.candidate_import import import_export
from bot.settings import load_settings
from bot.slack_gateway import OUTBOX_EVENT, WarRoomClosed, marker_for
from bot.war_room import WarRoom
from storage.models import BotPost, Candidate, Program
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

WAR_ROOM = "G0OUTBOX01"
DIRECTOR = "U0DIRECTOR"
MEMBER = "U0MEMBER01"
CARD = "*Ana Synthetic* (AAMC 14000001) · Internal Medicine"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        api.set_members(WAR_ROOM, [DIRECTOR, MEMBER, BOT_USER_ID])
        yield api


def make_room(standin: SlackStandIn, database_url: str, clock: FakeClock, timeout: int = 10) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-int-0000-token", slack_signing_secret="s" * 32,
                             slack_api_url=standin.url, database_url=database_url, slack_app_token=None)
    room = build_war_room(settings, clock=clock, sleep=clock.sleep)
    room.gateway.client = WebClient(token="xoxb-int-0000-token", base_url=standin.url, timeout=timeout)
    return room


START = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def room(standin: SlackStandIn, database_url: str, clock: FakeClock) -> WarRoom:
    return make_room(standin, database_url, clock)


@pytest.fixture
def program(room: WarRoom) -> programs.ProgramRef:
    ref, _ = programs.setup_war_room(
        room.database, seed=SETUP_HOOKS, name="Internal Medicine – Outbox", team_id=TEAM_ID,
        channel=programs.ChannelFacts(WAR_ROOM, is_private=True), user_id=DIRECTOR,
        timezone="America/New_York", members=frozenset({DIRECTOR, MEMBER}))
    return ref


def in_slack(standin: SlackStandIn, text: str = CARD) -> list[dict[str, Any]]:
    return [m for m in standin.messages(WAR_ROOM) if m.get("text") == text]


def recorded(room: WarRoom) -> list[tuple[str, str]]:
    with room.database.reading() as session:
        return [(k, r) for k, r in session.execute(select(BotPost.kind, BotPost.ref).where(
            BotPost.channel_id == WAR_ROOM, BotPost.deleted_at.is_(None)).order_by(BotPost.id))]


def test_a_post_slack_took_but_answered_with_a_500_is_posted_once_and_recorded(
        room: WarRoom, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", times=1, status=500, processed=True)
    ts = room.gateway.post(WAR_ROOM, CARD)
    assert [m["ts"] for m in in_slack(standin)] == [ts]
    assert recorded(room) == [("message", ts)]
    assert standin.calls_to("conversations.history"), "the retry looked the post up before posting again"


def test_a_post_slack_answered_after_the_clients_timeout_is_posted_once_and_recorded(
        standin: SlackStandIn, database_url: str, clock: FakeClock) -> None:
    room = make_room(standin, database_url, clock, timeout=1)
    held = standin.hold("chat.postMessage", processed=True)
    try:
        ts = room.gateway.post(WAR_ROOM, CARD)
    finally:
        held.release()
    assert held.arrived.is_set()
    assert [m["ts"] for m in in_slack(standin)] == [ts]
    assert recorded(room) == [("message", ts)]


def test_a_retried_post_that_never_reached_slack_is_posted(room: WarRoom, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", times=1, status=500)
    ts = room.gateway.post(WAR_ROOM, CARD)
    assert [m["ts"] for m in in_slack(standin)] == [ts]
    assert recorded(room) == [("message", ts)]


def test_a_post_slack_refused_leaves_nothing_for_reconciliation_to_look_for(
        room: WarRoom, standin: SlackStandIn, clock: FakeClock) -> None:
    standin.fail("chat.postMessage", times=20, status=429, retry_after=30)  # rate limited: never processed
    with pytest.raises(SlackApiError):
        room.gateway.post(WAR_ROOM, CARD, give_up_at=clock() + timedelta(seconds=60))
    assert recorded(room) == []
    standin.reset()
    clock.advance(minutes=12)
    assert room.gateway.reconcile() == (0, 0)
    assert not standin.calls_to("conversations.history")


def test_the_same_marker_posts_once_whoever_posts_it_again(room: WarRoom, standin: SlackStandIn) -> None:
    marker = marker_for("note:7")
    first = room.gateway.post(WAR_ROOM, CARD, marker=marker)
    again = room.gateway.post(WAR_ROOM, CARD, marker=marker)
    assert first == again
    assert len(in_slack(standin)) == 1
    message = in_slack(standin)[0]
    assert "metadata" not in message or message["metadata"]["event_type"] == OUTBOX_EVENT


def test_an_intent_whose_process_died_after_slack_took_it_is_found_recorded_and_purged(
        room: WarRoom, standin: SlackStandIn, program: programs.ProgramRef) -> None:
    marker = marker_for("card:1")
    with room.database.transaction() as session:  # the caller's claim transaction
        assert room.gateway.posts is not None
        room.gateway.posts.intend(session, WAR_ROOM, marker=marker)
    # The process's request reaches Slack; the process is killed before it reads the answer.
    dead = WebClient(token="xoxb-int-0000-token", base_url=standin.url)
    dead.chat_postMessage(channel=WAR_ROOM, text=CARD,
                          metadata={"event_type": OUTBOX_EVENT, "event_payload": {"marker": marker}})
    assert recorded(room) == [("intent", marker)]
    ts = room.gateway.settle(marker)  # whoever finds the claim run out
    assert ts == in_slack(standin)[0]["ts"]
    assert room.gateway.post(WAR_ROOM, CARD, marker=marker) == ts  # and posting it again does not double it
    assert len(in_slack(standin)) == 1
    assert ("message", ts) in recorded(room)
    records.delete_bot_posts(room, WAR_ROOM)
    assert in_slack(standin) == []


def test_a_database_fault_at_the_record_leaves_an_intent_that_reconciliation_records(
        room: WarRoom, standin: SlackStandIn, clock: FakeClock) -> None:
    faults = {"left": 5}  # more than the record's own retries

    def fail_the_record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE BOT_POSTS") and faults["left"] > 0:
            faults["left"] -= 1
            raise OperationalError(statement, {}, Exception("server closed the connection unexpectedly"))

    event.listen(room.database.engine, "before_cursor_execute", fail_the_record)
    try:
        ts = room.gateway.post(WAR_ROOM, CARD)
    finally:
        event.remove(room.database.engine, "before_cursor_execute", fail_the_record)
    assert [m["ts"] for m in in_slack(standin)] == [ts]
    assert [kind for kind, _ in recorded(room)] == ["intent"]  # known, though its ts is not
    clock.advance(minutes=12)
    assert room.gateway.reconcile() == (1, 0)
    assert recorded(room) == [("message", ts)]
    records.delete_bot_posts(room, WAR_ROOM)
    assert in_slack(standin) == []


def test_the_purge_finds_a_post_whose_answer_was_lost_moments_ago(
        room: WarRoom, standin: SlackStandIn) -> None:
    standin.fail("chat.postMessage", times=1, status=500, processed=True)
    standin.fail("conversations.history", times=20, status=503)  # Slack cannot say: the gateway gives up
    with pytest.raises(SlackApiError):
        room.gateway.post(WAR_ROOM, CARD)
    assert len(in_slack(standin)) == 1, "never posted again while it could not be looked up"
    assert [kind for kind, _ in recorded(room)] == ["intent"]
    standin.reset()
    records.delete_bot_posts(room, WAR_ROOM)
    assert in_slack(standin) == []


def test_nothing_is_posted_updated_or_uploaded_once_the_war_room_is_shared(
        room: WarRoom, standin: SlackStandIn, program: programs.ProgramRef, database_url: str,
        clock: FakeClock) -> None:
    other = make_room(standin, database_url, clock)  # another process, which found the room open
    card = other.gateway.post(WAR_ROOM, CARD)
    standin.set_channel(WAR_ROOM, shared_with=["T0OTHERORG"])
    room.directory.forget()
    with pytest.raises(WarRoomClosed):
        room.gateway.post(WAR_ROOM, "Votes missing: *Ana Synthetic* (AAMC 14000001)")
    with room.database.reading() as session:
        assert session.scalar(select(Program.closed_at).where(Program.channel_id == WAR_ROOM)) is not None
    # The other process has not asked Slack again (its answer is still fresh): the stored state stops it.
    with pytest.raises(WarRoomClosed):
        other.gateway.post(WAR_ROOM, "Offers go out: *Ana Synthetic* (AAMC 14000001)")
    with pytest.raises(WarRoomClosed):
        other.gateway.update(WAR_ROOM, card, CARD + " (updated)")
    with pytest.raises(WarRoomClosed):
        other.gateway.upload(WAR_ROOM, content=b"1,14000001", filename="list.csv", title="list",
                             initial_comment="list")
    with pytest.raises(WarRoomClosed), other.database.transaction() as session:
        assert other.gateway.posts is not None
        other.gateway.posts.intend(session, WAR_ROOM, marker=marker_for("card:2"))
    texts = [c.params.get("text", "") for c in standin.calls_to("chat.postMessage")]
    assert sum("closed this war room" in t for t in texts) == 1
    assert not [t for t in texts if "AAMC" in t and t != CARD]
    assert not standin.calls_to("chat.update") and not standin.calls_to("files.completeUploadExternal")
    # Private and unshared again: posting resumes.
    standin.set_channel(WAR_ROOM, shared_with=[])
    room.directory.forget()
    other.directory.forget()
    other.gateway.post(WAR_ROOM, "Offers go out")


def _show_card_in_a_process(url: str, database_url: str, program: programs.ProgramRef, key: str) -> None:
    """A web worker asked for the card; the test kills it while Slack holds the answer."""
    room = make_room_at(url, database_url, FakeClock(START))
    candidate_cards.show_card(room, program, key, DIRECTOR)


def make_room_at(url: str, database_url: str, clock: FakeClock) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-int-0000-token", slack_signing_secret="s" * 32,
                             slack_api_url=url, database_url=database_url, slack_app_token=None)
    return build_war_room(settings, clock=clock, sleep=clock.sleep)


def test_a_card_slack_took_from_a_worker_killed_before_it_stored_the_thread_is_taken_over_not_posted_twice(
        room: WarRoom, standin: SlackStandIn, program: programs.ProgramRef, database_url: str,
        clock: FakeClock) -> None:
    result = import_export(room.database, program.id, eras_csv([applicant_row(1)]), filename="e.csv",
                           actor=DIRECTOR, today=date(2027, 3, 17))
    assert result.ok
    held = standin.hold("chat.postMessage", processed=True, when=lambda p: aamc_id(1) in str(p.get("blocks")))
    worker = multiprocessing.get_context("spawn").Process(
        target=_show_card_in_a_process, args=(standin.url, database_url, program, aamc_id(1)))
    worker.start()
    try:
        assert held.arrived.wait(60), "the worker never posted the card"
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)  # between Slack's answer and the bot's record
        worker.join(30)
    finally:
        held.release()
    assert worker.exitcode == -signal.SIGKILL
    cards = [m for m in standin.messages(WAR_ROOM) if aamc_id(1) in str(m.get("blocks")) and "thread_ts" not in m]
    assert len(cards) == 1
    clock.advance(timedelta(seconds=31))  # the dead worker's claim runs out
    posted = candidate_cards.show_card(room, program, aamc_id(1), MEMBER)
    assert isinstance(posted, candidate_cards.CardPosted)
    cards = [m for m in standin.messages(WAR_ROOM) if aamc_id(1) in str(m.get("blocks")) and "thread_ts" not in m]
    assert len(cards) == 1, "the card Slack already had is the candidate's card: no second one"
    with room.database.reading() as session:
        assert session.scalar(select(Candidate.thread_ts)) == cards[0]["ts"]
    assert ("message", cards[0]["ts"]) in recorded(room)
    records.delete_bot_posts(room, WAR_ROOM)
    assert [m for m in standin.messages(WAR_ROOM) if aamc_id(1) in str(m.get("blocks"))] == []
