"""Signed but malformed requests: what a buggy client, a changed Slack payload or a fuzzer sends.

Each request is correctly signed (so it passes Bolt's check and reaches the listeners). The app
must answer without a 5xx and without a traceback in the body, store nothing, and post nothing
but, at most, an ephemeral refusal to the person.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.console.signing import SlackClientSim
from bot.domain.notes import NoteField
from bot.messages.ids import ActionId, CallbackId
from tests.adversarial.conftest import POST_METHODS, AdversarialServed, program_id, snapshot
from tests.e2e.conftest import MEMBERS, WAR_ROOM
from tests.factories import aamc_id
from tests.harness.slack_api import SlackStandIn

FORM = "application/x-www-form-urlencoded"
A = aamc_id(1)
HUGE = "Z" * 200_000


def _check(response: Any) -> None:
    assert response.status < 500, response
    assert "Traceback" not in str(response.body)
    assert 'File "' not in str(response.body)


def _no_stores_no_posts(served: AdversarialServed, standin: SlackStandIn, before: dict[str, int]) -> None:
    served.idle()
    assert snapshot(served.room.database) == before
    for call in standin.calls:
        if call.method in POST_METHODS:
            assert call.method == "chat.postEphemeral", call.params
            assert call.params["text"].startswith(":"), call.params
            assert "Traceback" not in call.params["text"]
        if call.method == "response_url":
            assert call.params.get("response_type") == "ephemeral"
            assert "Traceback" not in json.dumps(call.params)


def test_garbage_in_the_payload_field_and_bodies_that_are_not_what_they_claim(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: Bolt's parser plus handlers.errors (app.error answers anything that fails outside a
    listener): unreadable bodies never become a 500 or a store."""
    before = snapshot(served.room.database)
    bodies = [
        ("payload={not json", FORM),
        ("payload=" + "%5B1%2C2%5D", FORM),  # a JSON list, not an object
        ("payload=null", FORM),
        ("payload=%7B%7D", FORM),  # {}
        ("payload=" + json.dumps({"type": "block_actions"}), FORM),
        ("payload=" + json.dumps({"type": "view_submission"}), FORM),
        ("payload=" + json.dumps({"type": "block_actions", "user": "U0MEMBER01", "actions": "nope"}), FORM),
        ("payload=" + json.dumps({"type": "block_actions", "user": {"id": 7}, "actions": [None, 3],
                                  "channel": ["x"], "container": "y"}), FORM),
        ("payload=" + json.dumps({"type": "view_submission", "user": {"id": MEMBERS[0]},
                                  "view": "not a view"}), FORM),
        ("command=%2Fsoap", FORM),  # no user, no channel, no text
        ("command=%2Fsoap&text=vote+" + A + "+high", FORM),
        ("command=%2Fsoap&text=vote+" + A + "+high&user_id=&channel_id=", FORM),
        ("\x00\x01\x02\xff", FORM),
        ("{not json", "application/json"),
        ("[]", "application/json"),
        (json.dumps({"type": "event_callback"}), "application/json"),
        (json.dumps({"type": "event_callback", "event": "message"}), "application/json"),
        (json.dumps({"type": "event_callback", "event": {"type": "message", "channel": WAR_ROOM,
                                                         "thread_ts": 5, "ts": None, "user": ["U1"]}}),
         "application/json"),
        (json.dumps({"type": "event_callback", "event": {"type": "app_home_opened", "user": {"id": "x"}}}),
         "application/json"),
        ("text=hello", "text/plain"),
    ]
    for body, ctype in bodies:
        response = slack.signed_post(body.encode("utf-8", "surrogateescape"), ctype)
        assert response.status < 500, (body[:80], response)
        _check(response)
    _no_stores_no_posts(served, standin, before)


@pytest.mark.parametrize("text", [
    f"vote {A} \"unclosed", "ref", "vote", "rank " + " ".join([A] * 500), f"vote {A} " + HUGE[:3000],
    "policy set visas=" + HUGE[:3000], "schedule set round=99 deadline=yesterday", "list lock 99999999999999999999",
    "notes " + A + " -1", "find " + "(" * 2000, "triage page=99999", "offer " + A + " 0 accepted",
    "\u202e\u0000 vote", "pin 0", "positions set categorical=-4", "positions set categorical=1e9",
])
def test_odd_subcommand_words_are_answered_and_store_nothing(served: AdversarialServed, slack: SlackClientSim,
                                                             standin: SlackStandIn, stocked: str,
                                                             text: str) -> None:
    """Defence: every service validates its input and raises BadInput (shown to the person) before
    writing; the router turns anything else into the generic 'nothing was changed' answer."""
    before = snapshot(served.room.database)
    _check(slack.command(text, MEMBERS[0], WAR_ROOM, response_url_key="odd"))
    _no_stores_no_posts(served, standin, before)
    [answer] = standin.response_url_posts("odd")
    assert answer.params["text"]


