"""SOAP interviews: proposed, claimed with a time, recorded, scored, in the candidate's thread.

Decisions (what a program director, coordinator and hospital IT person would expect), written down:

- One open interview per candidate at a time (states proposed, scheduled, unreachable). Proposing
  again while one is open is refused and says who proposed or holds it; once it is done or
  declined, a new one may be proposed (a second call with the PD, say).
- `claim [when]` makes the caller the interviewer (state `scheduled`, with or without a time).
  Claiming a candidate with no open interview proposes and claims it in one step (the PD who
  decided to call should not have to type two commands). The holder may claim again with a new
  time (reschedule). A claim on an interview someone else holds is refused naming the holder;
  nobody, directors included, takes a claimed interview over (the holder records `declined` or
  the outcome). `when` is read in the program's time zone (`bot.domain.when.parse_when`, DST
  gaps refused); a time in the past or unreadable is refused, nothing changes.
- A scheduled time after the next preference-list deadline (the first round deadline still
  ahead) is accepted with a warning, in the answer and in the thread.
- Outcomes: `done`, `unreachable`, `declined` with an optional note (at most 3,000 characters).
  Only the interviewer or a director records an outcome of a claimed interview; on an unclaimed
  one, `done` makes the caller the interviewer (they made the call), `unreachable` too (they
  tried), `declined` does not. `unreachable` keeps the FIRST try's time (`first_contact_at`) and
  leaves the interview open; `done` sets `reached_at`, so the card can show how long the
  applicant took to answer once reached ("answered 3 h 20 min after the first try").
- The interviewer's reminder goes through the rounds feature's exactly-once machinery
  (`reminders` rows, claim with a lease, post, mark): a scheduled time plans one row
  (`plan_interview_reminder`, 10 minutes before, `interview_id` set so a purge deletes it);
  rescheduling cancels the old key and plans the new one; an outcome cancels it. The clock's
  sender (`bot.services.reminders`) asks `interview_posts.reminder_post` what to post and where: the
  candidate's thread, mentioning the interviewer; nothing when the interview is no longer
  scheduled at that time.
- Scorecards: only the interviewer files one (one per interview and author; filing again
  corrects it). Each dimension is a whole number 1–5; the recommendation is a committee vote
  (`bot.domain.preference_list.Vote`). Filing one marks a scheduled/unreachable interview done.
  The recommendation is recorded as the interviewer's vote with `VoteSource.SCORECARD` unless the
  interviewer cast a vote on the candidate themselves (`VoteSource.VOTE`): a later scorecard may
  change a scorecard-sourced vote, never a vote the member cast. (The read of the existing vote
  and `voting.cast_vote` are two transactions: a vote the member clicks in the same instant as
  their scorecard's submission may be overwritten; the window is the scorecard's own request.)
- Posting (`bot.services.interview_posts`, not here): every change is stored first (one
  transaction, audited with before/after values),
  then posted in the candidate's thread (created through the notes feature's thread helper if
  the candidate has none) and the card refreshed. A Slack failure never undoes the change: the
  person is told it is saved but not posted. Logs carry ids only; the audit trail carries
  states, times, scores and lengths, never note, red-flag or comment text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.access import ProgramRef
from bot.domain.cards import CardSection, CardViewer
from bot.domain.interviews import (
    MAX_TEXT_CHARS,
    OPEN_STATES,
    SCORE_FIELDS,
    SCORE_MAX,
    SCORE_MIN,
    DeadlineWarning,
    InterviewLine,
    InterviewState,
    Queue,
    ScorecardField,
    ScorecardLine,
)
from bot.domain.preference_list import Vote
from bot.domain.reminders import ReminderKind, ReminderState, plan_interview_reminder
from bot.domain.soap_calendar import current_match_year, review_begins
from bot.domain.votes import VoteSource
from bot.domain.when import WhenError, format_local, parse_when, require_future
from bot.errors import BadInput, Conflict, WarRoomError
from bot.messages import interviews as messages
from bot.messages.mrkdwn import escape
from bot.services import audit, notes, voting
from bot.services.candidate_lookup import resolve_one
from storage.database import Database
from storage.models import Candidate, Interview, Program, Reminder, Round, Scorecard
from storage.models import Vote as VoteRow

log = logging.getLogger(__name__)

OUTCOMES = (InterviewState.DONE, InterviewState.UNREACHABLE, InterviewState.DECLINED)
POST_GIVE_UP = timedelta(seconds=40)


class InterviewNotFound(WarRoomError):
    pass


class ScorecardInputError(BadInput):
    """What was typed in the scorecard cannot be stored; `errors` maps the modal's block id to the reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


