"""The clock's tick record and the silence alarm against each database, with a fake clock: one alarm per
silence, whichever and however many processes look."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.bootstrap import SETUP_HOOKS, build_war_room
from bot.console.payloads import BOT_USER_ID, TEAM_ID
from bot.services import clock_health, programs
from bot.settings import load_settings
from bot.war_room import WarRoom
from storage.models import ClockSilenceAlarm, ClockTick
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

WAR_ROOM = "G0WARROOM1"
DIRECTOR = "U0DIRECTOR"
ALARM = "Reminders are not being sent"


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(WAR_ROOM, name="soap-war-room", is_private=True)
        api.set_members(WAR_ROOM, [DIRECTOR, BOT_USER_ID])
        yield api


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2027, 3, 17, 13, 0, tzinfo=UTC))  # the day before round 1's deadline


def _room(standin: SlackStandIn, database_url: str, clock: FakeClock) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-int-0000-token", slack_signing_secret="s" * 32,
                             slack_api_url=standin.url, database_url=database_url, slack_app_token=None)
    return build_war_room(settings, clock=clock, sleep=lambda _s: None)


@pytest.fixture
def room(standin: SlackStandIn, database_url: str, clock: FakeClock) -> WarRoom:
    room = _room(standin, database_url, clock)
    programs.setup_war_room(room.database, seed=SETUP_HOOKS, name="Internal Medicine – Test", team_id=TEAM_ID,
                            channel=programs.ChannelFacts(WAR_ROOM, is_private=True), user_id=DIRECTOR,
                            timezone="America/New_York", members=frozenset({DIRECTOR}))
    return room


def alarms(standin: SlackStandIn) -> list[str]:
    return [c.params["text"] for c in standin.calls_to("chat.postMessage") if c.ok and ALARM in c.params["text"]]


def test_each_clock_process_keeps_one_row_with_its_last_tick(room: WarRoom, clock: FakeClock) -> None:
    started = clock()
    clock_health.record_tick(room.database, "host:1:a", started)
    clock_health.record_tick(room.database, "host:2:b", started)
    clock_health.record_tick(room.database, "host:1:a", clock.advance(seconds=20))
    with room.database.reading() as session:
        ticks = {t.clock_id: (t.started_at, t.ticked_at) for t in session.scalars(select(ClockTick))}
        assert clock_health.last_tick(session) == clock()
    assert ticks == {"host:1:a": (started, clock()), "host:2:b": (started, started)}
    # A process that stopped a day ago is forgotten by the next tick of any clock.
    clock_health.record_tick(room.database, "host:1:a", clock.advance(days=1, seconds=1))
    assert [c.clock_id for c in clock_health.clocks(room.database)] == ["host:1:a"]


def test_a_silence_gets_one_alarm_from_many_watchers_and_a_new_silence_another(
        room: WarRoom, standin: SlackStandIn, clock: FakeClock, database_url: str) -> None:
    clock_health.record_tick(room.database, "clock-a", clock())
    clock.advance(minutes=4, seconds=59)
    assert clock_health.watch(room, "web-1") == 0
    clock.advance(seconds=1)
    # Eight watchers (web processes: each its own room, engine and pool) look at the same moment.
    rooms = [_room(standin, database_url, clock) for _ in range(8)]
    posted: list[int] = []
    threads = [threading.Thread(target=lambda r=r, i=i: posted.append(clock_health.watch(r, f"web-{i}")))
               for i, r in enumerate(rooms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(posted) == 1
    assert len(alarms(standin)) == 1
    clock.advance(minutes=10)
    assert clock_health.watch(room, "web-1") == 0  # still the same silence
    # The clock comes back, then falls silent again: a new silence, a new alarm.
    clock_health.record_tick(room.database, "clock-b", clock())
    clock.advance(minutes=5)
    assert clock_health.watch(room, "web-2") == 1
    assert len(alarms(standin)) == 2
    with room.database.reading() as session:
        assert all(a.posted_at is not None and a.ts for a in session.scalars(select(ClockSilenceAlarm)))


def test_an_alarm_slack_refused_is_posted_by_the_next_look(room: WarRoom, standin: SlackStandIn,
                                                           clock: FakeClock) -> None:
    clock.advance(days=1, minutes=6)  # never seen, set up a day ago; round 1's deadline is still ahead
    standin.fail("chat.postMessage", times=1, status=200, error="not_in_channel")
    assert clock_health.watch(room, "web-1") == 0
    assert clock_health.watch(room, "web-2") == 1
    assert len(alarms(standin)) == 1
