"""The deadline alarm from real `soapbot clock` processes: one alarm, whatever the number of clocks.

The war room is set up through signed requests; round 1's deadline is then put a few seconds
ahead in the database, as a director's `/soap schedule set` would (the clock re-plans from the
database at every tick), because the typed form has minute precision and the test must not
wait minutes. Two clock processes with a one-second tick then run against the Web API stand-in.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from storage.models import Reminder
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Served
from tests.harness.deadlines import alarms, round_one_deadline_in, wait_for_ticks
from tests.harness.processes import start, stop
from tests.harness.slack_api import SlackStandIn


@pytest.mark.timing
def test_two_clock_processes_post_one_alarm_when_round_1_passes_unlocked(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    program_id = round_one_deadline_in(served.room.database, war_room, 3)
    clocks = [start("clock", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=standin.url, DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1")
              for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while not alarms(standin) and time.monotonic() < deadline:
            assert all(c.poll() is None for c in clocks), [stop(c) for c in clocks]
            time.sleep(0.2)
        posted = alarms(standin)
        assert posted, "no alarm within 60 s of the deadline"
        # Both clocks tick every second: several ticks later, still one alarm.
        wait_for_ticks(served.room.database, 4)
        with served.room.database.reading() as session:
            states = sorted(session.scalars(select(Reminder.state).where(
                Reminder.program_id == program_id, Reminder.key.like("%:r1:deadline-passed:%"))))
        assert states == ["cancelled", "sent"]  # the default deadline's alarm, moved; the new one, sent
    finally:
        errors = [stop(c) for c in clocks]
    assert len(alarms(standin)) == 1, errors
    text = posted[0]
    assert "round 1's preference-list deadline has passed" in text
    assert "not locked" in text
    assert all(c.returncode in (0, -signal.SIGTERM) for c in clocks), errors
    # Each clock logs as the web processes do (nothing it fails at would be seen otherwise).
    assert all('"msg": "clock ' in log and "started with" in log for log in errors), errors
