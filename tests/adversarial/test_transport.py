"""Requests that are not what Slack signed: forged, stale, replayed, oversized.

Every case goes through the real HTTP path (bot.web.wsgi_app → Bolt's signature check) and
counts what the app did by the Web API stand-in and by the row count of every table.
"""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from bot.console.payloads import new_event_id
from bot.console.signing import SlackClientSim, sign
from bot.web import MAX_BODY_BYTES
from storage.models import Candidate
from tests.adversarial.conftest import AdversarialServed, snapshot
from tests.e2e.conftest import MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.harness.slack_api import SlackStandIn

FORM = "application/x-www-form-urlencoded"


def _later(retry: int | None) -> int | None:
    """The timestamp Slack signs a redelivery with: it signs each delivery when it sends it, later."""
    return int(time.time()) + retry if retry else None


def _bodies(slack: SlackClientSim) -> dict[str, tuple[str, str]]:
    """One write of each kind Slack sends: (body, content type)."""
    command = urlencode(slack.command_payload(f"vote {aamc_id(1)} high", MEMBERS[0], WAR_ROOM))
    click = urlencode({"payload": json.dumps(slack.block_action_payload(MEMBERS[0], WAR_ROOM, "vote.rank_high",
                                                                         aamc_id(1), block_id="card.vote"))})
    event = json.dumps(slack.event_payload(slack.message_event(WAR_ROOM, MEMBERS[0], "note", thread_ts="1.000100")))
    return {"command": (command, FORM), "click": (click, FORM), "event": (event, "application/json")}


@pytest.mark.parametrize("kind", ["command", "click", "event"])
def test_forged_missing_tampered_and_stale_signatures_get_401_and_change_nothing(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str, kind: str) -> None:
    """Defence: Bolt's RequestVerification (HMAC-SHA256 of v0:timestamp:body, 5-minute window)."""
    body, ctype = _bodies(slack)[kind]
    before = snapshot(served.room.database)
    standin.reset()
    now = int(time.time())
    attempts = {
        "unsigned": {"Content-Type": ctype},
        "wrong secret": {"Content-Type": ctype, **sign(body, "not-the-signing-secret")},
        "stale (6 min old)": {"Content-Type": ctype, **sign(body, SIGNING_SECRET, timestamp=now - 6 * 60)},
        "future (6 min ahead)": {"Content-Type": ctype, **sign(body, SIGNING_SECRET, timestamp=now + 6 * 60)},
        "garbage timestamp": {"Content-Type": ctype, **sign(body, SIGNING_SECRET),
                              "X-Slack-Request-Timestamp": "yesterday"},
        "signature of another body": {"Content-Type": ctype, **sign(body + "x", SIGNING_SECRET)},
        "truncated signature": {"Content-Type": ctype,
                                **{k: v[:-4] for k, v in sign(body, SIGNING_SECRET).items()}},
    }
    statuses = {name: slack.raw_post(body, headers).status for name, headers in attempts.items()}
    tampered = slack.raw_post(body.replace("high", "dnr").replace("note", "evil"),
                              {"Content-Type": ctype, **sign(body, SIGNING_SECRET)})
    statuses["tampered body"] = tampered.status
    served.idle()
    assert statuses == dict.fromkeys(statuses, 401)
    assert standin.calls == []
    assert snapshot(served.room.database) == before


def test_a_replayed_command_within_five_minutes_is_refused(served: AdversarialServed, slack: SlackClientSim,
                                                           standin: SlackStandIn, stocked: str) -> None:
    """Defence: bot.web's replay guard (a signature already seen in the last 5 minutes gets 401).

    Slack's signature proves who sent a body and when, not that it is sent once: a captured request
    replayed within the 5-minute window passes Bolt's check. A replayed `/soap ref` would add the
    note again; the guard refuses the second copy. Slack itself never sends one signature twice
    (its retries carry a new timestamp, hence a new signature)."""
    body = urlencode(slack.command_payload(f"ref {aamc_id(1)} Called the dean: dependable.", MEMBERS[0], WAR_ROOM))
    headers = {"Content-Type": FORM, **sign(body, SIGNING_SECRET)}
    first = slack.raw_post(body, headers)
    served.idle()
    after_first = snapshot(served.room.database)
    posted = len(standin.calls)
    replay = slack.raw_post(body, headers)
    served.idle()
    assert (first.status, replay.status) == (200, 401)
    assert snapshot(served.room.database) == after_first
    assert after_first["reference_notes"] == 1
    assert len(standin.calls) == posted


