"""Who may do what, tried at every entry point: outsiders, members elsewhere, observers, removed members.

Entry points are discovered, not listed by hand where that is possible: the subcommands come from
`/soap help` (a subcommand nobody classified below fails the coverage test), the buttons from the
candidate card as the war room sees it plus every `ActionId`, the modals from every `CallbackId`.
What counts as "nothing happened": the row count of every table is unchanged and the stand-in saw
no post, update, upload or modal; the only calls allowed are the refusal to the person who tried
(an ephemeral answer through the response_url or chat.postEphemeral, starting with :no_entry:)
and, for App Home, the explanation view, which holds no applicant data.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.access import CommitteeDirectory
from bot.console.payloads import static_select
from bot.console.signing import SlackClientSim
from bot.domain.notes import NoteField
from bot.domain.offer_words import OutcomeButton
from bot.domain.offers import OfferStatus
from bot.messages.ids import ActionId, CallbackId, NotesPageButton, SearchPageButton, button_value
from bot.messages.records import CONFIRM_ACTION, CONFIRM_BLOCK
from tests.adversarial.conftest import POST_METHODS, AdversarialServed, program_id, snapshot
from tests.e2e.conftest import DIRECTOR, MEMBERS, OTHER_CHANNEL, OUTSIDER, WAR_ROOM
from tests.factories import aamc_id, applicant_row
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

A, B = aamc_id(1), aamc_id(2)
OBSERVER = MEMBERS[3]
NAMES = " ".join(applicant_row(1)[k] for k in ("First Name", "Last Name")).split()

# Every subcommand, with words that would change something if the gate let them through.
WRITES = {
    "setup": "setup Hijacked Program",
    "director": f"director add <@{OUTSIDER}>",
    "observer": f"observer add <@{MEMBERS[0]}>",
    "flag": f"flag {A} interviewed",
    "policy": "policy set visas=J-1",
    "triage": f"triage {A} dnr planted reason",
    "ref": f"ref {A} planted note",
    "vote": f"vote {A} high",
    "rank": f"rank {A} {B}",
    "pin": f"pin {A}",
    "unpin": f"unpin {A}",
    "list": "list lock 1",
    "schedule": "schedule set leads=60,15",
    "positions": "positions set categorical=4",
    "offer": f"offer {A} 1 offered categorical",
    "status": f"status {A} withdrawn",
    "exclude": f"exclude {A}",
    "include": f"include {A}",
    "interview": f"interview {A}",
    "scorecard": f"scorecard {A}",
    "purge": "purge",
    "report": "report",
}
# Subcommands that only read (some of them post a card in the war room for members).
READS = {
    "help": "help",
    "committee": "committee",
    "candidate": f"candidate {A}",
    "find": "find state:OH",
    "notes": f"notes {A}",
    "votes": f"votes {A}",
    "next": "next",
    "interviews": "interviews",
    "audit": "audit",
    "plan": "plan",
    "unseen": "unseen",
}
NEEDS_NO_WAR_ROOM = {"help", "setup"}  # help answers anyone; setup in another private channel makes a new room


def _help_names(slack: SlackClientSim, standin: SlackStandIn, served: AdversarialServed) -> set[str]:
    slack.command("help", MEMBERS[0], WAR_ROOM, response_url_key="help-list")
    served.idle()
    text = standin.response_url_posts("help-list")[-1].params["text"]
    return set(re.findall(r"`/soap ([a-z-]+)", text))


def _card_buttons(slack: SlackClientSim, standin: SlackStandIn, served: AdversarialServed,
                  ) -> tuple[str, list[tuple[str, str, str]]]:
    """The card a member posts, and its buttons (block_id, action_id, value)."""
    slack.command(f"candidate {A}", MEMBERS[0], WAR_ROOM)
    served.idle()
    card = standin.calls_to("chat.postMessage")[-1]
    buttons = [(block["block_id"], element["action_id"], str(element.get("value") or ""))
               for block in card.params["blocks"] if block["type"] == "actions"
               for element in block["elements"] if element.get("type") == "button"]
    assert buttons, "the card has no buttons"
    return str(card.response["ts"]), buttons


# Buttons any committee member may press, observers included: the unseen list opens a card (posting its
# pointer in the thread and recording the view) and turns its pages.
READ_ACTIONS = {ActionId.UNSEEN_OPEN, ActionId.UNSEEN_PAGE}


def _clicks(card_ts: str, buttons: list[tuple[str, str, str]], *, reads: bool = True
            ) -> list[tuple[str, str, str, str | None]]:
    """Every card button, then every ActionId not on the card (with a plausible value); without `reads`,
    none of READ_ACTIONS."""
    on_card = {action for _, action, _ in buttons}
    extra = [("actions", action.value, A, None) for action in ActionId
             if action.value not in on_card and (reads or action not in READ_ACTIONS)]
    extra += [("find.page", "page", button_value(SearchPageButton("visa:no", 2)), None),
              ("triage.page", "page", button_value(SearchPageButton("", 2)), None),
              ("notes.page", "page", button_value(NotesPageButton(A, 2)), None),
              ("records.purge", "purge.open", "1", None),
              ("offer", "offer.outcome.accepted",
               button_value(OutcomeButton(A, 1, OfferStatus.ACCEPTED, "categorical")), None)]
    return [(block, action, value, card_ts) for block, action, value in buttons] + extra


def _modals(served: AdversarialServed) -> list[tuple[str, dict[str, Any], str]]:
    program = program_id(served.room.database)
    metadata = json.dumps({"program": program, "candidate": A})
    note = {NoteField.TEXT: {"value": "planted note"}, NoteField.SENTIMENT: {"value": static_select("positive")}}
    purge = {CONFIRM_BLOCK: {CONFIRM_ACTION: {"type": "plain_text_input", "value": "Internal Medicine – Test"}}}
    modals: list[tuple[str, dict[str, Any], str]] = []
    for callback in CallbackId:
        if callback is CallbackId.NOTE_MODAL:
            modals.append((callback.value, SlackClientSim.state_values(note), metadata))
        elif callback is CallbackId.PURGE_MODAL:
            modals.append((callback.value, purge, metadata))
        else:
            modals.append((callback.value, {}, metadata))
    return modals


def _assert_only_refusals(standin: SlackStandIn, user: str) -> None:
    """Nothing but refusals to `user` (and App Home's explanation) reached Slack."""
    for call in standin.calls:
        if call.method == "response_url" and call.path.endswith("-help"):
            continue  # `/soap help` answers anyone; it lists commands, nothing about applicants
        if call.method == "response_url":
            assert call.params.get("response_type") == "ephemeral", call.params
            assert call.params.get("text", "").startswith(":no_entry:"), call.params.get("text")
        elif call.method == "chat.postEphemeral":
            assert call.params["user"] == user, call.params
            assert call.params["text"].startswith(":no_entry:"), call.params
        elif call.method == "views.publish":
            shown = json.dumps(call.params)
            assert not any(name in shown for name in NAMES), "App Home showed an applicant to a non-member"
        else:
            assert call.method not in POST_METHODS, f"{call.method} reached Slack: {call.params}"


def _try_everything(slack: SlackClientSim, standin: SlackStandIn, served: AdversarialServed, user: str,
                    channel: str, commands: dict[str, str], card_ts: str,
                    buttons: list[tuple[str, str, str]], thread_ts: str | None, *, in_room: bool = True,
                    reads: bool = True) -> None:
    """Commands, clicks, (with `in_room`: Home-tab votes, modal submissions, App Home), a thread reply
    and a shared export, all by `user` from `channel`."""
    for name, text in commands.items():
        assert slack.command(text, user, channel, response_url_key=f"{user}-{name}").status == 200
    for block, action, value, ts in _clicks(card_ts, buttons, reads=reads):
        response = slack.block_action(user, channel, action, value, block_id=block, message_ts=ts)
        assert response.status in (200, 404), (action, response)
    if in_room:
        _in_room_only(slack, served, user, channel, buttons)
    if thread_ts:
        slack.event(slack.message_event(channel, user, "ref: planted thread note", thread_ts=thread_ts))
    file = standin.share_file("soap.csv", b"AAMC ID,First Name,Last Name\r\n29999999,Planted,Row\r\n", user)
    share = slack.message_event(channel, user, "import this")
    share.update({"subtype": "file_share", "files": [file]})
    slack.event(share)
    served.idle()


def _in_room_only(slack: SlackClientSim, served: AdversarialServed, user: str, channel: str,
                  buttons: list[tuple[str, str, str]]) -> None:
    home = {"type": "home", "id": "V0HOME", "private_metadata": json.dumps({"program": program_id(
        served.room.database)}), "blocks": []}
    for _, action, value in buttons:
        if action.startswith("vote."):
            slack.block_action(user, channel, action, value, block_id="home.vote", view=home, container_extras={
                "type": "view", "view_id": "V0HOME"})
    for callback, values, metadata in _modals(served):
        response = slack.view_submission(user, callback, values, metadata)
        assert response.status in (200, 404), (callback, response)  # 404: no listener (yet) for that modal
        if response.status == 200 and response.body:  # refused in the modal: an error, never a success view
            assert response.body.get("response_action") in ("errors", "update"), response.body
    slack.event(slack.app_home_opened_event(user))


def _setup_card_and_thread(slack: SlackClientSim, standin: SlackStandIn, served: AdversarialServed
                           ) -> tuple[str, list[tuple[str, str, str]], str]:
    card_ts, buttons = _card_buttons(slack, standin, served)
    slack.command(f"ref {A} Opening the thread.", MEMBERS[0], WAR_ROOM)
    served.idle()
    standin.reset()
    return card_ts, buttons, thread_ts_of(served)


def thread_ts_of(served: AdversarialServed) -> str:
    from sqlalchemy import select

    from storage.models import Candidate

    with served.room.database.reading() as session:
        found = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == A))
    assert found
    return found


