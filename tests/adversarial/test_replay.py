"""Replays, floods and bodies no parser should be trusted with, through the real HTTP path.

The signature is checked on the raw body before anything parses it; only verified requests are
remembered (bot.web.ReplayMemory, in the database every worker shares); the key is what the
signature covers (timestamp and body). Each test counts what the app stored (every table), what it
posted (the Web API stand-in) and what it logged.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.app import create_app
from bot.bootstrap import build_war_room
from bot.console.payloads import new_event_id
from bot.console.signing import SlackClientSim, sign
from bot.console.workspace import LoopbackServer, TrackedExecutor
from bot.web import wsgi_app
from storage.replays import replay_file, replay_store
from tests.adversarial.conftest import AdversarialServed, snapshot
from tests.e2e.conftest import MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.harness.logs import captured_logs
from tests.harness.slack_api import SlackStandIn

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every log line the app writes during the test, as `soapbot serve` writes them."""
    with captured_logs(logging.INFO) as buffer:
        yield buffer


@pytest.fixture
def second_worker(served: AdversarialServed) -> Iterator[str]:
    """Another web worker: its own app, process-local state and HTTP server, the same database (as a
    second gunicorn worker has). tests/e2e/test_processes.py does the same with real gunicorn workers."""
    tracked = TrackedExecutor()
    room = build_war_room(served.settings, clock=served.clock, sleep=lambda _s: None, work=tracked)
    server = LoopbackServer(wsgi_app(create_app(room, listener_executor=tracked), room), name="second-worker")
    try:
        yield server.url
    finally:
        server.stop()
        tracked.shutdown(wait=True)


def _note_command(slack: SlackClientSim) -> tuple[str, dict[str, str]]:
    body = urlencode(slack.command_payload(f"ref {aamc_id(1)} Called the dean: dependable.", MEMBERS[0], WAR_ROOM))
    return body, {"Content-Type": FORM, **sign(body, SIGNING_SECRET)}


def _remembered(served: AdversarialServed) -> int:
    return replay_store(served.room.database.url).count()