@dataclass(frozen=True)
class InterviewChange:
    """What a propose/claim/outcome did, for the answer and the thread."""

    action: str  # proposed | claimed | rescheduled | done | unreachable | declined | unchanged
    line: InterviewLine
    program_id: int
    candidate_id: int
    actor: str
    created: bool
    warning: DeadlineWarning | None = None
    note: str | None = None


# --- reading -------------------------------------------------------------------------------------


def _tz(program: ProgramRef) -> ZoneInfo:
    return ZoneInfo(program.timezone)


def interview_line(interview: Interview, candidate: Candidate, scorecards: int = 0) -> InterviewLine:
    return InterviewLine(id=interview.id, aamc_id=candidate.aamc_id, candidate_name=notes.candidate_name(candidate),
                         state=interview.state, proposed_by=interview.proposed_by, proposed_at=interview.proposed_at,
                         interviewer=interview.interviewer, scheduled_at=interview.scheduled_at,
                         first_contact_at=interview.first_contact_at, reached_at=interview.reached_at,
                         outcome_note=interview.outcome_note, scorecards=scorecards)


def _open_interview(session: Session, candidate_id: int) -> Interview | None:
    return session.scalar(select(Interview).where(Interview.candidate_id == candidate_id,
                                                  Interview.state.in_(OPEN_STATES)).order_by(Interview.id.desc()).limit(1))


def _current_interview(session: Session, candidate_id: int) -> Interview | None:
    """The open interview, else the latest one."""
    return _open_interview(session, candidate_id) or session.scalar(
        select(Interview).where(Interview.candidate_id == candidate_id).order_by(Interview.id.desc()).limit(1))


def scorecard_count(session: Session, interview_id: int) -> int:
    return len(list(session.scalars(select(Scorecard.id).where(Scorecard.interview_id == interview_id))))


def _values(interview: Interview) -> dict[str, Any]:
    """An interview's audited values (never the note's text: its length)."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None
    return {"interview": interview.id, "state": interview.state, "interviewer": interview.interviewer,
            "scheduled_at": iso(interview.scheduled_at), "first_contact_at": iso(interview.first_contact_at),
            "reached_at": iso(interview.reached_at), "note_chars": len(interview.outcome_note or "")}


def next_deadline(session: Session, program_id: int, now: datetime) -> tuple[int, datetime] | None:
    row = session.scalar(select(Round).where(Round.program_id == program_id, Round.deadline_at > now)
                         .order_by(Round.deadline_at).limit(1))
    return (row.number, row.deadline_at) if row else None


def _check_review_time(session: Session, program_id: int, scheduled: datetime, now: datetime, tz: ZoneInfo) -> None:
    """NRMP lets programs contact applicants only from the review time of Match Week (Tuesday 8:00 a.m.
    ET by default; DOMAIN.md §1, §3): an interview before it is refused."""
    first_offers = session.scalar(select(Round.offers_at).where(Round.program_id == program_id)
                                  .order_by(Round.number).limit(1))
    starts = review_begins(first_offers.year if first_offers is not None else current_match_year(now))
    if scheduled < starts:
        raise BadInput(f"Programs may contact SOAP applicants only from {format_local(starts, tz)} (NRMP: review "
                       "and contact begin Tuesday 8:00 a.m. ET of Match Week, and only with applicants who applied). "
                       "Pick a time from then on. Nothing was changed.")


def read_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A claim's time as typed (`14:30`, `tomorrow 09:00`, `2027-03-16 14:30`), in the future, as UTC."""
    try:
        return require_future(parse_when(text, now=now, tz=tz), now, tz=tz)
    except WhenError as error:
        message = escape(str(error))  # it quotes what was typed (mrkdwn injection)
        if message.endswith("is in the past."):
            message += " Give a time still ahead, e.g. `tomorrow 09:00`."
        raise BadInput(message) from None


