"""The real processes an operator runs: `soapbot serve` (gunicorn), `soapbot socket`, and bad settings.

These start `soapbot` as a subprocess, exactly as the Procfile and README do, against the Web API
stand-in (SLACK_API_URL) and, for Socket Mode, a loopback WebSocket endpoint speaking Slack's protocol.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.console.payloads import slash_command_payload
from bot.console.signing import SlackClientSim
from tests.e2e.conftest import BOT_TOKEN, MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.harness.processes import SOAPBOT, free_port, soapbot_env, stop, wait_healthy
from tests.harness.slack_api import SlackStandIn
from tests.harness.socket_mode import SocketModeStandIn


@pytest.fixture
def serve_process(standin: SlackStandIn, database_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
                      DATABASE_URL=database_url, PORT=str(port), WEB_CONCURRENCY="1")
    process = subprocess.Popen([SOAPBOT, "serve"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(process, url, timeout=30)
    try:
        yield url
    finally:
        stop(process)


@pytest.mark.timing
def test_gunicorn_serves_signed_slack_requests_and_health(serve_process: str, standin: SlackStandIn) -> None:
    slack = SlackClientSim(serve_process, SIGNING_SECRET, standin=standin)
    with urllib.request.urlopen(serve_process + "/healthz", timeout=2) as health:
        assert health.read() == b"ok\n"
    standin.reset()
    response = slack.command("help", MEMBERS[0], WAR_ROOM)
    assert response.status == 200
    assert response.elapsed < 3.0
    answer = standin.wait_for("response_url")[0].params
    assert answer["response_type"] == "ephemeral"
    assert "/soap setup" in answer["text"]
    standin.reset()
    forged = slack.raw_post("command=%2Fsoap&text=help", {"Content-Type": "application/x-www-form-urlencoded",
                                                          "X-Slack-Request-Timestamp": str(int(time.time())),
                                                          "X-Slack-Signature": "v0=" + "0" * 64})
    assert forged.status == 401
    # A signed request sent after the forged one is answered; had the forged one reached a
    # listener, its answer would be recorded too.
    slack.command("help", MEMBERS[1], WAR_ROOM)
    standin.wait_for("response_url")
    assert [call.method for call in standin.calls] == ["response_url"]
    assert "/soap setup" in standin.calls[0].params["text"]


@pytest.mark.timing
def test_socket_mode_answers_envelopes_within_3s_and_reconnects_on_refresh(standin: SlackStandIn,
                                                                          database_url: str,
                                                                          tmp_path: Path) -> None:
    with SocketModeStandIn() as socket_mode:
        standin.socket_mode = socket_mode
        env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-A0WARROOM-1-secret",
                          SLACK_API_URL=standin.url, DATABASE_URL=database_url)
        process = subprocess.Popen([SOAPBOT, "socket"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        try:
            socket_mode.wait_connections(1, timeout=30)
            assert standin.calls_to("apps.connections.open")
            envelope = socket_mode.send_command(slash_command_payload(
                "help", MEMBERS[0], WAR_ROOM, response_url=standin.response_url("socket-help")))
            started = time.monotonic()
            socket_mode.wait_ack(envelope, timeout=3.0)
            assert time.monotonic() - started < 3.0
            assert "/soap setup" in standin.wait_for("response_url")[0].params["text"]

            socket_mode.request_refresh()
            socket_mode.wait_connections(2, timeout=10)
            assert len(standin.calls_to("apps.connections.open")) >= 2
            standin.reset()
            again = socket_mode.send_command(slash_command_payload(
                "frobnicate", MEMBERS[0], WAR_ROOM, response_url=standin.response_url("socket-unknown")))
            socket_mode.wait_ack(again, timeout=3.0)
            assert "Unknown subcommand" in standin.wait_for("response_url")[0].params["text"]
        finally:
            log = stop(process)
        assert "Traceback" not in log


def test_bad_settings_print_one_message_naming_every_variable_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PORT=abc\nSLACK_BOT_TOKEN=xoxb-1\nSOAP_TIMEZONE=Mars/Olympus\n")
    result = subprocess.run([SOAPBOT, "serve"], cwd=tmp_path, env=soapbot_env(), capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    message = result.stderr.decode()
    assert "PORT" in message and "SOAP_TIMEZONE" in message
    assert "Traceback" not in message

    (tmp_path / ".env").write_text("PORT=3000\nSLACK_BOT_TOKEN=xoxb-1\n")
    result = subprocess.run([SOAPBOT, "serve"], cwd=tmp_path, env=soapbot_env(), capture_output=True, timeout=60,
                            check=False)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_a_bad_port_and_an_empty_signing_secret_are_named_in_one_message(tmp_path: Path) -> None:
    result = subprocess.run([SOAPBOT, "serve"], cwd=tmp_path,
                            env=soapbot_env(PORT="abc", SLACK_SIGNING_SECRET="", SLACK_BOT_TOKEN="xoxb-1"),
                            capture_output=True, timeout=60, check=False)
    message = result.stderr.decode()
    assert result.returncode == 2, message
    assert "PORT" in message and "SLACK_SIGNING_SECRET" in message
    assert message.count("cannot start") == 1
    assert "Traceback" not in message
    # Nothing set at all: the bot token is named with the secret, in the same single message.
    result = subprocess.run([SOAPBOT, "serve"], cwd=tmp_path, env=soapbot_env(PORT="abc"), capture_output=True,
                            timeout=60, check=False)
    message = result.stderr.decode()
    assert result.returncode == 2
    assert all(name in message for name in ("PORT", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"))


def test_without_credentials_run_explains_how_to_connect_or_opens_the_console(tmp_path: Path) -> None:
    result = subprocess.run([SOAPBOT, "run"], cwd=tmp_path, env=soapbot_env(), capture_output=True, timeout=60,
                            input=b"quit\n", check=False)
    output = (result.stdout + result.stderr).decode()
    assert "manifest.yml" in output or "console" in output.lower()
    assert "Traceback" not in output


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_serve_and_the_file_commands_refuse_a_postgresql_database_that_is_behind(tmp_path: Path) -> None:
    admin_url = "postgresql+psycopg://" + os.environ["TEST_DATABASE_URL"].split("://", 1)[1]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"soap_behind_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, DATABASE_URL=url)
        (tmp_path / "export.csv").write_text("AAMC ID,First Name,Last Name\n14000001,Ana,Testwell\n")
        for command in (["serve"], ["import", "export.csv", "--program", "x"],
                        ["import-plan", "export.csv", "--program", "x"],
                        ["export-list", "--program", "x", "--round", "1"], ["export", "--program", "x"]):
            result = subprocess.run([SOAPBOT, *command], cwd=tmp_path, env=env, capture_output=True, timeout=60,
                                    check=False)
            # The archive command exits 1 on every refusal it explains; the others 2 for the schema.
            assert result.returncode == (1 if command[0] == "export" else 2), (command, result.stderr.decode())
            assert "soapbot db upgrade" in result.stderr.decode(), command
            assert "Traceback" not in result.stderr.decode(), command
        upgraded = subprocess.run([SOAPBOT, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True,
                                  timeout=60, check=False)
        assert upgraded.returncode == 0, upgraded.stderr.decode()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