def test_huge_text_fields_are_refused_or_clipped_never_stored_whole(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: length limits in the services (notes, reasons, names) and Slack's limits in the builders."""
    before = snapshot(served.room.database)
    program = program_id(served.room.database)
    metadata = json.dumps({"program": program, "candidate": A})
    commands = [f"ref {A} {HUGE}", f"triage {A} dnr {HUGE}", f"setup {HUGE}", f"candidate {HUGE}",
                f"find {HUGE}", f"list unlock 1 {HUGE}", f"interview {A} done {HUGE}"]
    for text in commands:
        _check(slack.command(text, MEMBERS[0], WAR_ROOM))
    note = slack.state_values({NoteField.TEXT: {"value": HUGE}, NoteField.CALLED_NAME: {"value": HUGE}})
    response = slack.view_submission(MEMBERS[0], CallbackId.NOTE_MODAL.value, note, metadata)
    _check(response)
    assert response.body["response_action"] == "errors"
    _no_stores_no_posts(served, standin, before)


def test_unknown_actions_callbacks_and_events_are_answered_without_effect(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: Bolt answers unhandled requests with 404 and the catch-all message listener with 200;
    no listener matches an id it does not own."""
    before = snapshot(served.room.database)
    for action in ("vote.rank_highest", "note.open.x", "purge.confirm", "../../etc", ""):
        _check(slack.block_action(MEMBERS[0], WAR_ROOM, action, A))
    for callback in ("note.modal.v2", "purge", ""):
        _check(slack.view_submission(MEMBERS[0], callback, {}, "{}"))
    for event in ({"type": "reaction_added", "user": MEMBERS[0], "item": {}},
                  {"type": "member_joined_channel", "user": MEMBERS[0], "channel": WAR_ROOM},
                  {"type": "message", "subtype": "channel_join", "user": MEMBERS[0], "channel": WAR_ROOM}):
        _check(slack.event(event))
    _no_stores_no_posts(served, standin, before)


def test_known_ids_with_wrong_values_and_missing_state_blocks(served: AdversarialServed, slack: SlackClientSim,
                                                              standin: SlackStandIn, stocked: str) -> None:
    """Defence: listeners read payloads defensively and the gate comes first; handlers.errors.guard
    turns any failure after that into a message (a modal error view for submissions)."""
    before = snapshot(served.room.database)
    program = program_id(served.room.database)
    for action in ActionId:
        for value in ("", "not-an-id", "9" * 200, "1|2|3|4|5|6", "<!channel>"):
            _check(slack.block_action(MEMBERS[0], WAR_ROOM, action.value, value, block_id="card.vote"))
    for callback in CallbackId:
        for metadata in ("", "not json", "[1]", json.dumps({"program": "1"}), json.dumps({"program": program}),
                         json.dumps({"program": 10**12}), json.dumps({"program": program, "candidate": None})):
            payload = slack.view_submission_payload(MEMBERS[0], callback.value, {}, metadata)
            payload["view"].pop("state", None)
            _check(slack.post_interactive(payload))
            payload["view"]["state"] = {"values": {"block": "not a dict"}}
            _check(slack.post_interactive(payload))
    _no_stores_no_posts(served, standin, before)


def test_form_fields_of_the_wrong_shape(served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn,
                                        stocked: str) -> None:
    """Defence: the router reads form fields as text and the gate treats unknown users as outsiders."""
    before = snapshot(served.room.database)
    base = slack.command_payload(f"vote {A} high", MEMBERS[0], WAR_ROOM)
    variants = [
        {**base, "user_id": ""}, {**base, "channel_id": ""}, {**base, "team_id": "T0OTHERTEAM"},
        {**base, "user_id": "U0MEMBER01\nU0DIRECTOR"}, {**base, "channel_id": WAR_ROOM + "'; DROP TABLE votes;--"},
        {**base, "command": "/notsoap"}, {**base, "text": "\udcff"},
    ]
    for fields in variants:
        body = urlencode(fields, errors="surrogatepass")
        _check(slack.signed_post(body, FORM))
    _no_stores_no_posts(served, standin, before)