# --- reminders (the rounds feature's exactly-once rows) ----------------------------------------------


def _plan_reminder(session: Session, interview: Interview, now: datetime) -> str | None:
    """Keep exactly one live reminder row for a scheduled interview (none otherwise). Returns its key."""
    key: str | None = None
    spec = None
    if interview.state == InterviewState.SCHEDULED and interview.scheduled_at is not None \
            and interview.interviewer is not None and interview.scheduled_at > now:
        spec = plan_interview_reminder(str(interview.program_id), interview.id, interview.scheduled_at)
        key = spec.key
    live = session.scalars(select(Reminder).where(Reminder.interview_id == interview.id,
                                                  Reminder.kind == ReminderKind.INTERVIEW.value))
    existing = None
    for row in live:
        if row.key == key:
            existing = row
        elif row.state in (ReminderState.PENDING, ReminderState.CLAIMED):
            row.state, row.claimed_by, row.lease_until = ReminderState.CANCELLED, None, None
    if spec is None:
        return None
    due = max(spec.due_at, now)  # claimed less than 10 minutes ahead: remind at once
    if existing is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(Reminder).values(
            key=spec.key, program_id=interview.program_id, kind=ReminderKind.INTERVIEW.value, round=None,
            interview_id=interview.id, due_at=due, subject_at=spec.subject_at, state=ReminderState.PENDING, attempts=0,
            late=False).on_conflict_do_nothing(index_elements=["key"]))
    elif existing.state is ReminderState.CANCELLED:
        existing.state, existing.claimed_by, existing.lease_until = ReminderState.PENDING, None, None
        existing.attempts = 0
        existing.due_at = due
    session.flush()
    return key


# --- propose, claim, outcomes ------------------------------------------------------------------------


def _holder_refusal(interview: Interview, tz: ZoneInfo) -> Conflict:
    when = f", {format_local(interview.scheduled_at, tz)}" if interview.scheduled_at else ""
    return Conflict(f"<@{interview.interviewer}> holds this interview{when}. Ask them: only they (or a director, "
                    "for the outcome) can change it.")


def propose(database: Database, *, program: ProgramRef, actor: str, key: str, now: datetime) -> InterviewChange:
    """`/soap interview <id>` or the card's Interview button: propose an interview."""
    with database.transaction() as session:
        candidate = resolve_one(session, program.id, key)
        current = _open_interview(session, candidate.id)
        if current is not None:
            if current.interviewer:
                raise Conflict(f"{escape(notes.candidate_name(candidate))} ({candidate.aamc_id}) already has an "
                               f"interview: <@{current.interviewer}> holds it ({current.state}).")
            raise Conflict(f"{escape(notes.candidate_name(candidate))} ({candidate.aamc_id}) already has an interview, "
                           f"proposed by <@{current.proposed_by}> and not claimed yet: claim it with "
                           f"`/soap interview {candidate.aamc_id} claim tomorrow 09:00`.")
        interview = Interview(program_id=program.id, candidate_id=candidate.id, state=InterviewState.PROPOSED,
                              proposed_by=actor, proposed_at=now, updated_at=now)
        session.add(interview)
        session.flush()
        audit.record(session, program_id=program.id, actor=actor, action="interview.propose",
                     target=f"candidate:{candidate.aamc_id}", after=_values(interview))
        change = InterviewChange("proposed", interview_line(interview, candidate), program.id, candidate.id, actor,
                                 True)
    log.info("interview %d proposed", change.line.id)
    return change


