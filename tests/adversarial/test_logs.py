"""Logs never carry an applicant's name, score or note text (nor Slack tokens), even at DEBUG.

A full scenario runs with the root logger at DEBUG and bot.logs.JsonFormatter (what `soapbot serve`
writes): import through Slack, the card, notes (command, modal, thread reply), votes (button and
command), plus requests that make libraries log payloads: a click nobody handles (Bolt logs the
whole body as a warning), a forged signature (Bolt logs the body), a failing write (SQLAlchemy puts
the parameters in the exception). Every captured line is then searched.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.console.payloads import static_select
from bot.console.signing import SlackClientSim, sign
from bot.domain.notes import NoteField
from bot.logs import redact
from storage.models import Candidate
from tests.adversarial.conftest import AdversarialServed, program_id
from tests.e2e.conftest import BOT_TOKEN, MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.logs import captured_logs
from tests.harness.slack_api import SlackStandIn

FIRST, LAST, SCHOOL = "Quennell", "Zarathwaite", "Ironbridge Synthetic College of Medicine"
STEP2 = "247"
EMAIL = "quennell.zarathwaite@example.org"
NOTE = "Marbleworth said she rescued a crashing patient"
MODAL_NOTE = "Thistlecombe recalls stellar sign-outs"
CALLED = "Dr. Pemberly Voss"
THREAD_NOTE = "Chief Oakenshaw vouches strongly"
SECRETS = [FIRST, LAST, SCHOOL, EMAIL, NOTE, MODAL_NOTE, CALLED, THREAD_NOTE, BOT_TOKEN, SIGNING_SECRET]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    with captured_logs(logging.DEBUG) as buffer:
        yield buffer


def _leaks(output: str) -> list[str]:
    found = [secret for secret in SECRETS if secret in output]
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    for line in lines:
        for key in ("msg", "trace"):
            if re.search(rf"(?<![0-9.]){STEP2}(?![0-9])", str(line.get(key, ""))):
                found.append(f"score {STEP2} in {line['logger']}: {str(line[key])[:160]}")
    return found


def test_a_full_scenario_at_debug_logs_no_applicant_data(served: AdversarialServed, slack: SlackClientSim,
                                                          standin: SlackStandIn, war_room: str,
                                                          captured: io.StringIO) -> None:
    """Defences: listeners log ids and counts only; bot.logs.redact removes payloads that libraries
    (Bolt, slack_sdk, SQLAlchemy) put in their messages and tracebacks, and Slack tokens."""
    row = applicant_row(1, first_name=FIRST, last_name=LAST, school=SCHOOL, step2ck=STEP2, email=EMAIL)
    file = standin.share_file("soap.csv", eras_csv([row, applicant_row(2)]), MEMBERS[0])
    share = slack.message_event(WAR_ROOM, MEMBERS[0], "import")
    share.update({"subtype": "file_share", "files": [file]})
    slack.event(share)
    served.idle()
    a = aamc_id(1)
    slack.command(f"candidate {a}", MEMBERS[0], WAR_ROOM)
    slack.command(f"ref {a} {NOTE}", MEMBERS[1], WAR_ROOM)
    slack.command(f"vote {a} high", MEMBERS[2], WAR_ROOM)
    slack.block_action(MEMBERS[0], WAR_ROOM, "vote.rank", a, block_id="card.vote")
    served.idle()
    metadata = json.dumps({"program": program_id(served.room.database), "candidate": a})
    slack.view_submission(MEMBERS[2], "note.modal", slack.state_values({
        NoteField.TEXT: {"value": MODAL_NOTE}, NoteField.CALLED_NAME: {"value": CALLED},
        NoteField.SENTIMENT: {"value": static_select("positive")}}), metadata)
    served.idle()
    with served.room.database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == a))
    slack.event(slack.message_event(WAR_ROOM, MEMBERS[3], THREAD_NOTE, thread_ts=thread))
    card = standin.calls_to("chat.postMessage")
    message = {"type": "message", "ts": thread, "text": f"{FIRST} {LAST}", "blocks": card[0].params.get("blocks")}
    slack.block_action(MEMBERS[0], WAR_ROOM, "no.such.action", a, block_id="card.unknown", message=message)
    body = json.dumps(slack.event_payload(slack.message_event(WAR_ROOM, MEMBERS[0], f"{FIRST} {NOTE}")))
    slack.raw_post(body, {"Content-Type": "application/json", **sign(body, "wrong-secret")})
    slack.command(f"find {LAST} {STEP2}", MEMBERS[0], WAR_ROOM)
    slack.command(f"notes {a}", MEMBERS[0], WAR_ROOM)
    served.idle()
    output = captured.getvalue()
    assert "slack_sdk" in output or "slack_bolt" in output, "library debug logs were not captured"
    assert _leaks(output) == []


@pytest.mark.parametrize(("line", "kept"), [
    ("Sending a request - url: https://slack.com/api/chat.postMessage, query_params: {}, body_params: {}, "
     "files: {}, json_body: {'channel': 'G1', 'text': 'Quennell Zarathwaite', 'blocks': [{'type': 'section'}]}, "
     "headers: {'Authorization': '(redacted)'}", "https://slack.com/api/chat.postMessage"),
    ("Unhandled request ({'type': 'block_actions', 'message': {'text': 'Quennell'}})", "Unhandled request"),
    ("(psycopg.errors.UniqueViolation) duplicate key\n[SQL: INSERT INTO candidates (first_name) VALUES (%s)]\n"
     "[parameters: ('Quennell',)]", "INSERT INTO candidates"),
    ("1 validation error for ApplicantProfile\nlast_name\n  String too long [type=string_too_long, "
     "input_value='Zarathwaite', input_type=str]", "validation error"),
    ("token xoxb-1234-5678-abcdefABCDEF and Bearer xoxp-99-aa and xapp-1-A0-77-ff", "token"),
    ("Invalid request signature detected (signature: v0=ab, timestamp: 1, body: payload=%7B%22Quennell%22)",
     "Invalid request signature"),
])
def test_redact_removes_payloads_parameters_and_tokens(line: str, kept: str) -> None:
    """Defence: bot.logs.redact (each shape of leak seen from Bolt, slack_sdk, SQLAlchemy, pydantic)."""
    cleaned = redact(line)
    assert kept in cleaned
    for secret in ("Quennell", "Zarathwaite", "xoxb-1234", "xoxp-99", "xapp-1-A0"):
        assert secret not in cleaned, cleaned
