"""Reference notes as the committee uses them: signed commands, the modal, thread replies, Slack's retries."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.console.payloads import new_event_id, new_ts, static_select
from bot.console.signing import SlackClientSim
from bot.messages.ids import ActionId, CallbackId
from bot.messages.notes import NoteField
from bot.services.candidate_import import import_export
from storage.models import Candidate, Program, ReferenceNote
from tests.e2e.conftest import DIRECTOR, MEMBERS, OTHER_CHANNEL, OUTSIDER, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import RecordedCall, SlackStandIn
from tests.harness.waiting import eventually

FIRST, SECOND = aamc_id(1), aamc_id(2)
WRITER, OTHER_WRITER, OBSERVER = MEMBERS[0], MEMBERS[1], MEMBERS[3]


@pytest.fixture
def candidates(served: Served, war_room: str) -> str:
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == war_room))
    assert program_id is not None
    result = import_export(served.room.database, program_id,
                           eras_csv([applicant_row(1, **{"First Name": "<!channel> Avery"}), applicant_row(2)]),
                           filename="export.csv", actor=DIRECTOR, today=date(2027, 3, 17))
    assert result.ok
    return war_room


def _notes(served: Served) -> list[ReferenceNote]:
    with served.room.database.reading() as session:
        found = list(session.scalars(select(ReferenceNote).order_by(ReferenceNote.id)))
        session.expunge_all()
        return found


def _thread_ts(served: Served, aamc: str = FIRST) -> str | None:
    with served.room.database.reading() as session:
        return session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc))


def _note_replies(standin: SlackStandIn) -> list[RecordedCall]:
    """Accepted posts of a note in a thread (the thread's parent or card is not one)."""
    return [c for c in standin.calls_to("chat.postMessage")
            if c.ok and c.params.get("thread_ts") and "reference note from" in json.dumps(c.params.get("blocks"))]


def _answer(standin: SlackStandIn) -> dict[str, Any]:
    return standin.wait_for("response_url")[-1].params


def _open_thread(slack: SlackClientSim, standin: SlackStandIn, served: Served) -> str:
    """A first note by command starts the candidate's thread; returns its ts."""
    slack.command(f"ref {FIRST} Called the clerkship director: dependable.", WRITER, _room_of(served))
    _answer(standin)
    thread = _thread_ts(served)
    assert thread is not None
    standin.reset()
    return thread


def _room_of(served: Served) -> str:
    with served.room.database.reading() as session:
        channel = session.scalar(select(Program.channel_id))
    assert channel is not None
    return channel


@pytest.mark.timing
def test_ref_command_stores_one_note_and_posts_one_reply_in_the_thread(served: Served, slack: SlackClientSim,
                                                                       standin: SlackStandIn,
                                                                       candidates: str) -> None:
    response = slack.command(f"ref {FIRST} She's the real deal & <!channel> knows it", WRITER, candidates)
    assert response.status == 200
    assert response.elapsed < 3.0
    answer = _answer(standin)
    assert answer["response_type"] == "ephemeral"
    assert "posted it in the candidate's thread" in answer["text"]
    [note] = _notes(served)
    assert (note.source, note.author, note.post_state) == ("command", WRITER, "posted")
    assert note.text == "She's the real deal & <!channel> knows it"
    thread = _thread_ts(served)
    [reply] = _note_replies(standin)
    assert (reply.params["channel"], reply.params["thread_ts"], reply.response["ts"]) == (candidates, thread,
                                                                                         note.posted_ts)
    assert f"<@{WRITER}>" in json.dumps(reply.params["blocks"])
    assert {c.params["channel"] for c in standin.calls_to("chat.postMessage")} == {candidates}
    assert "<!channel>" not in standin.all_text()


def test_the_card_button_opens_the_modal_and_a_submission_posts_once(served: Served, slack: SlackClientSim,
                                                                     standin: SlackStandIn, candidates: str) -> None:
    click = slack.block_action(OTHER_WRITER, candidates, ActionId.ADD_NOTE.value, FIRST)
    assert click.status == 200
    view = standin.wait_for("views.open")[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == CallbackId.NOTE_MODAL
    values = slack.state_values({
        NoteField.CALLED_NAME: {"value": "Dr. Jordan Example"},
        NoteField.INSTITUTION: {"value": "Example General"},
        NoteField.ROLE: {"value": "Program director"},
        NoteField.RELATIONSHIP: {"value": "Supervised a sub-internship"},
        NoteField.SENTIMENT: {"value": static_select("concern")},
        NoteField.TEXT: {"value": "Late to rounds twice; otherwise solid."},
    })
    response = slack.view_submission(OTHER_WRITER, CallbackId.NOTE_MODAL.value, values, view["private_metadata"])
    assert response.status == 200
    assert not response.body  # the modal closes
    [reply] = eventually(lambda: _note_replies(standin))
    [note] = _notes(served)
    assert (note.source, note.author, note.sentiment, note.called_name) == ("modal", OTHER_WRITER, "concern",
                                                                            "Dr. Jordan Example")
    assert reply.params["thread_ts"] == _thread_ts(served)
    shown = json.dumps(reply.params["blocks"])
    assert "Concern" in shown
    assert "Example General (Program director)" in shown
    eventually(lambda: _notes(served)[0].post_state == "posted")


@pytest.mark.parametrize("text", [None, "   ", "x" * 4000])
def test_an_empty_or_4000_character_modal_note_gets_a_field_error_and_stores_nothing(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str, text: str | None) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id))
    metadata = json.dumps({"program": program_id, "candidate": FIRST})
    values = slack.state_values({NoteField.SENTIMENT: {"value": static_select("positive")},
                                 NoteField.TEXT: {"value": text}})
    response = slack.view_submission(WRITER, CallbackId.NOTE_MODAL.value, values, metadata)
    assert response.status == 200
    assert response.body["response_action"] == "errors"
    assert set(response.body["errors"]) == {NoteField.TEXT.value}
    assert _notes(served) == []
    assert standin.calls_to("chat.postMessage") == []