def claim(database: Database, *, program: ProgramRef, actor: str, key: str, when: str | None,
          now: datetime) -> InterviewChange:
    """`/soap interview <id> claim [when]` or the Claim button: the caller becomes the interviewer."""
    tz = _tz(program)
    scheduled = read_when(when, now=now, tz=tz) if when and when.strip() else None
    with database.transaction() as session:
        if scheduled is not None:
            _check_review_time(session, program.id, scheduled, now, tz)
        candidate = resolve_one(session, program.id, key)
        interview = _open_interview(session, candidate.id)
        created = interview is None
        if interview is None:
            interview = Interview(program_id=program.id, candidate_id=candidate.id,
                                  state=InterviewState.PROPOSED, proposed_by=actor, proposed_at=now,
                                  updated_at=now)
            session.add(interview)
            session.flush()
            before: dict[str, Any] | None = None
        else:
            before = _values(interview)
            if interview.interviewer and interview.interviewer != actor:
                raise _holder_refusal(interview, tz)
        mine_already = interview.interviewer == actor
        if mine_already and (scheduled is None or scheduled == interview.scheduled_at) \
                and interview.state == InterviewState.SCHEDULED:
            line = interview_line(interview, candidate, scorecard_count(session, interview.id))
            return InterviewChange("unchanged", line, program.id, candidate.id, actor, False)
        action = "rescheduled" if mine_already and scheduled is not None else "claimed"
        interview.interviewer = actor
        interview.state = InterviewState.SCHEDULED
        if scheduled is not None:
            interview.scheduled_at = scheduled
        elif interview.scheduled_at is not None and interview.scheduled_at <= now:
            interview.scheduled_at = None  # a retry after `unreachable` without a new time: time not set
        interview.updated_at = now
        _plan_reminder(session, interview, now)
        warning = None
        deadline = next_deadline(session, program.id, now)
        if interview.scheduled_at is not None and deadline is not None and interview.scheduled_at > deadline[1]:
            warning = DeadlineWarning(deadline[0], deadline[1])
        audit.record(session, program_id=program.id, actor=actor,
                     action="interview.reschedule" if action == "rescheduled" else "interview.claim",
                     target=f"candidate:{candidate.aamc_id}", before=before, after=_values(interview))
        change = InterviewChange(action, interview_line(interview, candidate, scorecard_count(session, interview.id)),
                                 program.id, candidate.id, actor, created, warning)
    log.info("interview %d %s", change.line.id, action)
    return change


def record_outcome(database: Database, *, program: ProgramRef, actor: str, is_director: bool, key: str,
                   outcome: str, note: str | None, now: datetime) -> InterviewChange:
    """`/soap interview <id> done|unreachable|declined [note]`."""
    if outcome not in OUTCOMES:
        raise BadInput(f"Use `done`, `unreachable` or `declined` (not `{escape(outcome[:30])}`).")
    state = InterviewState(outcome)
    note = notes.unslack(note or "").strip() or None
    if note is not None and len(note) > MAX_TEXT_CHARS:
        raise BadInput(f"The note is {len(note):,} characters; keep it to {MAX_TEXT_CHARS:,}.")
    with database.transaction() as session:
        candidate = resolve_one(session, program.id, key)
        interview = _open_interview(session, candidate.id)
        if interview is None:
            raise InterviewNotFound(f"{escape(notes.candidate_name(candidate))} ({candidate.aamc_id}) has no open "
                                    f"interview. Propose one with `/soap interview {candidate.aamc_id}`.")
        if interview.interviewer and interview.interviewer != actor and not is_director:
            raise _holder_refusal(interview, _tz(program))
        before = _values(interview)
        if interview.interviewer is None and state in (InterviewState.DONE, InterviewState.UNREACHABLE):
            interview.interviewer = actor
        if state is InterviewState.UNREACHABLE:
            interview.first_contact_at = interview.first_contact_at or now
        elif state is InterviewState.DONE:
            interview.reached_at = now
        interview.state = state
        if note is not None:
            interview.outcome_note = note
        interview.updated_at = now
        _plan_reminder(session, interview, now)
        audit.record(session, program_id=program.id, actor=actor, action=f"interview.{outcome}",
                     target=f"candidate:{candidate.aamc_id}", before=before, after=_values(interview))
        change = InterviewChange(outcome, interview_line(interview, candidate, scorecard_count(session, interview.id)),
                                 program.id, candidate.id, actor, False, note=note)
    log.info("interview %d recorded %s", change.line.id, outcome)
    return change


# --- the queue -------------------------------------------------------------------------------------


