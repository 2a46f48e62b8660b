"""Reference-call notes: stored first, then posted in the candidate's thread.

How it behaves, and why (decisions a program director, coordinator and IT person would expect):

- A note is committed with `PostState.PENDING` before anything is posted, so a note is never
  lost: if Slack answers 429 or fails, `deliver` retries through `room.gateway` (tenacity,
  honouring Retry-After) for at most `POST_GIVE_UP`, then marks it `failed`; the clock job
  `retry_unposted_notes` tries again every minute. Each attempt first *claims* the note (a
  conditional UPDATE on `post_attempts`), and a note already `posted` is never posted again, so
  two workers (the request and the clock) never post the same note twice. One gap remains: if the
  process dies after Slack accepted the post but before `posted` is committed, the clock posts it
  again (Slack has no idempotency key for chat.postMessage).
- The candidate's thread is the first card's ts (`candidates.thread_ts`). A candidate without a
  thread gets one: the card if the candidates feature can post it, otherwise a short parent
  message "Reference notes for <name> (<id>)"; if two notes race to start the thread, the first
  stored ts wins and the loser's parent message is deleted.
- A person's reply typed in a candidate's thread becomes a note by that person when it carries
  substance (`bot.domain.thread_replies`: a leading `ref:`, 12 words, or a rating in 4; "+1" and
  "will call his PD after lunch" are not notes) (`NoteSource.THREAD`,
  `source_ts` = the message ts, unique per program). Edits update it, deletions remove it. Slack's
  redeliveries of one event are recorded in `processed_events` in the same transaction as the
  note, so they never create a second note. Observers' and outsiders' replies are not stored
  (no answer either: replying in the thread would put noise under the candidate).
- The modal and `/soap ref` accept at most 3,000 characters (`MAX_NOTE_CHARS`); a thread reply is
  stored whole (Slack allows 40,000) and clipped when shown.
- Confidential: posts go only to the program's war-room channel; logs carry note ids and counts,
  never the text, the names of who was called, or the applicant. The audit trail records the
  note's id, source, sentiment and length (not its text), so a purge of applicant rows leaves no
  note text behind in `audit_events`.
- Text arriving from Slack (commands, messages) carries Slack's entities (`&lt;` `&gt;` `&amp;`);
  it is stored as the person sees it and escaped again whenever it is shown.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.access import ProgramRef
from bot.domain.cards import CardSection, CardViewer
from bot.domain.note_sentiment import sentiment_of
from bot.domain.notes import (
    MAX_FIELD_CHARS,
    MAX_NOTE_CHARS,
    NOTES_PER_PAGE,
    NoteField,
    NoteLine,
    NoteSource,
    PostState,
    Sentiment,
)
from bot.domain.thread_replies import note_text
from bot.errors import BadInput
from bot.messages import notes as messages
from bot.services import audit
from bot.services.candidate_cards import CardBeingPosted, show_card
from bot.services.candidate_cards import refresh_card as refresh_parent_card
from bot.services.candidate_lookup import resolve_one
from bot.services.programs import program_ref
from bot.slack_gateway import marker_for
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import Candidate, ProcessedEvent, Program, ReferenceNote

log = logging.getLogger(__name__)

POST_GIVE_UP = timedelta(seconds=40)  # one attempt's retries end before the clock job looks again
RETRY_FAILED_AFTER = timedelta(minutes=1)
# Still pending that long: the process ended while posting. Longer than any live attempt (a card
# posted on the way retries for up to 10 minutes), so a live attempt is never doubled.
RETRY_PENDING_AFTER = timedelta(minutes=15)
MAX_POST_ATTEMPTS = 30  # about half an hour of tries; the note stays stored and listed after that
RETRY_BATCH = 50


class NoteInputError(BadInput):
    """What was typed cannot be stored; `errors` maps the modal's field (block id) to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class SavedNote:
    note_id: int
    candidate_id: int
    aamc_id: str
    candidate_name: str
    sentiment: str | None = None


@dataclass(frozen=True)
class Delivery:
    note_id: int
    posted: bool
    ts: str | None = None