def test_a_plain_thread_reply_becomes_a_note_and_edits_and_deletions_are_mirrored(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    thread = _open_thread(slack, standin, served)
    ts = new_ts()
    slack.event(slack.message_event(candidates, OTHER_WRITER, "Spoke with her chief: &lt;excellent&gt;", ts,
                                    thread_ts=thread))
    note = eventually(lambda: next((n for n in _notes(served) if n.source == "thread"), None))
    assert (note.author, note.source_ts, note.text, note.post_state) == (OTHER_WRITER, ts,
                                                                         "Spoke with her chief: <excellent>", "none")
    assert _note_replies(standin) == []  # the reply is already in the thread: nothing is re-posted

    slack.event(slack.message_changed_event(candidates, OTHER_WRITER, ts, "Chief says: excellent, hire",
                                            "Spoke with her chief", thread_ts=thread))
    eventually(lambda: [n.text for n in _notes(served) if n.source == "thread"] == ["Chief says: excellent, hire"])

    slack.event(slack.message_deleted_event(candidates, OTHER_WRITER, ts, "Chief says", thread_ts=thread))
    eventually(lambda: [n.source for n in _notes(served)] == ["command"])


def test_the_same_event_delivered_three_times_gives_one_note(served: Served, slack: SlackClientSim,
                                                             standin: SlackStandIn, candidates: str) -> None:
    thread = _open_thread(slack, standin, served)
    event = slack.message_event(candidates, OTHER_WRITER, "Letter writer: top 5% of students", thread_ts=thread)
    event_id = new_event_id()
    for retry in (None, 1, 2):
        # Slack signs each redelivery when it sends it, seconds or minutes after the first.
        timestamp = int(time.time()) + retry if retry else None
        assert slack.event(event, event_id=event_id, retry_num=retry, timestamp=timestamp).status == 200
    sentinel = slack.message_event(candidates, WRITER, "ref: Second reference agrees", thread_ts=thread)
    slack.event(sentinel)
    eventually(lambda: any(n.source_ts == sentinel["ts"] for n in _notes(served)))
    captured = [n for n in _notes(served) if n.source == "thread"]
    assert sorted(n.text for n in captured) == ["Letter writer: top 5% of students", "Second reference agrees"]


def test_messages_that_are_not_committee_replies_in_a_candidate_thread_are_ignored(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    thread = _open_thread(slack, standin, served)
    slack.command(f"observer add <@{OBSERVER}>", DIRECTOR, candidates)
    _answer(standin)
    ignored = [
        slack.message_event(candidates, OBSERVER, "ref: observer's aside", thread_ts=thread),
        slack.message_event(candidates, OUTSIDER, "ref: outsider", thread_ts=thread),
        slack.message_event(candidates, WRITER, "ref: top-level chatter"),
        slack.message_event(candidates, WRITER, "ref: another thread", thread_ts=new_ts()),
        slack.message_event(OTHER_CHANNEL, DIRECTOR, "ref: other channel", thread_ts=thread),
        slack.bot_message_event(candidates, "bot says", thread_ts=thread),
        slack.bot_message_event(candidates, "bot echo", thread_ts=thread, subtype=None),
    ]
    for event in ignored:
        assert slack.event(event).status == 200
    sentinel = slack.message_event(candidates, DIRECTOR, "ref: PD call, strong", thread_ts=thread)
    slack.event(sentinel)
    eventually(lambda: any(n.source_ts == sentinel["ts"] for n in _notes(served)))
    assert [n.text for n in _notes(served) if n.source == "thread"] == ["PD call, strong"]
    assert standin.calls_to("chat.postEphemeral") == []  # ignored, not answered


@pytest.mark.timing
def test_a_rate_limited_post_is_retried_and_appears_exactly_once(served: Served, slack: SlackClientSim,
                                                                 standin: SlackStandIn, candidates: str) -> None:
    standin.fail("chat.postMessage", times=3, status=429, retry_after=1)
    response = slack.command(f"ref {FIRST} Reliable, by two accounts.", WRITER, candidates)
    assert response.status == 200
    assert response.elapsed < 3.0
    answer = _answer(standin)
    assert "posted it in the candidate's thread" in answer["text"]
    assert len([c for c in standin.calls_to("chat.postMessage") if c.status == 429]) == 3
    [reply] = _note_replies(standin)
    [note] = _notes(served)
    assert (note.post_state, note.posted_ts) == ("posted", reply.response["ts"])
    replies_in_thread = [m for m in standin.messages(candidates)
                         if m.get("thread_ts") == _thread_ts(served) and "reference note" in m.get("text", "").lower()]
    assert len(replies_in_thread) == 1


def test_notes_are_listed_newest_first_to_the_asker_only(served: Served, slack: SlackClientSim,
                                                         standin: SlackStandIn, candidates: str) -> None:
    for text in ("Oldest call", "Middle call", "Newest call <!here>"):
        slack.command(f"ref {FIRST} {text}", WRITER, candidates)
        _answer(standin)
        standin.reset()
        served.clock.advance(minutes=5)
    slack.command(f"notes {FIRST}", OBSERVER, candidates)
    answer = _answer(standin)
    assert answer["response_type"] == "ephemeral"
    shown = json.dumps(answer["blocks"])
    assert shown.index("Newest call") < shown.index("Middle call") < shown.index("Oldest call")
    assert "<!here>" not in shown
    assert "*3* reference notes" in shown
    assert standin.calls_to("chat.postMessage") == []


def test_observers_cannot_add_notes_and_unknown_ids_are_named(served: Served, slack: SlackClientSim,
                                                              standin: SlackStandIn, candidates: str) -> None:
    slack.command(f"observer add <@{OBSERVER}>", DIRECTOR, candidates)
    _answer(standin)
    standin.reset()
    slack.command(f"ref {FIRST} sneaky", OBSERVER, candidates)
    assert "observer" in _answer(standin)["text"]
    standin.reset()
    slack.command("ref 29999999 who?", WRITER, candidates)
    assert "29999999" in _answer(standin)["text"]
    standin.reset()
    slack.command("ref", WRITER, candidates)
    assert "/soap ref <AAMC ID>" in _answer(standin)["text"]
    assert _notes(served) == []
    assert standin.calls_to("chat.postMessage") == []


def test_a_thread_reply_with_a_file_attached_is_a_note_not_an_import(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, candidates: str) -> None:
    thread = _open_thread(slack, standin, served)
    event = slack.message_event(candidates, OTHER_WRITER, "ref: Her letter writer's email, attached", new_ts(),
                                thread_ts=thread)
    event.update(subtype="file_share", files=[{"id": "F0LETTER01", "name": "email.pdf", "filetype": "pdf"}])
    slack.event(event)
    note = eventually(lambda: next((n for n in _notes(served) if n.source == "thread"), None))
    assert note.text == "Her letter writer's email, attached"
    served.idle()
    assert not [c for c in standin.calls_to("chat.postMessage") if "import" in c.params.get("text", "").lower()]