def queue(database: Database, *, program: ProgramRef, now: datetime) -> Queue:
    """`/soap interviews`: unclaimed (oldest first), scheduled (soonest first), done today."""
    tz = _tz(program)
    local = now.astimezone(tz)
    start_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    with database.reading() as session:
        rows = session.execute(
            select(Interview, Candidate).join(Candidate, Candidate.id == Interview.candidate_id)
            .where(Interview.program_id == program.id,
                   or_(Interview.state.in_(OPEN_STATES),
                       (Interview.state == InterviewState.DONE) & (Interview.reached_at >= start_of_day)))
            .order_by(Interview.proposed_at, Interview.id)).all()
        lines = [interview_line(i, c, scorecard_count(session, i.id)) for i, c in rows]
    far = now + timedelta(days=3650)
    unclaimed = tuple(line for line in lines if line.state == InterviewState.PROPOSED)
    scheduled = tuple(sorted((line for line in lines if line.state in (InterviewState.SCHEDULED,
                                                                         InterviewState.UNREACHABLE)),
                             key=lambda line: (line.scheduled_at or far, line.id)))
    done = tuple(sorted((line for line in lines if line.state == InterviewState.DONE),
                        key=lambda line: (line.reached_at or now, line.id)))
    return Queue(unclaimed, scheduled, done)


# --- scorecards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardTarget:
    interview_id: int
    candidate_name: str
    aamc_id: str
    existing: ScorecardLine | None


@dataclass(frozen=True)
class ScorecardSaved:
    program_id: int
    candidate_id: int
    interview_id: int
    aamc_id: str
    candidate_name: str
    card: ScorecardLine
    updated: bool
    vote_recorded: bool
    own_vote: str | None


def _scorecard_line(row: Scorecard) -> ScorecardLine:
    return ScorecardLine(author=row.author, clinical=row.clinical, communication=row.communication,
                         reliability=row.reliability, fit=row.fit, recommendation=row.recommendation,
                         red_flags=row.red_flags, comment=row.comment)


def _scorable(session: Session, program: ProgramRef, actor: str, key: str) -> tuple[Candidate, Interview]:
    candidate = resolve_one(session, program.id, key)
    interview = _open_interview(session, candidate.id) or session.scalar(
        select(Interview).where(Interview.candidate_id == candidate.id, Interview.state == InterviewState.DONE)
        .order_by(Interview.id.desc()).limit(1))
    name = f"{escape(notes.candidate_name(candidate))} ({candidate.aamc_id})"
    if interview is None:
        raise InterviewNotFound(f"{name} has no interview to score. Propose one with "
                                f"`/soap interview {candidate.aamc_id}`.")
    if interview.interviewer is None:
        raise Conflict(f"Nobody has claimed the interview with {name} yet: claim it first with "
                       f"`/soap interview {candidate.aamc_id} claim`.")
    if interview.interviewer != actor:
        raise Conflict(f"<@{interview.interviewer}> holds the interview with {name}: only the interviewer files "
                       "its scorecard.")
    return candidate, interview


def scorecard_target(database: Database, *, program: ProgramRef, actor: str, key: str) -> ScorecardTarget:
    """What the scorecard modal needs; refuses (before the modal opens) anyone but the interviewer."""
    with database.reading() as session:
        candidate, interview = _scorable(session, program, actor, key)
        row = session.scalar(select(Scorecard).where(Scorecard.interview_id == interview.id,
                                                     Scorecard.author == actor))
        return ScorecardTarget(interview.id, notes.candidate_name(candidate), candidate.aamc_id,
                               _scorecard_line(row) if row else None)


