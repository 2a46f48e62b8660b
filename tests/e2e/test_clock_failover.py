"""Two real `soapbot clock` processes; the one posting round 1's deadline alarm is killed with `kill -9`
while Slack holds its post: the other clock takes the reminder over within its useful window and the
war room gets the alarm exactly once, recorded as sent with the message's ts (and in the record the
purge uses), whether Slack had processed the killed clock's post or never got it.

The war room is set up through signed requests; round 1's deadline is put a few seconds ahead in the
database (as in `test_deadline_alarm.py`). The clocks tick every second and hold a reminder for 6 s
(`REMINDER_LEASE_SECONDS`), so the takeover takes seconds, not the production 45.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import BotPost, Reminder
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Served
from tests.harness.deadlines import ALARM, round_one_deadline_in
from tests.harness.processes import start, stop
from tests.harness.slack_api import SlackStandIn

LEASE_SECONDS = 6


def is_alarm(params: dict[str, Any]) -> bool:
    return ALARM in str(params.get("text") or "")


def alarms_in_slack(standin: SlackStandIn, channel: str) -> list[dict[str, Any]]:
    return [m for m in standin.messages(channel) if ALARM in str(m.get("text") or "")]


def alarm_row(served: Served, program_id: int) -> Reminder:
    with served.room.database.reading() as session:
        rows = list(session.scalars(select(Reminder).where(
            Reminder.program_id == program_id, Reminder.key.like("%:r1:deadline-passed:%"),
            Reminder.state != "cancelled")))
    assert len(rows) == 1
    return rows[0]


def wait_until(what: str, done: Any, clocks: list[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        alive = [c for c in clocks if c.poll() is None]
        assert alive, [stop(c) for c in clocks]
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout} s: " + " ".join(stop(c) for c in clocks))
        time.sleep(0.2)  # polling the database and the stand-in for the clocks' progress


@pytest.mark.parametrize("slack_had_it", [True, False], ids=["slack-processed-it", "slack-never-got-it"])
def test_the_alarm_is_posted_once_when_the_clock_posting_it_is_killed(
        served: Served, standin: SlackStandIn, war_room: str, database_url: str, tmp_path: Path,
        slack_had_it: bool) -> None:
    held = standin.hold("chat.postMessage", processed=slack_had_it, when=is_alarm)
    program_id = round_one_deadline_in(served.room.database, war_room, 3)
    clocks = [start("clock", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=standin.url, DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1",
                    REMINDER_LEASE_SECONDS=str(LEASE_SECONDS))
              for _ in range(2)]
    try:
        assert held.arrived.wait(60), "no clock posted the alarm within 60 s of the deadline"
        holder = alarm_row(served, program_id).claimed_by or ""
        victim = next(c for c in clocks if f":{c.pid}:" in holder)
        victim.kill()  # kill -9, mid-send
        victim.wait()
        if slack_had_it:
            held.release()  # Slack answers a process that is gone
        else:
            held.drop()  # the request died with the process
        survivor = [c for c in clocks if c is not victim]
        wait_until("the other clock's takeover", lambda: alarm_row(served, program_id).state != "claimed",
                   survivor)
        row = alarm_row(served, program_id)
    finally:
        errors = [stop(c) for c in clocks]
    posted = alarms_in_slack(standin, war_room)
    assert len(posted) == 1, errors
    assert (row.state, row.message_ts) == ("sent", posted[0]["ts"]), errors
    assert row.claimed_by != holder and row.attempts == 2
    with served.room.database.reading() as session:
        kinds = list(session.scalars(select(BotPost.kind).where(BotPost.ref == posted[0]["ts"])))
    assert kinds == ["message"], "the alarm is in the record the purge uses"
    assert victim.returncode == -signal.SIGKILL