@dataclass(frozen=True)
class NotesPage:
    candidate_name: str
    aamc_id: str
    notes: list[NoteLine]
    total: int
    page: int
    pages: int
    counts: dict[str | None, int]


def unslack(text: str) -> str:
    """Slack's message and command text as the person typed it (Slack sends &, <, > as entities)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def candidate_name(candidate: Candidate) -> str:
    return " ".join(x for x in (candidate.first_name, candidate.last_name) if x).strip() or candidate.aamc_id


def _find_candidate(session: Session, program_id: int, key: str) -> Candidate:
    """The program's candidate by AAMC ID or a unique name fragment (the candidates feature's lookup)."""
    return resolve_one(session, program_id, key)


def _line(note: ReferenceNote) -> NoteLine:
    return NoteLine(id=note.id, author=note.author, source=note.source, text=note.text,
                    created_at=note.created_at, sentiment=note.sentiment, called_name=note.called_name,
                    institution=note.called_institution, role=note.called_role,
                    relationship=note.relationship,
                    edited=(note.source is NoteSource.THREAD
                            and note.updated_at > note.created_at + timedelta(seconds=1)))


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def check_note(*, text: str | None, sentiment: str | None, called_name: str | None = None,
               institution: str | None = None, role: str | None = None, relationship: str | None = None,
               sentiment_required: bool = False) -> dict[str, str]:
    """Field errors for a note typed in the modal or by command (empty when it can be stored)."""
    errors: dict[str, str] = {}
    body = (text or "").strip()
    if not body:
        errors[NoteField.TEXT] = "Write the note: what did they say about the applicant?"
    elif len(body) > MAX_NOTE_CHARS:
        errors[NoteField.TEXT] = (f"The note is {len(body):,} characters; keep it to {MAX_NOTE_CHARS:,} "
                                  "(split a long call into two notes).")
    if sentiment is None and sentiment_required:
        errors[NoteField.SENTIMENT] = "Choose how the reference sounded."
    elif sentiment is not None and sentiment not in {s.value for s in Sentiment}:
        errors[NoteField.SENTIMENT] = "Choose one of: " + ", ".join(messages.sentiment_label(s) for s in Sentiment)
    for field, value, what in ((NoteField.CALLED_NAME, called_name, "The name"),
                               (NoteField.INSTITUTION, institution, "The institution"),
                               (NoteField.ROLE, role, "The role"),
                               (NoteField.RELATIONSHIP, relationship, "The relationship")):
        if value is not None and len(_clean(value) or "") > MAX_FIELD_CHARS:
            errors[field] = f"{what} is too long: keep it under {MAX_FIELD_CHARS} characters."
    return errors


def add_note(database: Database, *, program: ProgramRef, author: str, aamc_id: str, text: str, source: NoteSource,
             now: datetime, sentiment: str | None = None, called_name: str | None = None,
             institution: str | None = None, role: str | None = None,
             relationship: str | None = None) -> SavedNote:
    """Store a note typed by command or in the modal, ready to post (`PostState.PENDING`).

    Raises NoteInputError (nothing stored) for an empty or too long note or a bad field, and
    CandidateNotFound for an AAMC ID the program does not have.
    """
    if source not in (NoteSource.COMMAND, NoteSource.MODAL):
        raise ValueError(f"add_note is for typed notes, not {source!r}")
    if source is NoteSource.COMMAND:
        text = unslack(text)
    errors = check_note(text=text, sentiment=sentiment, called_name=called_name, institution=institution,
                        role=role, relationship=relationship, sentiment_required=source is NoteSource.MODAL)
    if errors:
        raise NoteInputError(errors)
    if sentiment is None:  # the form's explicit choice wins; a typed note is read for one
        read = sentiment_of(text)
        sentiment = read.value if read is not None else None
    with database.transaction() as session:
        candidate = _find_candidate(session, program.id, aamc_id)
        note = ReferenceNote(program_id=program.id, candidate_id=candidate.id, author=author, source=source,
                             called_name=_clean(called_name), called_institution=_clean(institution),
                             called_role=_clean(role), relationship=_clean(relationship), sentiment=sentiment,
                             text=text.strip(), post_state=PostState.PENDING, post_attempts=0, created_at=now,
                             updated_at=now)
        session.add(note)
        session.flush()
        audit.record(session, program_id=program.id, actor=author, action="note.add",
                     target=f"candidate:{candidate.aamc_id}",
                     after={"note": note.id, "source": source, "sentiment": sentiment, "chars": len(note.text)})
        saved = SavedNote(note.id, candidate.id, candidate.aamc_id, candidate_name(candidate), sentiment)
    log.info("note %d stored (source=%s)", saved.note_id, source)
    return saved


def candidate_brief(database: Database, program_id: int, aamc_id: str) -> tuple[str, str]:
    """(name, AAMC ID) of the program's candidate, for the modal's heading."""
    with database.reading() as session:
        candidate = _find_candidate(session, program_id, aamc_id)
        return candidate_name(candidate), candidate.aamc_id


# --- posting ---------------------------------------------------------------------------------


def _claim(database: Database, note_id: int, now: datetime) -> dict[str, Any] | None:
    """Take the next delivery attempt of a note; None when it is posted, a thread reply, or taken."""
    with database.transaction() as session:
        note = session.get(ReferenceNote, note_id)
        if note is None or note.source is NoteSource.THREAD:
            return None
        # Claimable: never tried, gave up (failed), or an attempt so old that its worker is gone.
        # A pending note with attempts is being posted by someone else right now.
        stale = note.updated_at <= now - RETRY_PENDING_AFTER
        untried = note.post_state is PostState.PENDING and (note.post_attempts == 0 or stale)
        if not (note.post_state is PostState.FAILED or untried):
            return None
        taken = session.execute(
            update(ReferenceNote)
            .where(ReferenceNote.id == note_id, ReferenceNote.post_attempts == note.post_attempts,
                   ReferenceNote.post_state.in_((PostState.PENDING, PostState.FAILED)))
            .values(post_attempts=note.post_attempts + 1, post_state=PostState.PENDING, updated_at=now)
            .execution_options(synchronize_session=False))
        if getattr(taken, "rowcount", 0) != 1:
            return None
        candidate = session.get(Candidate, note.candidate_id)
        program = session.get(Program, note.program_id)
        if candidate is None or program is None:
            return None
        return {"note": _line(note), "program": program.id, "channel": program.channel_id,
                "timezone": program.timezone, "candidate": candidate.id, "aamc_id": candidate.aamc_id,
                "name": candidate_name(candidate), "thread_ts": candidate.thread_ts,
                "attempt": note.post_attempts + 1}


def _start_thread(room: WarRoom, claim: dict[str, Any]) -> str:
    """Post the parent of the candidate's thread and store its ts (first stored ts wins)."""
    text, blocks = messages.thread_parent(candidate_name=claim["name"], aamc_id=claim["aamc_id"])
    ts = room.gateway.post(claim["channel"], text, blocks, give_up_at=room.clock() + POST_GIVE_UP)
    with room.database.transaction() as session:
        won = session.execute(
            update(Candidate).where(Candidate.id == claim["candidate"], Candidate.thread_ts.is_(None))
            .values(thread_ts=ts).execution_options(synchronize_session=False))
        if getattr(won, "rowcount", 0) == 1:
            audit.record(session, program_id=claim["program"], actor="bot", action="candidate.thread",
                         target=f"candidate:{claim['aamc_id']}", before={"thread_ts": None},
                         after={"thread_ts": ts})
            return ts
        stored = session.scalar(select(Candidate.thread_ts).where(Candidate.id == claim["candidate"]))
    try:
        room.gateway.call("chat.delete", channel=claim["channel"], ts=ts)
    except (SlackApiError, OSError):
        log.warning("could not delete a duplicate thread parent for candidate %d", claim["candidate"])
    return str(stored)