def check_scorecard(raw: dict[ScorecardField, str | None]) -> dict[str, Any]:
    """Field values ready to store, or ScorecardInputError with one message per bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for field, attr, label in SCORE_FIELDS:
        text = (raw.get(field) or "").strip()
        try:
            number = int(text)
        except ValueError:
            number = None
        if number is None or not SCORE_MIN <= number <= SCORE_MAX:
            shown = f" (not {escape(text[:20])})" if text else ""
            errors[field.value] = f"{label}: give a whole number from {SCORE_MIN} to {SCORE_MAX}{shown}."
        else:
            values[attr] = number
    recommendation = raw.get(ScorecardField.RECOMMENDATION)
    try:
        values["recommendation"] = Vote.parse(recommendation or "").value
    except ValueError:
        errors[ScorecardField.RECOMMENDATION.value] = ("Choose a recommendation: rank high, rank, only if needed "
                                                       "or do not rank.")
    for field, attr, label in ((ScorecardField.RED_FLAGS, "red_flags", "Red flags"),
                               (ScorecardField.COMMENT, "comment", "The comment")):
        text = (raw.get(field) or "").strip()
        if len(text) > MAX_TEXT_CHARS:
            errors[field.value] = f"{label}: {len(text):,} characters; keep it to {MAX_TEXT_CHARS:,}."
        values[attr] = text or None
    if errors:
        raise ScorecardInputError(errors)
    return values


def submit_scorecard(database: Database, *, program: ProgramRef, actor: str, key: str,
                     raw: dict[ScorecardField, str | None], now: datetime) -> ScorecardSaved:
    """Store the interviewer's scorecard (one per interview and author) and their vote from its
    recommendation, unless they voted on the candidate themselves. Marks the interview done."""
    values = check_scorecard(raw)
    with database.transaction() as session:
        candidate, interview = _scorable(session, program, actor, key)
        row = session.scalar(select(Scorecard).where(Scorecard.interview_id == interview.id,
                                                     Scorecard.author == actor))
        updated = row is not None
        before = None
        if row is None:
            row = Scorecard(program_id=program.id, interview_id=interview.id, candidate_id=candidate.id,
                            author=actor, created_at=now, **values)
            session.add(row)
        else:
            before = _scorecard_audit(row)
            for attr, value in values.items():
                setattr(row, attr, value)
        session.flush()
        audit.record(session, program_id=program.id, actor=actor,
                     action="scorecard.update" if updated else "scorecard.file",
                     target=f"candidate:{candidate.aamc_id}", before=before, after=_scorecard_audit(row))
        if interview.state in (InterviewState.SCHEDULED, InterviewState.UNREACHABLE):
            was = _values(interview)
            interview.state, interview.reached_at, interview.updated_at = InterviewState.DONE, now, now
            _plan_reminder(session, interview, now)
            audit.record(session, program_id=program.id, actor=actor, action="interview.done",
                         target=f"candidate:{candidate.aamc_id}", before=was, after=_values(interview))
        existing = session.execute(select(VoteRow.choice, VoteRow.source).where(
            VoteRow.candidate_id == candidate.id, VoteRow.user_id == actor)).first()
        ids = (candidate.id, interview.id, candidate.aamc_id, notes.candidate_name(candidate))
        card = _scorecard_line(row)
    own_vote = existing.choice if existing is not None and existing.source is not VoteSource.SCORECARD else None
    vote_recorded = False
    if own_vote is None:
        voting.cast_vote(database, program_id=program.id, actor=actor, aamc_id=ids[2],
                         vote=Vote.parse(card.recommendation), now=now, source=VoteSource.SCORECARD)
        vote_recorded = True
    log.info("scorecard for interview %d %s (vote %s)", ids[1], "updated" if updated else "filed",
             "recorded" if vote_recorded else "kept")
    return ScorecardSaved(program.id, ids[0], ids[1], ids[2], ids[3], card, updated, vote_recorded, own_vote)


def _scorecard_audit(row: Scorecard) -> dict[str, Any]:
    return {"interview": row.interview_id, "clinical": row.clinical, "communication": row.communication,
            "reliability": row.reliability, "fit": row.fit, "recommendation": row.recommendation,
            "red_flags_chars": len(row.red_flags or ""), "comment_chars": len(row.comment or "")}


# --- posting in the candidate's thread ---------------------------------------------------------------


# --- the card's section ------------------------------------------------------------------------------


def interview_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection:
    """Status, interviewer and time, response time once reached, scorecard averages and recommendation."""
    tz = ZoneInfo(session.scalars(select(Program.timezone).where(Program.id == candidate.program_id)).one())
    interview = _current_interview(session, candidate.id)
    line = interview_line(interview, candidate) if interview else None
    cards = [_scorecard_line(r) for r in session.scalars(
        select(Scorecard).where(Scorecard.candidate_id == candidate.id).order_by(Scorecard.id))]
    return messages.card_section(candidate.aamc_id, line, cards, tz)


__all__ = [
    "InterviewChange",
    "InterviewNotFound",
    "ScorecardInputError",
    "ScorecardSaved",
    "ScorecardTarget",
    "check_scorecard",
    "claim",
    "interview_card_section",
    "next_deadline",
    "propose",
    "queue",
    "read_when",
    "record_outcome",
    "scorecard_target",
    "submit_scorecard",
]
