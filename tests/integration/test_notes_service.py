"""Reference notes in storage and their delivery to the candidate's thread, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.access import ProgramRef
from bot.bootstrap import SETUP_HOOKS, build_war_room
from bot.domain.cards import CardViewer
from bot.domain.notes import NoteField, NoteSource
from bot.errors import CandidateNotFound
from bot.messages.ids import ActionId
from bot.services import notes, programs
from bot.services.candidate_import import import_export
from bot.settings import load_settings
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import AuditEvent, Candidate, ReferenceNote
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.fakes import FakeClock
from tests.harness.slack_api import SlackStandIn

CHANNEL = "G0NOTES001"
DIRECTOR = "U0DIRECTOR"
MEMBER = "U0MEMBER01"
FIRST, SECOND = aamc_id(1), aamc_id(2)


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as api:
        api.set_channel(CHANNEL, name="soap-war-room", is_private=True)
        api.set_members(CHANNEL, [DIRECTOR, MEMBER])
        yield api


@pytest.fixture
def room(database: Database, standin: SlackStandIn) -> WarRoom:
    settings = load_settings(env_file=None, slack_bot_token="xoxb-notes-test", slack_signing_secret="s" * 32,
                             slack_api_url=standin.url, database_url=database.url, slack_app_token=None)
    return build_war_room(settings, clock=FakeClock(datetime(2027, 3, 17, 14, 0, tzinfo=UTC)),
                          sleep=lambda _s: None)


@pytest.fixture
def program(database: Database) -> ProgramRef:
    ref, _ = programs.setup_war_room(database, name="IM Notes", team_id="T0TEST", user_id=DIRECTOR,
                                     channel=programs.ChannelFacts(CHANNEL, is_private=True), seed=SETUP_HOOKS,
                                     timezone="America/New_York", members=frozenset({DIRECTOR, MEMBER}))
    result = import_export(database, ref.id, eras_csv([applicant_row(1), applicant_row(2)]), filename="e.csv",
                           actor=DIRECTOR, today=date(2027, 3, 17))
    assert result.ok
    return ref


def _notes(database: Database) -> list[ReferenceNote]:
    with database.reading() as session:
        found = list(session.scalars(select(ReferenceNote).order_by(ReferenceNote.id)))
        session.expunge_all()
        return found


def _audit(database: Database, action: str) -> list[AuditEvent]:
    with database.reading() as session:
        found = list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
        session.expunge_all()
        return found


def _thread_ts(database: Database, aamc: str) -> str | None:
    with database.reading() as session:
        return session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc))


def _add(room: WarRoom, program: ProgramRef, text: str = "Reliable; would take them again.",
         **kw: object) -> notes.SavedNote:
    values: dict = {"aamc_id": FIRST, "source": NoteSource.MODAL, "sentiment": "strong_advocate"}
    values.update(kw)
    return notes.add_note(room.database, program=program, author=MEMBER, text=text, now=room.clock(), **values)


def _note_posts(standin: SlackStandIn) -> list:
    return [c for c in standin.calls_to("chat.postMessage") if c.ok and c.params.get("thread_ts")
            and "reference note from" in str(c.params.get("blocks"))]


@pytest.mark.parametrize(("text", "field"), [("", NoteField.TEXT), ("   \n ", NoteField.TEXT),
                                            ("x" * 3001, NoteField.TEXT)])
def test_an_empty_or_too_long_note_is_refused_and_nothing_is_stored(room: WarRoom, program: ProgramRef,
                                                                    text: str, field: NoteField) -> None:
    with pytest.raises(notes.NoteInputError) as refused:
        _add(room, program, text)
    assert field in refused.value.errors
    assert _notes(room.database) == []
    assert _audit(room.database, "note.add") == []


def test_a_modal_note_needs_a_known_sentiment_and_short_fields(room: WarRoom, program: ProgramRef) -> None:
    with pytest.raises(notes.NoteInputError) as refused:
        _add(room, program, sentiment=None, called_name="x" * 201)
    assert set(refused.value.errors) == {NoteField.SENTIMENT, NoteField.CALLED_NAME}
    with pytest.raises(notes.NoteInputError):
        _add(room, program, sentiment="ecstatic")
    assert _notes(room.database) == []


def test_an_unknown_candidate_is_named_and_nothing_is_stored(room: WarRoom, program: ProgramRef) -> None:
    with pytest.raises(CandidateNotFound, match="99999999"):
        _add(room, program, aamc_id="99999999")
    assert _notes(room.database) == []


def test_a_note_is_stored_pending_with_an_audit_event_that_holds_no_text(room: WarRoom,
                                                                          program: ProgramRef) -> None:
    saved = _add(room, program, "Called Dr. Example &amp; team", source=NoteSource.COMMAND, sentiment=None)
    [note] = _notes(room.database)
    assert (note.id, note.source, note.post_state, note.author) == (saved.note_id, "command", "pending", MEMBER)
    assert note.text == "Called Dr. Example & team"  # Slack's entities undone: stored as typed
    [event] = _audit(room.database, "note.add")
    assert event.after == {"note": note.id, "source": "command", "sentiment": None, "chars": len(note.text)}
    assert "Example" not in str(event.after)


def test_deliver_starts_the_thread_posts_once_and_never_again(room: WarRoom, program: ProgramRef,
                                                              standin: SlackStandIn) -> None:
    saved = _add(room, program)
    first = notes.deliver(room, saved.note_id)
    assert first.posted
    thread = _thread_ts(room.database, FIRST)
    assert thread is not None
    posts = _note_posts(standin)
    assert [(c.params["channel"], c.params["thread_ts"]) for c in posts] == [(CHANNEL, thread)]
    [note] = _notes(room.database)
    assert (note.post_state, note.posted_ts, note.post_attempts) == ("posted", first.ts, 1)
    again = notes.deliver(room, saved.note_id)
    assert again.posted
    assert len(_note_posts(standin)) == 1
    second = _add(room, program, "Second call.")
    notes.deliver(room, second.note_id)
    assert [c.params["thread_ts"] for c in _note_posts(standin)] == [thread, thread]  # same thread
    assert all(c.params["channel"] == CHANNEL for c in standin.calls_to("chat.postMessage"))


def test_two_workers_delivering_the_same_note_post_it_once(room: WarRoom, program: ProgramRef,
                                                           standin: SlackStandIn) -> None:
    saved = _add(room, program)
    barrier = threading.Barrier(4)

    def go() -> None:
        barrier.wait()
        notes.deliver(room, saved.note_id)

    workers = [threading.Thread(target=go) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(_note_posts(standin)) == 1
    assert _notes(room.database)[0].post_state == "posted"


def test_a_note_slack_refuses_stays_stored_and_the_clock_posts_it_later(room: WarRoom, program: ProgramRef,
                                                                        standin: SlackStandIn) -> None:
    notes.deliver(room, _add(room, program, "Warm-up").note_id)  # the thread exists
    standin.reset()
    standin.fail("chat.postMessage", times=100, status=503)
    saved = _add(room, program)
    assert not notes.deliver(room, saved.note_id).posted
    note = next(n for n in _notes(room.database) if n.id == saved.note_id)
    assert (note.post_state, note.posted_ts) == ("failed", None)
    standin.reset()  # Slack is back
    assert notes.retry_unposted_notes(room) == 0  # failed less than a minute ago: not yet
    assert _note_posts(standin) == []
    room.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert notes.retry_unposted_notes(room) == 1
    assert notes.retry_unposted_notes(room) == 0
    assert len(_note_posts(standin)) == 1
    assert next(n for n in _notes(room.database) if n.id == saved.note_id).post_state == "posted"


def test_a_note_slack_took_before_its_answer_was_lost_is_not_posted_again_by_the_clock(
        room: WarRoom, program: ProgramRef, standin: SlackStandIn) -> None:
    notes.deliver(room, _add(room, program, "Warm-up").note_id)  # the thread exists
    standin.reset()
    standin.fail("chat.postMessage", times=1, status=500, processed=True)  # Slack posted it, then answered 500
    standin.fail("conversations.replies", times=100, status=503)  # and could not say so for a while
    saved = _add(room, program)
    assert not notes.deliver(room, saved.note_id).posted

    def in_slack() -> list[dict]:
        return [m for m in standin.messages(CHANNEL) if m.get("thread_ts") not in (None, m["ts"])
                and "Reliable; would take them again" in str(m.get("blocks"))]

    assert len(in_slack()) == 1
    standin.reset()  # Slack is back
    room.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert notes.retry_unposted_notes(room) == 1
    assert len(in_slack()) == 1, "the clock's retry found the note in the thread: not posted twice"
    note = next(n for n in _notes(room.database) if n.id == saved.note_id)
    assert (note.post_state, note.posted_ts) == ("posted", in_slack()[0]["ts"])


def test_a_thread_reply_becomes_one_note_however_often_slack_delivers_it(room: WarRoom,
                                                                          program: ProgramRef) -> None:
    notes.deliver(room, _add(room, program).note_id)
    thread = _thread_ts(room.database, FIRST)
    assert thread is not None
    kw = {"program_id": program.id, "author": DIRECTOR, "thread_ts": thread, "ts": "1800000000.000100",
          "text": "PD at Example General: &lt;solid&gt;", "now": room.clock()}
    first = notes.capture_thread_reply(room.database, event_id="Ev01", **kw)
    assert first is not None
    assert notes.capture_thread_reply(room.database, event_id="Ev01", **kw) is None  # Slack's retry
    assert notes.capture_thread_reply(room.database, event_id="Ev02", **kw) is None  # same message again
    assert notes.capture_thread_reply(room.database, event_id="Ev03", **{**kw, "thread_ts": "1.000"}) is None
    captured = [n for n in _notes(room.database) if n.source == "thread"]
    assert [(n.author, n.text, n.source_ts, n.post_state) for n in captured] == [
        (DIRECTOR, "PD at Example General: <solid>", "1800000000.000100", "none")]


def test_edits_and_deletions_are_mirrored(room: WarRoom, program: ProgramRef) -> None:
    notes.deliver(room, _add(room, program).note_id)
    thread = _thread_ts(room.database, FIRST)
    ts = "1800000000.000200"
    notes.capture_thread_reply(room.database, program_id=program.id, author=MEMBER, thread_ts=str(thread), ts=ts,
                               text="ref: First version", event_id="EvA", now=room.clock())
    edited = notes.mirror_edit(room.database, program_id=program.id, editor=MEMBER, thread_ts=thread, ts=ts,
                               text="Second version", event_id="EvB", now=room.clock(), may_create=True)
    assert edited is not None
    assert [n.text for n in _notes(room.database) if n.source == "thread"] == ["Second version"]
    assert _audit(room.database, "note.edit")[0].after == {"note": edited.note_id, "sentiment": None, "chars": 14}
    removed = notes.mirror_delete(room.database, program_id=program.id, actor=MEMBER, ts=ts, event_id="EvC",
                                  now=room.clock())
    assert removed is not None
    assert [n.source for n in _notes(room.database)] == ["modal"]
    assert notes.mirror_delete(room.database, program_id=program.id, actor=MEMBER, ts=ts, event_id="EvD",
                               now=room.clock()) is None


def test_the_list_is_newest_first_and_paginated(room: WarRoom, program: ProgramRef) -> None:
    for i in range(11):
        _add(room, program, f"Call {i}", sentiment="concern" if i % 2 else "positive")
        room.clock.advance(minutes=1)  # type: ignore[attr-defined]
    page = notes.list_notes(room.database, program_id=program.id, aamc_id=FIRST, page=1, per_page=4)
    assert [n.text for n in page.notes] == ["Call 10", "Call 9", "Call 8", "Call 7"]
    assert (page.total, page.pages, page.counts) == (11, 3, {"positive": 6, "concern": 5})
    last = notes.list_notes(room.database, program_id=program.id, aamc_id=FIRST, page=99, per_page=4)
    assert (last.page, [n.text for n in last.notes]) == (3, ["Call 2", "Call 1", "Call 0"])
    other = notes.list_notes(room.database, program_id=program.id, aamc_id=SECOND)
    assert (other.total, other.notes) == (0, [])


def test_the_card_section_counts_notes_and_offers_the_button(room: WarRoom, program: ProgramRef) -> None:
    _add(room, program, sentiment="strong_advocate")
    _add(room, program, sentiment="strong_advocate")
    _add(room, program, sentiment="concern")
    with room.database.reading() as session:
        first = session.scalar(select(Candidate).where(Candidate.aamc_id == FIRST))
        second = session.scalar(select(Candidate).where(Candidate.aamc_id == SECOND))
        assert first is not None
        assert second is not None
        section = notes.notes_card_section(session, first, CardViewer())
        empty = notes.notes_card_section(session, second, CardViewer())
    assert section.lines == (
        "*3* reference notes: 2 strong advocates, 1 concern; latest first:",
        f"• <@{MEMBER}> :warning: _Concern_: “Reliable; would take them again.”",
        f"• <@{MEMBER}> :large_green_circle: _Strong advocate_: “Reliable; would take them again.”",
        f"• <@{MEMBER}> :large_green_circle: _Strong advocate_: “Reliable; would take them again.”")
    assert [(b.action_id, b.value) for b in section.buttons] == [(ActionId.ADD_NOTE.value, FIRST)]
    assert empty.lines == ("No reference notes yet.",)


def test_notes_of_another_program_are_not_reachable(room: WarRoom, program: ProgramRef, database: Database) -> None:
    other, _ = programs.setup_war_room(database, name="Surgery", team_id="T0TEST", user_id=DIRECTOR,
                                       channel=programs.ChannelFacts("G0OTHER001", is_private=True),
                                       seed=SETUP_HOOKS, timezone="America/New_York", members=frozenset({DIRECTOR}))
    _add(room, program)
    with pytest.raises(CandidateNotFound):
        notes.list_notes(database, program_id=other.id, aamc_id=FIRST)
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(ReferenceNote)
                              .where(ReferenceNote.program_id == other.id)) == 0


def test_a_card_that_cannot_be_rendered_still_gets_the_note_a_thread(room: WarRoom, program: ProgramRef,
                                                                    standin: SlackStandIn,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_card(*_args: object) -> None:
        raise ValueError("profile does not validate")

    monkeypatch.setattr(notes, "show_card", broken_card)
    assert notes.deliver(room, _add(room, program).note_id).posted
    thread = _thread_ts(room.database, FIRST)
    parent, reply = (c.params for c in standin.calls_to("chat.postMessage"))
    assert parent["text"].startswith("Reference notes for ")
    assert "thread_ts" not in parent
    assert reply["thread_ts"] == thread == standin.calls_to("chat.postMessage")[0].response["ts"]


def test_a_note_for_a_card_someone_else_is_posting_waits_for_that_card_s_thread(
        room: WarRoom, program: ProgramRef, standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import candidate_cards

    monkeypatch.setattr(candidate_cards, "FIRST_CARD_WAIT_SECONDS", 0.3)
    with room.database.transaction() as session:  # another request claimed the first card and is slow
        candidate = session.scalar(select(Candidate).where(Candidate.aamc_id == FIRST))
        assert candidate is not None
        candidate.card_claimed_at = room.clock()
    saved = _add(room, program)
    assert not notes.deliver(room, saved.note_id).posted
    assert standin.calls_to("chat.postMessage") == []  # no second parent beside the card being posted
    assert _notes(room.database)[0].post_state == "failed"

    with room.database.transaction() as session:  # that request's card arrives and becomes the thread
        candidate = session.scalar(select(Candidate).where(Candidate.aamc_id == FIRST))
        assert candidate is not None
        candidate.thread_ts, candidate.card_claimed_at = "1711000000.000777", None
    room.clock.advance(seconds=61)  # type: ignore[attr-defined]
    assert notes.retry_unposted_notes(room) == 1
    (post,) = standin.calls_to("chat.postMessage")
    assert post.params["thread_ts"] == "1711000000.000777"


def test_event_ids_are_forgotten_after_a_day_but_not_before(room: WarRoom, database: Database) -> None:
    from storage.models import ProcessedEvent

    now = room.clock()
    with database.transaction() as session:
        session.add_all([ProcessedEvent(event_id="Ev_OLD", received_at=now - timedelta(days=1, minutes=1)),
                         ProcessedEvent(event_id="Ev_RETRYABLE", received_at=now - timedelta(minutes=40))])
    assert notes.forget_old_events(room) == 1
    with database.reading() as session:
        assert session.scalars(select(ProcessedEvent.event_id)).all() == ["Ev_RETRYABLE"]