def thread_of(room: WarRoom, claim: dict[str, Any], author: str) -> str:
    """The candidate's thread; a candidate without one gets it now (the card, when it can be posted)."""
    if claim["thread_ts"]:
        return str(claim["thread_ts"])
    try:
        show_card(room, _program_ref(room, claim["program"]), claim["aamc_id"], author)
    except (SlackApiError, OSError, CardBeingPosted):
        raise  # the note waits for the clock's retry: by then the card (and its thread) is there
    except Exception as error:  # a card that cannot be rendered must not keep the note from its thread
        log.warning("card for candidate %d not posted (%s); starting a plain thread", claim["candidate"],
                    type(error).__name__)
    with room.database.reading() as session:
        stored = session.scalar(select(Candidate.thread_ts).where(Candidate.id == claim["candidate"]))
    return str(stored) if stored else _start_thread(room, claim)


def _program_ref(room: WarRoom, program_id: int) -> ProgramRef:
    with room.database.reading() as session:
        program = session.get(Program, program_id)
        assert program is not None
        return program_ref(program)


def _finish(database: Database, note_id: int, program_id: int, *, ts: str | None, now: datetime) -> None:
    with database.transaction() as session:
        if ts is not None:
            values: dict[str, Any] = {"post_state": PostState.POSTED, "posted_ts": ts, "updated_at": now}
        else:
            values = {"post_state": PostState.FAILED, "updated_at": now}
        session.execute(update(ReferenceNote).where(ReferenceNote.id == note_id,
                                                    ReferenceNote.post_state != PostState.POSTED)
                        .values(**values).execution_options(synchronize_session=False))
        audit.record(session, program_id=program_id, actor="bot", action="note.post", target=f"note:{note_id}",
                     before={"state": PostState.PENDING}, after={"state": values["post_state"], "ts": ts})


