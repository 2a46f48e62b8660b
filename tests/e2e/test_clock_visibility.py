"""A reminder clock the war room can see: `/soap schedule` says when reminders are not being sent, a real
`soapbot clock` process makes that go away, and a clock silent before a deadline gives the war room one
alarm however many web processes watch it.

The war room is set up through signed requests to the served app; the clock and the web processes are
real `soapbot` processes against the same database and the Web API stand-in.
"""

from __future__ import annotations

import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.console.signing import SlackClientSim
from storage.models import ClockSilenceAlarm, ClockTick
from tests.e2e.conftest import BOT_TOKEN, MEMBERS, SIGNING_SECRET, Served
from tests.harness.processes import SOAPBOT, free_port, soapbot_env, start, stop, wait_healthy
from tests.harness.slack_api import SlackStandIn

NOT_SENT = "Reminders are not being sent"


def status(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`soapbot status`, as a monitor runs it."""
    return subprocess.run([SOAPBOT, "status"], cwd=cwd, env=soapbot_env(**env), capture_output=True, text=True,
                          timeout=60, check=False)


def schedule_answer(slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> str:
    standin.reset()
    slack.command("schedule", MEMBERS[0], war_room)
    answer = standin.wait_for("response_url")[-1].params
    return f"{answer['text']}\n{answer.get('blocks')}"


def test_schedule_says_reminders_are_not_sent_until_a_clock_process_ticks(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    answer = schedule_answer(slack, standin, war_room)
    assert NOT_SENT in answer
    assert "no reminder clock has run" in answer and "soapbot clock" in answer
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": standin.url, "DATABASE_URL": database_url}
    before = status(tmp_path, **env)
    assert before.returncode == 1, before.stdout
    assert "clock  WRONG  no reminder clock has ticked" in before.stdout
    assert "schema ok" in before.stdout and "slack  ok" in before.stdout

    clock = start("clock", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                  SLACK_API_URL=standin.url, DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1")
    try:
        deadline = time.monotonic() + 60
        while True:
            with served.room.database.reading() as session:
                ticks = list(session.scalars(select(ClockTick)))
            if ticks or time.monotonic() > deadline:
                break
            assert clock.poll() is None, stop(clock)
            time.sleep(0.2)  # polling the database for the clock's first tick
        assert ticks, f"no clock tick recorded within 60 s: {stop(clock)}"
        served.clock.set(datetime.now(UTC))  # the clock process records wall-clock times
        assert NOT_SENT not in schedule_answer(slack, standin, war_room)
        after = status(tmp_path, **env)
        assert after.returncode == 0, after.stdout
        assert f"clock  ok     {ticks[0].clock_id} ticked" in after.stdout
    finally:
        errors = stop(clock)
    assert clock.returncode in (0, -15), errors


def test_a_clock_silent_for_5_minutes_before_a_deadline_gives_one_alarm_from_two_web_processes(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    # A clock that died 6 minutes ago; round 1's deadline (March) is ahead.
    with served.room.database.transaction() as session:
        died = datetime.now(UTC) - timedelta(minutes=6)
        session.add(ClockTick(clock_id="gone:1:dead", started_at=died - timedelta(hours=1), ticked_at=died))
    standin.reset()
    webs = []
    for _ in range(2):
        port = free_port()
        web = start("serve", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=standin.url, DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="2",
                    CLOCK_WATCH_SECONDS="1")
        webs.append(web)
        wait_healthy(web, f"http://127.0.0.1:{port}", timeout=60)
    try:
        posted = standin.wait_for("chat.postMessage", timeout=60)
        assert NOT_SENT in posted[0].params["text"]
        assert posted[0].params["channel"] == war_room
        # Four watchers (two processes, two workers each) look every second: seconds later, still one.
        time.sleep(4)
        alarms = [c for c in standin.calls_to("chat.postMessage") if NOT_SENT in c.params["text"]]
        assert len(alarms) == 1, [c.params["text"] for c in alarms]
        assert re.search(r"last seen [67] min ago", alarms[0].params["text"]), alarms[0].params["text"]
        with served.room.database.reading() as session:
            rows = list(session.scalars(select(ClockSilenceAlarm)))
        assert [(r.silent_since, r.posted_at is not None) for r in rows] == [(died, True)]
    finally:
        errors = [stop(web) for web in webs]
    assert all(web.returncode in (0, -15) for web in webs), errors
