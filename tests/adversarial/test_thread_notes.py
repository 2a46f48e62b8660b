"""Notes typed as thread replies, edited and deleted through Slack's events: the same gate as writing,
and the same length limit as `/soap ref` and the form."""

from __future__ import annotations

from sqlalchemy import select

from bot.console.payloads import new_event_id
from bot.console.signing import SlackClientSim
from bot.domain.notes import MAX_NOTE_CHARS
from storage.models import Candidate, ReferenceNote
from tests.adversarial.conftest import AdversarialServed, snapshot
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM
from tests.factories import aamc_id
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

WRITER, OTHER = MEMBERS[0], MEMBERS[1]
NOTE = "ref: the program director at Lakeside says she ran the ICU night shifts alone and never missed a handover"


def _thread(served: AdversarialServed, slack: SlackClientSim) -> str:
    slack.command(f"ref {aamc_id(1)} Called the clerkship director: dependable.", OTHER, WAR_ROOM)
    served.idle()
    with served.room.database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc_id(1)))
    assert thread
    return str(thread)


def _thread_notes(served: AdversarialServed) -> list[tuple[str, str]]:
    with served.room.database.reading() as session:
        return [(n.author, n.text) for n in session.scalars(
            select(ReferenceNote).where(ReferenceNote.source == "thread").order_by(ReferenceNote.id))]


def test_a_member_made_observer_can_neither_rewrite_nor_delete_their_note(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: handlers.notes passes edits and deletions through the writers' gate (member or director),
    and the notes service changes only the author's own note. Before: an edit or deletion event changed
    the stored note without the role check."""
    thread = _thread(served, slack)
    reply = standin.user_posts(WAR_ROOM, WRITER, NOTE, thread_ts=thread)
    slack.event(reply, event_id=new_event_id())
    eventually(lambda: _thread_notes(served) == [(WRITER, NOTE[len("ref: "):])])
    slack.command(f"observer add <@{WRITER}>", DIRECTOR, WAR_ROOM)
    served.idle()
    before = snapshot(served.room.database)
    slack.event(slack.message_changed_event(WAR_ROOM, WRITER, reply["ts"], "ref: actually she was unreliable "
                                            "and late to every single handover we ever had", NOTE,
                                            thread_ts=thread), event_id=new_event_id())
    slack.event(slack.message_deleted_event(WAR_ROOM, WRITER, reply["ts"], NOTE, thread_ts=thread),
                event_id=new_event_id())
    served.idle()
    assert _thread_notes(served) == [(WRITER, NOTE[len("ref: "):])]
    assert snapshot(served.room.database) == before
    # Back to member: their own edit goes through again (the gate, not a lock on the note).
    slack.command(f"observer remove <@{WRITER}>", DIRECTOR, WAR_ROOM)
    served.idle()
    slack.event(slack.message_changed_event(WAR_ROOM, WRITER, reply["ts"], NOTE + " and taught the interns",
                                            NOTE, thread_ts=thread), event_id=new_event_id())
    eventually(lambda: _thread_notes(served) == [(WRITER, NOTE[len("ref: "):] + " and taught the interns")])


def test_a_thread_reply_over_the_note_limit_is_not_stored_and_its_author_is_told_how_to_shorten_it(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: notes.too_long in handlers.notes, the limit of `/soap ref` and the form (3,000). Before: a
    39,000-character reply was stored whole."""
    thread = _thread(served, slack)
    before = snapshot(served.room.database)
    standin.reset()
    huge = "ref: " + "reliable and kind on every shift " * 1200  # about 39,000 characters
    reply = standin.user_posts(WAR_ROOM, WRITER, huge, thread_ts=thread)
    assert slack.event(reply, event_id=new_event_id()).status == 200
    served.idle()
    assert snapshot(served.room.database) == before
    [answer] = [c.params for c in standin.calls_to("chat.postEphemeral")]
    assert (answer["user"], answer["thread_ts"]) == (WRITER, thread)
    assert f"{MAX_NOTE_CHARS:,}" in answer["text"] and "Split it" in answer["text"]
    assert standin.calls_to("chat.postMessage") == []  # told to its author only: nothing more in the thread

    # A stored note edited past the limit keeps what it had.
    short = standin.user_posts(WAR_ROOM, WRITER, NOTE, thread_ts=thread)
    slack.event(short, event_id=new_event_id())
    eventually(lambda: len(_thread_notes(served)) == 1)
    slack.event(slack.message_changed_event(WAR_ROOM, WRITER, short["ts"], huge, NOTE, thread_ts=thread),
                event_id=new_event_id())
    served.idle()
    assert _thread_notes(served) == [(WRITER, NOTE[len("ref: "):])]
    assert len(standin.calls_to("chat.postEphemeral")) == 2