def refresh_card(room: WarRoom, program_id: int, candidate_id: int) -> None:
    """Re-render the candidate's card (the notes section changed)."""
    refresh_parent_card(room, _program_ref(room, program_id), candidate_id)


def deliver(room: WarRoom, note_id: int, *, give_up: timedelta = POST_GIVE_UP) -> Delivery:
    """Post a stored note in its candidate's thread (once), then refresh the card.

    Never raises for Slack failures: a note that could not be posted stays stored as `failed`
    and the clock job tries again.
    """
    claim = _claim(room.database, note_id, room.clock())
    if claim is None:
        with room.database.reading() as session:
            note = session.get(ReferenceNote, note_id)
            posted = note is not None and note.post_state is PostState.POSTED
            return Delivery(note_id, posted, note.posted_ts if note is not None else None)
    try:
        thread_ts = thread_of(room, claim, claim["note"].author)
        text, blocks = messages.note_post(claim["note"], candidate_name=claim["name"], aamc_id=claim["aamc_id"])
        # One marker per note: a retry (the clock's, or after a lost answer) finds a post Slack already has.
        ts = room.gateway.post(claim["channel"], text, blocks, thread_ts=thread_ts,
                               give_up_at=room.clock() + give_up, marker=marker_for(f"note:{note_id}"))
    except (SlackApiError, OSError, CardBeingPosted) as error:
        reason = error.response.get("error") if isinstance(error, SlackApiError) else type(error).__name__
        log.warning("note %d not posted (attempt %d: %s); the clock will retry", note_id, claim["attempt"], reason)
        _finish(room.database, note_id, claim["program"], ts=None, now=room.clock())
        return Delivery(note_id, False)
    _finish(room.database, note_id, claim["program"], ts=ts, now=room.clock())
    log.info("note %d posted in the thread of candidate %d", note_id, claim["candidate"])
    refresh_card(room, claim["program"], claim["candidate"])
    return Delivery(note_id, True, ts)


def retry_unposted_notes(room: WarRoom) -> int:
    """Clock job: post notes whose post failed (after a minute) or was interrupted. Returns how many posted."""
    now = room.clock()
    with room.database.reading() as session:
        ids = list(session.scalars(
            select(ReferenceNote.id).where(
                ReferenceNote.source != NoteSource.THREAD,
                ReferenceNote.post_attempts < MAX_POST_ATTEMPTS,
                ((ReferenceNote.post_state == PostState.FAILED)
                 & (ReferenceNote.updated_at <= now - RETRY_FAILED_AFTER))
                | ((ReferenceNote.post_state == PostState.PENDING)
                   & (ReferenceNote.updated_at <= now - RETRY_PENDING_AFTER)))
            .order_by(ReferenceNote.id).limit(RETRY_BATCH)))
    posted = sum(1 for note_id in ids if deliver(room, note_id).posted)
    if ids:
        log.info("retried %d unposted notes, %d posted", len(ids), posted)
    return posted