def test_every_subcommand_in_help_is_classified(served: AdversarialServed, slack: SlackClientSim,
                                                 standin: SlackStandIn, stocked: str) -> None:
    """Defence of the suite itself: a new subcommand must be added to WRITES or READS, so the access
    tests below try it."""
    assert _help_names(slack, standin, served) == set(WRITES) | set(READS)


def test_an_outsider_in_the_war_room_is_refused_everywhere(served: AdversarialServed, slack: SlackClientSim,
                                                           standin: SlackStandIn, stocked: str) -> None:
    """Defence: the gate (router access levels, handlers.gate.require, Actor.require): a person who is
    not in the war-room channel reaches nothing, whatever the entry point."""
    card_ts, buttons, thread = _setup_card_and_thread(slack, standin, served)
    before = snapshot(served.room.database)
    _try_everything(slack, standin, served, OUTSIDER, WAR_ROOM, {**WRITES, **READS}, card_ts, buttons, thread)
    assert snapshot(served.room.database) == before
    _assert_only_refusals(standin, OUTSIDER)
    for name in set(WRITES) | set(READS) - {"help"}:
        [answer] = standin.response_url_posts(f"{OUTSIDER}-{name}")
        assert answer.params["text"].startswith(":no_entry:"), (name, answer.params["text"])
    assert standin.calls_to("files.download") == []


