"""Socket Mode across Slack's connection refresh: the app (as `soapbot socket` runs it) against the
loopback Socket Mode endpoint, with commands arriving while Slack rotates the connection."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.bootstrap import build_war_room
from bot.console.payloads import slash_command_payload
from bot.console.signing import SlackClientSim
from bot.settings import load_settings
from bot.socket import run_socket_mode
from storage.models import ClockTick, Reminder
from tests.e2e.conftest import BOT_TOKEN, MEMBERS, WAR_ROOM, Served
from tests.harness.deadlines import alarms, round_one_deadline_in, wait_for_ticks
from tests.harness.processes import start, stop
from tests.harness.slack_api import SlackStandIn
from tests.harness.socket_mode import SocketModeStandIn

ACK_LIMIT = 0.5


@pytest.fixture
def socket_app(standin: SlackStandIn, tmp_path: Path, sqlite_template: Path) -> Iterator[SocketModeStandIn]:
    # The transport does not touch the database beyond what any command does: one backend is enough.
    shutil.copy(sqlite_template, tmp_path / "soap.db")
    database_url = f"sqlite:///{tmp_path / 'soap.db'}"
    with SocketModeStandIn() as endpoint:
        standin.socket_mode = endpoint
        settings = load_settings(env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=None,
                                 slack_app_token="xapp-1-A0WARROOM-1-secret", slack_api_url=standin.url,
                                 database_url=database_url)
        room = build_war_room(settings)
        stop = threading.Event()
        thread = threading.Thread(target=run_socket_mode, args=(room,), kwargs={"with_clock": False, "stop": stop},
                                  daemon=True)
        thread.start()
        try:
            endpoint.wait_connections(1, timeout=15)
            yield endpoint
        finally:
            stop.set()
            thread.join(timeout=15)
            room.database.engine.dispose()


@pytest.mark.timing
def test_commands_every_100ms_across_a_refresh_are_each_acknowledged_within_half_a_second(
        socket_app: SocketModeStandIn, standin: SlackStandIn) -> None:
    envelopes: list[str] = []
    # Slack keeps the replaced connection open a while after the new one opens; a client that reads the
    # new connection only once the old one is gone leaves every command waiting that long.
    for i in range(25):
        if i == 5:
            socket_app.request_refresh(linger=1.5)
        envelopes.append(socket_app.send_command(slash_command_payload(
            "help", MEMBERS[0], WAR_ROOM, response_url=standin.response_url(f"socket-{i}"))))
        time.sleep(0.1)  # the arrival rate under test, not an ordering wait
    assert socket_app.connection_count == 2
    delays = []
    for envelope in envelopes:
        socket_app.wait_ack(envelope, timeout=5.0)
        delays.append(socket_app.ack_delay(envelope))
    slow = [(i, round(d, 3)) for i, d in enumerate(delays) if d > ACK_LIMIT]
    assert slow == [], f"commands acknowledged after more than {ACK_LIMIT} s (index, seconds): {slow}"
    answers = standin.wait_for("response_url", count=len(envelopes), timeout=10)
    assert all("/soap setup" in call.params["text"] for call in answers)


@pytest.mark.timing
def test_two_socket_processes_side_by_side_answer_commands_and_post_one_deadline_alarm(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, database_url: str,
        tmp_path: Path) -> None:
    program_id = round_one_deadline_in(served.room.database, war_room, 4)
    with SocketModeStandIn(spread=True) as endpoint:
        standin.socket_mode = endpoint
        processes = [start("socket", tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-A0WARROOM-1-secret",
                           SLACK_API_URL=standin.url, DATABASE_URL=database_url, CLOCK_TICK_SECONDS="1")
                     for _ in range(2)]
        try:
            endpoint.wait_connections(2, timeout=60)
            # Slack gives each envelope to one open connection: one to each process, each answered once.
            for index in range(2):
                envelope = endpoint.send_command(slash_command_payload(
                    "help", MEMBERS[0], war_room, response_url=standin.response_url(f"side-{index}")))
                endpoint.wait_ack(envelope, timeout=3.0)
            answers = standin.wait_for("response_url", count=2, timeout=10)
            assert sorted(call.path.rsplit("/", 1)[-1] for call in answers) == ["side-0", "side-1"]
            deadline = time.monotonic() + 60
            while not alarms(standin) and time.monotonic() < deadline:
                assert all(p.poll() is None for p in processes), [stop(p) for p in processes]
                time.sleep(0.2)
            assert alarms(standin), "no alarm within 60 s of the deadline"
            wait_for_ticks(served.room.database, 3)  # both clocks tick every second: still one alarm after
            with served.room.database.reading() as session:
                sent = list(session.scalars(select(Reminder.state).where(
                    Reminder.program_id == program_id, Reminder.key.like("%:r1:deadline-passed:%"),
                    Reminder.state == "sent")))
                # Each process's in-process clock records its ticks as `soapbot clock` does.
                tickers = list(session.scalars(select(ClockTick.clock_id)))
            assert sent == ["sent"]
            assert len(tickers) == 2 and all(pid in " ".join(tickers) for pid in (str(p.pid) for p in processes))
        finally:
            errors = [stop(p) for p in processes]
    assert len(alarms(standin)) == 1, errors
    assert all("Traceback" not in log for log in errors), errors