# --- notes typed as thread replies --------------------------------------------------------------


def _mark_processed(session: Session, event_id: str | None, now: datetime) -> None:
    """Record the event; a redelivery fails the transaction with IntegrityError (nothing stored)."""
    if event_id:
        session.add(ProcessedEvent(event_id=event_id[:64], received_at=now))
        session.flush()


def _thread_candidate(session: Session, program_id: int, thread_ts: str | None) -> Candidate | None:
    if not thread_ts:
        return None
    return session.scalar(select(Candidate).where(Candidate.program_id == program_id,
                                                  Candidate.thread_ts == thread_ts))


def capture_thread_reply(database: Database, *, program_id: int, author: str, thread_ts: str, ts: str,
                         text: str, event_id: str | None, now: datetime) -> SavedNote | None:
    """A person's reply in a candidate's thread becomes their note when it carries substance (see
    `bot.domain.thread_replies`). None when it is not one (a reaction, logistics, a redelivery)."""
    body = note_text(unslack(text or ""))
    if not body or not ts:
        return None
    try:
        with database.transaction() as session:
            candidate = _thread_candidate(session, program_id, thread_ts)
            if candidate is None:
                return None
            _mark_processed(session, event_id, now)
            if session.scalar(select(ReferenceNote.id).where(ReferenceNote.program_id == program_id,
                                                             ReferenceNote.source_ts == ts)) is not None:
                return None
            read = sentiment_of(body)
            note = ReferenceNote(program_id=program_id, candidate_id=candidate.id, author=author,
                                 source=NoteSource.THREAD, text=body, source_ts=ts, post_state=PostState.NONE,
                                 created_at=now, updated_at=now, sentiment=read)
            session.add(note)
            session.flush()
            audit.record(session, program_id=program_id, actor=author, action="note.add",
                         target=f"candidate:{candidate.aamc_id}",
                         after={"note": note.id, "source": NoteSource.THREAD, "sentiment": note.sentiment,
                                "chars": len(body)})
            saved = SavedNote(note.id, candidate.id, candidate.aamc_id, candidate_name(candidate))
    except IntegrityError:
        log.info("thread reply already captured (event redelivered)")
        return None
    log.info("note %d captured from a thread reply", saved.note_id)
    return saved


def too_long(text: str) -> bool:
    """A thread reply longer than a note may be (the same limit as `/soap ref` and the form)."""
    return len(unslack(text or "").strip()) > MAX_NOTE_CHARS


def is_candidate_thread(database: Database, program_id: int, thread_ts: str | None) -> bool:
    with database.reading() as session:
        return _thread_candidate(session, program_id, thread_ts) is not None


def _thread_note(session: Session, program_id: int, ts: str) -> ReferenceNote | None:
    """The note captured from the thread reply with this ts, if any."""
    return session.scalar(select(ReferenceNote).where(ReferenceNote.program_id == program_id,
                                                      ReferenceNote.source_ts == ts,
                                                      ReferenceNote.source == NoteSource.THREAD))