def test_a_member_in_another_channel_is_refused(served: AdversarialServed, slack: SlackClientSim,
                                                standin: SlackStandIn, stocked: str) -> None:
    """Defence: the war room is the channel: a command, click, thread reply or shared export sent from
    another channel finds no program (NotAWarRoom), even from the program's own director. (Modals and
    App Home carry the program id in the view, so where they are opened from does not matter.)"""
    card_ts, buttons, thread = _setup_card_and_thread(slack, standin, served)
    before = snapshot(served.room.database)
    commands = {name: text for name, text in {**WRITES, **READS}.items() if name not in NEEDS_NO_WAR_ROOM}
    _try_everything(slack, standin, served, DIRECTOR, OTHER_CHANNEL, commands, card_ts, buttons, thread,
                    in_room=False)
    assert snapshot(served.room.database) == before
    _assert_only_refusals(standin, DIRECTOR)
    for name in commands:
        [answer] = standin.response_url_posts(f"{DIRECTOR}-{name}")
        assert "not a SOAP war room" in answer.params["text"], (name, answer.params["text"])


def test_an_observer_reads_but_every_write_is_refused(served: AdversarialServed, slack: SlackClientSim,
                                                      standin: SlackStandIn, stocked: str) -> None:
    """Defence: Access.WRITE / Access.DIRECTOR refuse Role.OBSERVER (ReadOnlyObserver, NotADirector)."""
    slack.command(f"observer add <@{OBSERVER}>", DIRECTOR, WAR_ROOM)
    served.idle()
    card_ts, buttons, thread = _setup_card_and_thread(slack, standin, served)
    before = snapshot(served.room.database)
    _try_everything(slack, standin, served, OBSERVER, WAR_ROOM, WRITES, card_ts, buttons, thread, reads=False)
    after = snapshot(served.room.database)
    assert after == before
    for call in standin.calls:
        if call.method in ("views.publish", "chat.update"):
            continue  # an observer's App Home is their dashboard, and the card's refresh button redraws it
        if call.method in POST_METHODS or call.method == "chat.postEphemeral":
            text = str(call.params.get("text") or "")
            assert text.startswith(":no_entry:"), f"{call.method}: {text[:200]}"
    for name in WRITES:
        [answer] = standin.response_url_posts(f"{OBSERVER}-{name}")
        assert answer.params["text"].startswith(":no_entry:"), (name, answer.params["text"])


def test_a_member_removed_from_the_channel_loses_access_within_a_minute(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: CommitteeDirectory's cache lives at most 60 s; after that the gate asks Slack again.
    Time is moved with a fake monotonic clock; the app is not restarted."""
    now = [1000.0]
    room = served.room
    room.directory = CommitteeDirectory(room.gateway.channel_members, max_age_seconds=60,
                                        monotonic=lambda: now[0])
    leaver = MEMBERS[2]
    slack.command(f"vote {A} high", leaver, WAR_ROOM, response_url_key="vote-1")
    served.idle()
    assert snapshot(room.database)["votes"] == 1
    standin.set_members(WAR_ROOM, [DIRECTOR, MEMBERS[0], MEMBERS[1], MEMBERS[3]])
    now[0] += 61
    slack.command(f"vote {B} high", leaver, WAR_ROOM, response_url_key="vote-2")
    slack.command(f"candidate {A}", leaver, WAR_ROOM, response_url_key="card-2")
    served.idle()
    assert snapshot(room.database)["votes"] == 1
    for key in ("vote-2", "card-2"):
        answer = eventually(lambda key=key: standin.response_url_posts(key))[-1]
        assert "Only members of this program's war-room channel" in answer.params["text"]
