"""The deadline alarm from real `soapbot clock` processes: one alarm, whatever the number of clocks.

The war room is set up through signed requests; round 1's deadline is then put a few seconds
ahead in the database, as a director's `/soap schedule set` would (the clock re-plans from the
database at every tick), because the typed form has minute precision and the test must not
wait minutes. Two clock processes with a one-second tick then run against the Web API stand-in.
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from bot.console.signing import SlackClientSim
from storage.models import Program, Reminder, Round
from tests.e2e.conftest import BOT_TOKEN, SIGNING_SECRET, Served
from tests.harness.processes import SOAPBOT, soapbot_env, stop
from tests.harness.slack_api import SlackStandIn

ALARM = "deadline has passed"


def _clock_process(standin: SlackStandIn, database_url: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
                      DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1")
    return subprocess.Popen([SOAPBOT, "clock"], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)




def _alarms(standin: SlackStandIn) -> list[str]:
    return [c.params["text"] for c in standin.calls_to("chat.postMessage") if c.ok and ALARM in c.params["text"]]


def test_two_clock_processes_post_one_alarm_when_round_1_passes_unlocked(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with served.room.database.transaction() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == war_room))
        session.execute(update(Round).where(Round.program_id == program_id, Round.number == 1).values(
            deadline_at=now + timedelta(seconds=3), offers_at=now + timedelta(minutes=5),
            expires_at=now + timedelta(hours=2)))
    clocks = [_clock_process(standin, database_url, tmp_path) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while not _alarms(standin) and time.monotonic() < deadline:
            assert all(c.poll() is None for c in clocks), [stop(c) for c in clocks]
            time.sleep(0.2)
        alarms = _alarms(standin)
        assert alarms, "no alarm within 60 s of the deadline"
        # Both clocks tick every second: several ticks later, still one alarm.
        time.sleep(4)
        with served.room.database.reading() as session:
            states = sorted(session.scalars(select(Reminder.state).where(
                Reminder.program_id == program_id, Reminder.key.like("%:r1:deadline-passed:%"))))
        assert states == ["cancelled", "sent"]  # the default deadline's alarm, moved; the new one, sent
    finally:
        errors = [stop(c) for c in clocks]
    assert len(_alarms(standin)) == 1, errors
    text = alarms[0]
    assert "round 1's preference-list deadline has passed" in text
    assert "not locked" in text
    assert all(c.returncode in (0, -signal.SIGTERM) for c in clocks), errors
    # Each clock logs as the web processes do (nothing it fails at would be seen otherwise).
    assert all('"msg": "clock ' in log and "started with" in log for log in errors), errors