def mirror_edit(database: Database, *, program_id: int, editor: str, thread_ts: str | None, ts: str, text: str,
                event_id: str | None, now: datetime, may_create: bool) -> SavedNote | None:
    """An edited thread reply updates its note (or becomes one, when `may_create` and it was missed or
    has become substantive)."""
    raw = unslack(text or "").strip()
    body = note_text(raw) or raw  # a note edited short stays a note: only its author's delete removes it
    try:
        with database.transaction() as session:
            note = _thread_note(session, program_id, ts)
            if note is None:
                missed = may_create and body and _thread_candidate(session, program_id, thread_ts) is not None
                if not missed:
                    return None
            else:
                _mark_processed(session, event_id, now)
                candidate = session.get(Candidate, note.candidate_id)
                if not body or note.text == body or candidate is None or note.author != editor:
                    return None
                before = {"note": note.id, "sentiment": note.sentiment, "chars": len(note.text)}
                read = sentiment_of(body)  # a thread reply has no form: its words are its sentiment
                note.text, note.sentiment, note.updated_at = body, read, now
                audit.record(session, program_id=program_id, actor=editor, action="note.edit",
                             target=f"candidate:{candidate.aamc_id}", before=before,
                             after={"note": note.id, "sentiment": note.sentiment, "chars": len(body)})
                saved = SavedNote(note.id, candidate.id, candidate.aamc_id, candidate_name(candidate))
    except IntegrityError:
        return None
    if note is None:
        return capture_thread_reply(database, program_id=program_id, author=editor, thread_ts=thread_ts or "",
                                    ts=ts, text=text, event_id=event_id, now=now)
    log.info("note %d edited in the thread", saved.note_id)
    return saved


def mirror_delete(database: Database, *, program_id: int, actor: str, ts: str, event_id: str | None,
                  now: datetime) -> SavedNote | None:
    """A deleted thread reply removes its note. Returns what was removed (None if it was not a note)."""
    try:
        with database.transaction() as session:
            note = _thread_note(session, program_id, ts)
            if note is None or note.author != actor:
                return None
            _mark_processed(session, event_id, now)
            candidate = session.get(Candidate, note.candidate_id)
            aamc_id = candidate.aamc_id if candidate else "?"
            removed = SavedNote(note.id, note.candidate_id, aamc_id, candidate_name(candidate) if candidate else "")
            audit.record(session, program_id=program_id, actor=actor, action="note.delete",
                         target=f"candidate:{aamc_id}",
                         before={"note": note.id, "source": NoteSource.THREAD, "chars": len(note.text)}, after=None)
            session.delete(note)
    except IntegrityError:
        return None
    log.info("note %d deleted with its thread reply", removed.note_id)
    return removed


# --- reading ---------------------------------------------------------------------------------


def sentiment_counts(session: Session, candidate_id: int) -> dict[str | None, int]:
    rows = session.execute(select(ReferenceNote.sentiment, func.count()).where(
        ReferenceNote.candidate_id == candidate_id).group_by(ReferenceNote.sentiment))
    return {sentiment: int(count) for sentiment, count in rows}


def list_notes(database: Database, *, program_id: int, aamc_id: str, page: int = 1,
               per_page: int = NOTES_PER_PAGE) -> NotesPage:
    """One page of a candidate's notes, newest first."""
    with database.reading() as session:
        candidate = _find_candidate(session, program_id, aamc_id)
        counts = sentiment_counts(session, candidate.id)
        total = sum(counts.values())
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = session.scalars(select(ReferenceNote).where(ReferenceNote.candidate_id == candidate.id)
                               .order_by(ReferenceNote.created_at.desc(), ReferenceNote.id.desc())
                               .offset((page - 1) * per_page).limit(per_page))
        return NotesPage(candidate_name(candidate), candidate.aamc_id, [_line(n) for n in rows], total, page,
                         pages, counts)


CARD_LATEST_NOTES = 3


def notes_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection:
    """The card's notes section: count, sentiment summary, the latest notes' gist, "Add reference note"."""
    latest = [_line(note) for note in session.scalars(
        select(ReferenceNote).where(ReferenceNote.candidate_id == candidate.id)
        .order_by(ReferenceNote.created_at.desc(), ReferenceNote.id.desc()).limit(CARD_LATEST_NOTES))]
    return messages.card_section(candidate.aamc_id, sentiment_counts(session, candidate.id), latest)




# Slack redelivers an event at most three times within about an hour; a day covers every retry.
PROCESSED_EVENTS_KEPT = timedelta(days=1)


def forget_old_events(room: WarRoom) -> int:
    """The clock's hourly job: drop the ids of events handled more than a day ago. Returns how many."""
    cutoff = room.clock() - PROCESSED_EVENTS_KEPT
    with room.database.transaction() as session:
        result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
