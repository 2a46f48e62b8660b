"""Secrets and applicant ids stay out of what the bot prints and logs.

- A bad setting is named with what is wrong, never its value: a token pasted in the wrong variable or a
  database password would otherwise land in the terminal and the platform's log.
- A database that cannot be reached, or refuses the credentials, stops `soapbot` with the same one
  message, not a traceback.
- A traceback keeps its frames and exception types but drops every exception's message (a ValueError
  quotes the value it refused: a forged button's AAMC ID).
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console.signing import SlackClientSim
from bot.logs import JsonFormatter
from tests.adversarial.conftest import AdversarialServed
from tests.e2e.conftest import BOT_TOKEN, DIRECTOR, SIGNING_SECRET, WAR_ROOM
from tests.harness.logs import captured_logs
from tests.harness.processes import SOAPBOT, free_port, soapbot_env
from tests.harness.slack_api import SlackStandIn

PASSWORD = "Sup3rSecretPassw0rd"
APP_TOKEN = "xapp-1-A0WRONGPLACE-77-deadbeefcafe"
ZONE = "Mars/Olympus_Mons_Base"


def _soapbot(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SOAPBOT, *command], cwd=tmp_path, env=soapbot_env(**env), capture_output=True,
                          text=True, timeout=60, check=False)


def test_a_bad_setting_is_named_without_its_value(tmp_path: Path) -> None:
    """Defence: bot.settings._reason says what is wrong only. Before: `SLACK_BOT_TOKEN: must be a bot token
    starting with xoxb- (got 'xapp-…')`, and a malformed DATABASE_URL printed with its password."""
    done = _soapbot(tmp_path, "serve", SLACK_BOT_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SOAP_TIMEZONE=ZONE, DATABASE_URL=f"postgresql://soap:{PASSWORD}@db.example:port/soap")
    message = done.stdout + done.stderr
    assert done.returncode == 2, message
    assert message.count("cannot start") == 1 and "Traceback" not in message
    for name in ("SLACK_BOT_TOKEN", "SOAP_TIMEZONE", "DATABASE_URL"):
        assert name in message, name
    for value in (APP_TOKEN, "A0WRONGPLACE", PASSWORD, "Olympus"):
        assert value not in message, value


def test_a_database_that_cannot_be_reached_is_one_settings_message(tmp_path: Path) -> None:
    """Defence: bot.cli._require_database (storage.database.connection_problem) before any command that
    uses the database. Before: a psycopg OperationalError traceback."""
    unreachable = f"postgresql://soap:{PASSWORD}@127.0.0.1:{free_port()}/soap"
    for command in (["serve"], ["clock"], ["db", "upgrade"], ["import", "x.csv", "--program", "x"]):
        done = _soapbot(tmp_path, *command, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        DATABASE_URL=unreachable)
        message = done.stdout + done.stderr
        assert done.returncode == 2, (command, message)
        assert message.count("cannot start") == 1 and "Traceback" not in message, message
        assert "DATABASE_URL" in message and "cannot be reached" in message and PASSWORD not in message
    (tmp_path / "not-a-folder").write_text("")
    done = _soapbot(tmp_path, "clock", SLACK_BOT_TOKEN=BOT_TOKEN,
                    DATABASE_URL=f"sqlite:///{tmp_path / 'not-a-folder' / 'soap.db'}")
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)")
def test_credentials_postgresql_refuses_are_one_settings_message(tmp_path: Path) -> None:
    server = os.environ["TEST_DATABASE_URL"].split("@", 1)[1].split("/", 1)[0]
    wrong = f"postgresql://no_such_soap_role:{PASSWORD}@{server}/soap"
    done = _soapbot(tmp_path, "serve", SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    DATABASE_URL=wrong)
    message = done.stdout + done.stderr
    assert done.returncode == 2 and "Traceback" not in message, message
    assert "DATABASE_URL" in message and "user name or password" in message and PASSWORD not in message


def test_log_level_takes_any_case(tmp_path: Path) -> None:
    """Before: LOG_LEVEL=debug stopped the bot (only DEBUG was accepted)."""
    done = _soapbot(tmp_path, "db", "current", LOG_LEVEL="debug", DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}")
    assert done.returncode == 0, done.stderr


def _raise_chained(aamc: str) -> None:
    try:
        int(aamc + "²")
    except ValueError as error:
        raise KeyError(f"candidate {aamc}") from error


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    with captured_logs(logging.INFO) as buffer:
        yield buffer


def test_a_logged_traceback_keeps_frames_and_types_but_no_exception_message() -> None:
    """Defence: bot.logs.trace. Before: the trace ended with `ValueError: invalid literal for int() with base
    10: '14000007²'` (and SQLAlchemy's IntegrityError detail `Key (program_id, aamc_id)=(1, 14000007)`)."""
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed: %s", ("KeyError",), None)
    try:
        _raise_chained("14000007")
    except KeyError as error:
        record.exc_info = (type(error), error, error.__traceback__)
    line = json.loads(JsonFormatter().format(record))
    assert "14000007" not in json.dumps(line)
    assert "ValueError" in line["trace"] and "KeyError" in line["trace"] and "_raise_chained" in line["trace"]
    assert line["error"] == "KeyError"


def test_a_forged_button_value_is_refused_and_not_logged(served: AdversarialServed, slack: SlackClientSim,
                                                         standin: SlackStandIn, war_room: str,
                                                         captured: io.StringIO) -> None:
    """Defences: bot.services.offers.parse_outcome_value reads ASCII digits only; bot.logs.trace. Before: a
    round of `14000007²` raised ValueError and its traceback logged the value."""
    forged = "14000007|14000007²|accepted|1234140C0"
    slack.block_action(DIRECTOR, WAR_ROOM, "offer.outcome.accepted", forged, block_id="card.offers",
                       response_url=standin.response_url("forged-outcome"))
    answer = standin.wait_for("response_url")[-1].params
    assert "out of date" in str(answer.get("text"))
    served.idle()
    assert "14000007" not in captured.getvalue()