def test_a_replay_with_unsigned_headers_changed_is_still_refused(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: the replay key is the signed content only (timestamp and body), so a changed Content-Type
    or an added X-Slack-Retry-Num (neither is signed) does not make a captured request new."""
    body, headers = _note_command(slack)
    assert slack.raw_post(body, headers).status == 200
    served.idle()
    after_first = snapshot(served.room.database)
    variants = [{**headers, "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                {**headers, "Content-Type": "text/plain"},
                {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
                {**headers, "X-Slack-Retry-Num": "2"},
                {**headers, "Content-Type": "application/x-www-form-urlencoded; json", "X-Slack-Retry-Num": "3"},
                headers]
    assert [slack.raw_post(body, variant).status for variant in variants] == [401] * len(variants)
    served.idle()
    assert snapshot(served.room.database) == after_first
    assert after_first["reference_notes"] == 1


def test_a_replay_sent_to_another_worker_is_refused(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str,
        second_worker: str) -> None:
    """Defence: the replay memory is in the database, shared by every worker and process (it was one
    memory per process: a replay that landed on the other worker stored a second note)."""
    body, headers = _note_command(slack)
    other = SlackClientSim(second_worker, SIGNING_SECRET, standin=standin)
    assert slack.raw_post(body, headers).status == 200
    served.idle()
    assert other.raw_post(body, headers).status == 401
    assert slack.raw_post(body, headers).status == 401
    served.idle()
    assert snapshot(served.room.database)["reference_notes"] == 1


def test_unsigned_floods_neither_flush_the_memory_nor_fill_the_log(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str,
        captured: io.StringIO) -> None:
    """Defence: the signature is verified before anything is remembered, and refusals are logged once per
    burst. (It was the other way round: 100,050 unsigned posts flushed the 100,000 remembered
    signatures, the captured `/soap ref` passed again and stored a second note, and each refusal wrote a
    log line.) The full 100,050 run is against real gunicorn workers in tests/e2e/test_processes.py."""
    body, headers = _note_command(slack)
    assert slack.raw_post(body, headers).status == 200
    served.idle()
    remembered = _remembered(served)
    lines_before = len(captured.getvalue().splitlines())
    now = int(time.time())
    forged = [{"Content-Type": FORM},
              {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + "0" * 64},
              {"Content-Type": FORM, **sign(body, "not-the-secret")}]
    statuses = {slack.raw_post(f"{body}&n={n}", forged[n % 3]).status for n in range(1500)}
    assert statuses == {401}
    assert slack.raw_post(body, headers).status == 401
    served.idle()
    assert _remembered(served) == remembered
    assert snapshot(served.room.database)["reference_notes"] == 1
    new_lines = captured.getvalue().splitlines()[lines_before:]
    assert 1 <= len(new_lines) <= 3, new_lines


def test_bodies_are_verified_before_they_are_parsed(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str,
        captured: io.StringIO) -> None:
    """Defence: bot.web checks the signature on the raw body first, then parses it with a depth limit.
    A deeply nested body answered 500 with a RecursionError traceback in the log; unsigned malformed
    bodies answered 400 (telling a stranger the body was read)."""
    before = snapshot(served.room.database)
    nested_json = "[" * 100_000 + "]" * 100_000
    deep_but_parsable = json.dumps({"type": "block_actions", "actions": [{"a": json.loads("[" * 200 + "]" * 200)}]})
    bodies = [
        (json.dumps({"type": "event_callback"})[:-1] + ', "event": ' + nested_json + "}", "application/json"),
        ("payload=" + nested_json, FORM),
        ("payload=" + deep_but_parsable, FORM),
        ("payload={not json", FORM),
        ("\xff\xfe not utf-8", FORM),
    ]
    for body, ctype in bodies:
        raw = body.encode("latin-1") if body.startswith("\xff") else body.encode()
        unsigned = slack.raw_post(raw, {"Content-Type": ctype})
        signed = slack.raw_post(raw, {"Content-Type": ctype, **sign(raw, SIGNING_SECRET)})
        assert (unsigned.status, signed.status) == (401, 400), body[:40]
        for response in (unsigned, signed):
            assert "Traceback" not in str(response.body)
    served.idle()
    assert snapshot(served.room.database) == before
    assert standin.calls == []
    log = captured.getvalue()
    assert "Traceback" not in log and "RecursionError" not in log


def test_a_redelivered_file_share_whose_first_delivery_never_ran_imports_once(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    """Defence: imports are claimed by event_id (bot.services.slack_events), not dropped because they carry
    X-Slack-Retry-Num: a redelivery of a share whose first delivery never reached the app (a deploy,
    a 5xx) imports it, and the redeliveries after that do not."""
    file = standin.share_file("soap.csv", eras_csv(applicant_rows(5)), MEMBERS[0])
    event = slack.message_event(WAR_ROOM, MEMBERS[0], "import please")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    event_id = new_event_id()
    # The first delivery was lost: Slack's first redelivery is the first request the app sees.
    for retry in (1, 2, 3):
        assert slack.event(event, event_id=event_id, retry_num=retry, retry_reason="http_error",
                           timestamp=int(time.time()) + retry).status == 200
    served.idle()
    assert snapshot(served.room.database)["candidates"] == 5
    assert len(standin.calls_to("files.download")) == 1
    assert len(standin.calls_to("chat.postMessage")) == 1


@contextmanager
def replay_memory_locked(database_url: str) -> Iterator[None]:
    """A database fault where the replay memory lives: another session holds the lock its INSERT needs
    (SQLite: the replay file's write lock; PostgreSQL: an ACCESS EXCLUSIVE lock on `seen_requests`),
    for longer than the memory waits before it gives up."""
    if database_url.startswith("sqlite"):
        holder = sqlite3.connect(replay_file(make_url(database_url).database or ""), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql("LOCK TABLE seen_requests IN ACCESS EXCLUSIVE MODE")
            yield
    finally:
        engine.dispose()


def _notes(served: AdversarialServed) -> int:
    return snapshot(served.room.database)["reference_notes"]


def test_requests_the_replay_memory_cannot_record_are_refused_retryably_and_never_remembered_per_worker(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, war_room: str,
        database_url: str, captured: io.StringIO) -> None:
    """Defence: the replay memory fails closed. While the database cannot record a verified request,
    an event (with or without X-Slack-Retry-Num) is answered 503 with Retry-After, which Slack
    redelivers, and a command gets an ephemeral "nothing was done, send it again"; neither is handled.
    Before: the worker remembered it in its own memory and handled it, so a replay of it reaching
    another worker (or this one after a restart) was handled again (2 notes stored twice)."""
    file = standin.share_file("soap.csv", eras_csv(applicant_rows(5)), MEMBERS[0])
    event = slack.message_event(WAR_ROOM, MEMBERS[0], "import please")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    event_id = new_event_id()
    with replay_memory_locked(database_url):
        first = slack.event(event, event_id=event_id)
        retried = slack.event(event, event_id=event_id, retry_num=1, retry_reason="http_error",
                              timestamp=int(time.time()) + 1)
    assert (first.status, retried.status) == (503, 503)
    assert first.headers.get("retry-after") and retried.headers.get("retry-after")
    served.idle()
    assert snapshot(served.room.database)["candidates"] == 0
    assert standin.calls_to("files.download") == [] and standin.calls_to("chat.postMessage") == []

    # The database answers again: Slack's next redelivery is handled, once.
    assert slack.event(event, event_id=event_id, retry_num=2, retry_reason="http_error",
                       timestamp=int(time.time()) + 2).status == 200
    served.idle()
    assert snapshot(served.room.database)["candidates"] == 5
    assert len(standin.calls_to("chat.postMessage")) == 1

    # A command while the memory cannot record it: the person is told, nothing is stored.
    body, headers = _note_command(slack)
    with replay_memory_locked(database_url):
        refused = slack.raw_post(body, headers)
    assert refused.status == 200
    assert refused.body["response_type"] == "ephemeral" and "nothing was done" in refused.body["text"]
    served.idle()
    assert _notes(served) == 0
    # It was never remembered anywhere: sent again (or replayed) now, it is handled once, then refused.
    assert slack.raw_post(body, headers).status == 200
    served.idle()
    assert _notes(served) == 1
    assert slack.raw_post(body, headers).status == 401
    served.idle()
    assert _notes(served) == 1
    log = captured.getvalue()
    assert "requests the replay memory could not record" in log
    assert "remembering in this process" not in log