def test_slack_retries_of_an_event_store_once(served: AdversarialServed, slack: SlackClientSim,
                                              standin: SlackStandIn, stocked: str) -> None:
    """Defence: processed_events (the notes service records each event_id once); a retry carries
    X-Slack-Retry-Num and a fresh signature, so it passes the replay guard and must be deduplicated."""
    slack.command(f"ref {aamc_id(1)} Opening the thread.", MEMBERS[0], WAR_ROOM)
    served.idle()
    with served.room.database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc_id(1)))
    assert thread
    event = slack.message_event(WAR_ROOM, MEMBERS[1], "Reference from the clerkship director: solid.",
                                thread_ts=thread)
    event_id = new_event_id()
    for retry in (None, 1, 2, 3):
        assert slack.event(event, event_id=event_id, retry_num=retry, timestamp=_later(retry)).status == 200
    served.idle()
    assert snapshot(served.room.database)["reference_notes"] == 2


def _post_declaring(served: AdversarialServed, headers: dict[str, str], body: bytes) -> int:
    """POST that declares a Content-Length but sends only `body`; returns the status the app answered."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode() + body)
        answer = conn.recv(200).decode("latin-1")
    return int(answer.split(" ", 2)[1])


def test_a_body_over_one_mebibyte_gets_413_unread(served: AdversarialServed, slack: SlackClientSim,
                                                  standin: SlackStandIn, stocked: str) -> None:
    """Defence: bot.web.MAX_BODY_BYTES (checked on Content-Length before Bolt reads the body): the app
    answers 413 after the headers, without waiting for (or reading) the megabyte."""
    before = snapshot(served.room.database)
    text = f"ref {aamc_id(1)} " + "A" * MAX_BODY_BYTES
    body = urlencode(slack.command_payload(text, MEMBERS[0], WAR_ROOM)).encode()
    headers = {"Content-Type": FORM, "Content-Length": str(len(body)), **sign(body, SIGNING_SECRET)}
    assert _post_declaring(served, headers, body[:1000]) == 413
    assert _post_declaring(served, {**headers, "Content-Length": "-5"}, b"") == 413
    assert _post_declaring(served, {**headers, "Content-Length": "lots"}, b"") == 413
    served.idle()
    assert standin.calls == []
    assert snapshot(served.room.database) == before


def test_healthz_and_unknown_paths_hold_nothing(served: AdversarialServed, slack: SlackClientSim,
                                                standin: SlackStandIn, war_room: str) -> None:
    """Defence: bot.web answers only /healthz and POST /slack/events; nothing else reaches Bolt."""
    assert slack.raw_post(b"", {}, path="/healthz", method="GET").status == 200
    for path, method in (("/slack/events", "GET"), ("/admin", "GET"), ("/slack/install", "POST"),
                         ("/../etc/passwd", "GET")):
        response = slack.raw_post(b"", {}, path=path, method=method)
        assert response.status == 404, (path, method)
        assert "Traceback" not in str(response.body)
    assert standin.calls == []


def test_url_verification_needs_a_signature(served: AdversarialServed, slack: SlackClientSim) -> None:
    """Defence: Bolt verifies the signature of url_verification too (no unsigned echo service)."""
    body = json.dumps({"token": "x", "challenge": "abc", "type": "url_verification"})
    assert slack.raw_post(body, {"Content-Type": "application/json"}).status == 401
    assert slack.url_verification("abc").status == 200


def test_a_retried_file_share_event_imports_and_answers_once(served: AdversarialServed, slack: SlackClientSim,
                                                             standin: SlackStandIn, war_room: str) -> None:
    """Defence: Slack's redeliveries of one event (same event_id, X-Slack-Retry-Num) are dropped
    once the event was handled (the file is not imported, audited or answered twice)."""
    file = standin.share_file("soap.csv", eras_csv(applicant_rows(5)), MEMBERS[0])
    event = slack.message_event(WAR_ROOM, MEMBERS[0], "import please")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    event_id = new_event_id()
    assert slack.event(event, event_id=event_id).status == 200
    served.idle()
    first = snapshot(served.room.database)
    for retry in (1, 2, 3):
        assert slack.event(event, event_id=event_id, retry_num=retry, retry_reason="http_timeout",
                           timestamp=_later(retry)).status == 200
    served.idle()
    assert first["candidates"] == 5
    assert snapshot(served.room.database) == first
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert len(standin.calls_to("files.download")) == 1
