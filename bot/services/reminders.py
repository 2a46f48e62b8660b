"""Deadline reminders in the war room, sent exactly once.

Planning (`sync_program`, `sync_all`): the round reminders of a program are planned by
`bot.domain.reminders.plan_round_reminders` from the stored calendar (`rounds`) and leads
(`programs.reminder_leads`) and stored in `reminders`, one row per stable key:

* a planned key that is not stored yet is inserted ("insert if absent": two clocks planning
  at once insert it once);
* a stored key that the plan no longer contains (the deadline moved, a lead was removed) is
  cancelled, unless it was already sent or recorded as missed;
* a cancelled key that the plan contains again (the deadline moved back) is pending again.
* Decision: a reminder planned AFTER its due time (the director moved the deadline to 20
  minutes from now, or set the war room up on the Thursday) was never owed at its time, so it
  is not "late": its due time becomes "now" and it is sent at the next tick as a normal
  reminder. Of several deadline reminders of a round that are already past their time when
  planned, only the nearest to the deadline is planned (one ping, not two at once). A
  reminder whose subject time (deadline, offers, expiry) has already passed is not planned.

Sending (`run_due_reminders(room, now, clock_id)`): for each due row, a clock

1. claims it in one short transaction: ``UPDATE reminders SET state='claimed', claimed_by=…,
   lease_until=now+lease WHERE key=… AND (state='pending' OR (state='claimed' AND
   lease_until < now))`` and goes on only if that changed one row (on PostgreSQL the second
   of two racing UPDATEs re-reads the row and matches nothing; on SQLite writers queue). The
   lease (`REMINDER_LEASE_SECONDS`, 45 s) is shorter than a reminder's useful window (an
   "offers go out" reminder is on time for 2 minutes), so a reminder whose clock died is taken
   over by another clock while it is still worth sending;
2. a reminder claimed before (its earlier claim ended without a mark: the clock died, or its
   post failed) is first looked up: `room.gateway.settle` finds its post by its marker
   (`marker_for("reminder:<key>")`, in the message's metadata) if Slack has it, and it is
   marked sent with that ts: what really happened, never "missed" and never posted twice;
3. decides with `bot.domain.reminders.classify`: on time, late (its due time passed more
   than 2 minutes ago but the subject time is still ahead: sent, marked late, the message says
   so) or missed (the subject time has passed: recorded as missed, not sent, and named in the
   program's next reminder message);
4. posts through `room.gateway` with its marker (tenacity retries 429 with Retry-After, 5xx and
   timeouts, looking the post up by its marker after a failure that may have reached Slack) until
   the subject time or a third of its lease, whichever is first; a claim whose post failed goes
   back to pending and the next tick tries again;
5. marks it sent with the message ts, in one short transaction, only after Slack accepted.

A restart, a second clock, a misfired or retried APScheduler job therefore never posts twice,
and a crash at any point neither loses nor doubles a reminder: the clock that takes the claim
over finds the post by its marker, or posts it. A war room closed because its channel was shared
or made public gets no reminder (its rows wait, unclaimed, until it is private again).

Who "has not voted": members of the committee (the war-room channel's members, minus the bot
and the observers) who have neither voted on nor ranked at least one candidate of the current
preference list, as the voting feature computes it (`preference_list.current_list`: candidates
someone voted on, ranked or pinned, minus those a majority put in "do not rank"), so that the
reminder and `/soap list` never disagree.

Lock warning: addressed to the directors in the war room (never a DM). If the round's list is
already locked when it is due, nothing is posted and the row is marked sent without a message
(`message_ts` NULL: handled, nothing to say).

Round reminders (deadline leads, lock warning, offers open/expire) are planned here;
interview reminders (`kind = 'interview'`) are planned by the interviews feature and sent here
through the same claim/post/mark path (see "interview reminders" below).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_fixed

from bot.domain.reminders import (
    DEFAULT_GRACE,
    DEFAULT_LOCK_WARNING_MINUTES,
    Delivery,
    MissedNote,
    ReminderChanges,
    ReminderKind,
    ReminderSpec,
    ReminderState,
    ReminderView,
    classify,
    plan_round_reminders,
)
from bot.domain.roles import Role
from bot.domain.soap_calendar import Round as CalendarRound
from bot.messages.mrkdwn import escape
from bot.messages.reminders import reminder_message
from bot.services import audit, interview_posts, plan, positions, preference_list, programs, projection, round_status
from bot.slack_gateway import marker_for
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import CommitteeRole, ListSnapshot, Program, Reminder, Round

log = logging.getLogger(__name__)

ROUND_KINDS = (ReminderKind.DEADLINE_LEAD, ReminderKind.LOCK_WARNING, ReminderKind.OFFERS_OPEN,
               ReminderKind.OFFERS_EXPIRE, ReminderKind.DEADLINE_ALARM)
LEASE = timedelta(seconds=45)  # the default of REMINDER_LEASE_SECONDS
# Retrying a post stops a third of the way into the lease (no attempt, and no Retry-After wait,
# starts later), so that no other clock takes the claim over while this one may still be talking
# to Slack: the rest covers the last attempt's 10 s HTTP timeout and the mark.
POSTING_SHARE_OF_LEASE = 3
MAX_ATTEMPTS = 6
CLOCK_ACTOR = "clock"


def new_clock_id() -> str:
    """A name for this clock in `claimed_by`: host, process and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# --- planning --------------------------------------------------------------------------------


def stored_rounds(session: Session, program_id: int) -> list[CalendarRound]:
    rows = session.scalars(select(Round).where(Round.program_id == program_id).order_by(Round.number))
    return [CalendarRound(r.number, r.deadline_at, r.offers_at, r.expires_at) for r in rows]


def leads_of(program: Program) -> tuple[int, ...]:
    return tuple(int(x) for x in (program.reminder_leads or []))


@dataclass(frozen=True)
class SyncResult:
    added: int
    cancelled: int
    revived: int
    changes: ReminderChanges = field(default_factory=ReminderChanges)  # for a schedule change's confirmation

    @property
    def changed(self) -> bool:
        return bool(self.added or self.cancelled or self.revived)


NEARER_SENT_INSTEAD = "its time has passed; the reminder nearer the deadline is sent instead"
NO_LONGER_PLANNED = "no longer asked for by the reminder times"


def _to_plan(specs: list[ReminderSpec], now: datetime) -> tuple[dict[str, ReminderSpec], list[ReminderSpec]]:
    """The specs to store as of `now` (module rules: nothing past its subject; of overdue
    deadline leads only the nearest; overdue ones due now), and the overdue leads left out."""
    keep: dict[str, ReminderSpec] = {}
    overdue_leads: dict[int | None, list[ReminderSpec]] = {}
    for spec in specs:
        if spec.subject_at <= now:
            continue
        if spec.due_at > now:
            keep[spec.key] = spec
            continue
        if spec.kind is ReminderKind.DEADLINE_LEAD:
            overdue_leads.setdefault(spec.round, []).append(spec)
            continue
        keep[spec.key] = spec
    left_out: list[ReminderSpec] = []
    for candidates in overdue_leads.values():
        nearest = max(candidates, key=lambda spec: spec.due_at)
        keep[nearest.key] = nearest
        left_out.extend(spec for spec in candidates if spec is not nearest)
    return keep, left_out


def sync_program(session: Session, program: Program, now: datetime) -> SyncResult:
    """Bring the program's round reminders in line with its calendar and leads (module rules).
    A program whose every position is filled needs no more round reminders: all are cancelled
    (and come back if an acceptance is corrected)."""
    specs = [] if positions.all_positions_filled(session, program.id) else plan_round_reminders(
        str(program.id), stored_rounds(session, program.id), leads_of(program), DEFAULT_LOCK_WARNING_MINUTES)
    planned_keys = {s.key for s in specs}
    wanted, left_out = _to_plan(specs, now)
    rows = {r.key: r for r in session.scalars(select(Reminder).where(
        Reminder.program_id == program.id, Reminder.kind.in_([k.value for k in ROUND_KINDS])))}
    cancelled: list[ReminderSpec] = []
    started: list[ReminderSpec] = []
    revived = 0
    for key, row in rows.items():
        if key not in planned_keys and row.state in (ReminderState.PENDING, ReminderState.CLAIMED):
            cancelled.append(_spec_of(row))
            row.state, row.claimed_by, row.lease_until = ReminderState.CANCELLED, None, None
        elif key in wanted and row.state is ReminderState.CANCELLED:
            spec = wanted[key]
            row.state, row.claimed_by, row.lease_until, row.attempts = ReminderState.PENDING, None, None, 0
            row.due_at = max(spec.due_at, now)
            started.append(spec)
            revived += 1
    fresh = [spec for key, spec in wanted.items() if key not in rows]
    if fresh:
        values = [{"key": s.key, "program_id": program.id, "kind": s.kind.value, "round": s.round,
                   "due_at": max(s.due_at, now), "subject_at": s.subject_at, "state": ReminderState.PENDING,
                   "attempts": 0, "late": False} for s in fresh]
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(Reminder).values(values).on_conflict_do_nothing(index_elements=["key"]))
        started.extend(fresh)
    session.flush()
    return SyncResult(len(fresh), len(cancelled), revived, _what_changed(cancelled, started, left_out, rows, now))


def _pair_replacements(cancelled: list[ReminderSpec], planned: list[ReminderSpec]
                       ) -> dict[str, ReminderSpec]:
    """What each cancelled reminder became (by its key): the planned one of its kind and round at the
    same minute, else with the same lead (its deadline moved), else the earliest left. Each pass runs
    over every reminder before the next, so a looser match never takes an exact one's partner."""
    left = sorted(planned, key=lambda s: s.due_at)
    pairs: dict[str, ReminderSpec] = {}
    tests: tuple[Callable[[ReminderSpec, ReminderSpec], bool], ...] = (
        lambda old, new: new.due_at == old.due_at, lambda old, new: new.lead == old.lead, lambda old, new: True)
    for matches in tests:
        for old in cancelled:
            if old.key in pairs:
                continue
            found = next((new for new in left if new.kind is old.kind and new.round == old.round
                          and matches(old, new)), None)
            if found is not None:
                left.remove(found)
                pairs[old.key] = found
    return pairs


def _what_changed(cancelled: list[ReminderSpec], started: list[ReminderSpec], left_out: list[ReminderSpec],
                  rows: dict[str, Reminder], now: datetime) -> ReminderChanges:
    """Pair what was cancelled with what was planned in its place, as a director reads it."""
    sent_now = tuple(sorted((s for s in started if s.due_at <= now), key=lambda s: (s.subject_at, s.key)))
    ordered = sorted(cancelled, key=lambda s: (s.subject_at, s.due_at))
    replacements = _pair_replacements(ordered, [s for s in started if s.due_at > now])
    moved: list[tuple[ReminderSpec, ReminderSpec]] = []
    dropped: list[tuple[ReminderSpec, str]] = []
    for old in ordered:
        new = replacements.get(old.key)
        if new is not None:
            if new.due_at != old.due_at:  # the same minute under another lead has not moved
                moved.append((old, new))
        elif old.due_at > now or not any(s.kind is old.kind and s.round == old.round for s in sent_now):
            # A reminder still to come is dropped even when another of its round goes out now; an
            # overdue one that was waiting for its tick is the one sent now, under its new time.
            dropped.append((old, NO_LONGER_PLANNED))
    dropped.extend((spec, NEARER_SENT_INSTEAD) for spec in left_out if spec.key not in rows)
    return ReminderChanges(sent_now, tuple(moved), tuple(dropped))


def sync_all(database: Database, now: datetime) -> int:
    """Re-plan every live program (the clock's tick). Returns how many programs changed."""
    with database.reading() as session:
        ids = list(session.scalars(select(Program.id).where(Program.purged_at.is_(None)).order_by(Program.id)))
    changed = 0
    for program_id in ids:
        with database.transaction() as session:
            program = session.get(Program, program_id)
            if program is None or program.purged_at is not None:
                continue
            result = sync_program(session, program, now)
            if result.changed:
                changed += 1
                audit.record(session, program_id=program_id, actor=CLOCK_ACTOR, action="reminders.replan",
                             target=f"program:{program_id}",
                             after={"added": result.added, "cancelled": result.cancelled,
                                    "revived": result.revived})
    return changed


# --- who has not voted -----------------------------------------------------------------------


def missing_votes(database: Database, program_id: int, committee: set[str]) -> tuple[dict[str, int], int]:
    """(member -> how many candidates of the current list they have neither voted on nor ranked,
    how many candidates the list holds). The list and "not voted" are the voting feature's
    (`bot.services.preference_list.current_list`), so the reminder and `/soap list` agree."""
    current = preference_list.current_list(database, program_id, committee)
    # Only applicants on a list count (as in the lock's check and the App Home): one who accepted
    # anywhere or withdrew left every list, one who applied to none of the codes is on none.
    on_a_list = {line.aamc_id for listed in current.lists for line in listed.lines}
    listed = [line for line in current.lines if line.aamc_id in on_a_list]
    missing: dict[str, int] = {}
    for line in listed:
        for user in line.not_voted:
            missing[user] = missing.get(user, 0) + 1
    return missing, len(listed)


def committee_of(room: WarRoom, channel_id: str, observers: set[str]) -> set[str]:
    """Channel members minus the bot and the observers (directors vote too)."""
    return room.people(channel_id) - observers


def list_locked(session: Session, program_id: int, round_number: int) -> bool:
    return session.scalar(select(ListSnapshot.id).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None)).limit(1)) is not None


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    key: str
    program_id: int
    spec: ReminderSpec


def _spec_of(row: Reminder) -> ReminderSpec:
    return ReminderSpec(row.key, ReminderKind(row.kind), row.round, row.due_at, row.subject_at)


def claim(database: Database, key: str, now: datetime, clock_id: str, lease: timedelta = LEASE) -> bool:
    """Take the reminder for this clock, atomically; False if another clock holds a live claim
    or it is no longer pending."""
    with database.transaction() as session:
        result = session.execute(
            update(Reminder)
            .where(Reminder.key == key,
                   or_(Reminder.state == ReminderState.PENDING,
                       and_(Reminder.state == ReminderState.CLAIMED, Reminder.lease_until < now)))
            .values(state=ReminderState.CLAIMED, claimed_by=clock_id, lease_until=now + lease,
                    attempts=Reminder.attempts + 1)
            .execution_options(synchronize_session=False))
        return getattr(result, "rowcount", 0) == 1


def _due_keys(database: Database, now: datetime, limit: int,
              program_id: int | None = None) -> list[tuple[str, int]]:
    """(key, program id) of the reminders due at `now`, oldest first."""
    query = (select(Reminder.key, Reminder.program_id).join(Program, Program.id == Reminder.program_id)
             .where(Reminder.due_at <= now, Reminder.kind.in_([k.value for k in SENT_KINDS]),
                    Program.purged_at.is_(None), Program.closed_at.is_(None),
                    or_(Reminder.state == ReminderState.PENDING,
                        and_(Reminder.state == ReminderState.CLAIMED, Reminder.lease_until < now)))
             .order_by(Reminder.due_at, Reminder.key).limit(limit))
    if program_id is not None:
        query = query.where(Reminder.program_id == program_id)
    with database.reading() as session:
        return [(key, pid) for key, pid in session.execute(query)]


#: Programs whose due reminders a clock posts at the same time.
SEND_THREADS = 8

_db_retry = retry(retry=retry_if_exception_type(OperationalError), stop=stop_after_attempt(4),
                  wait=wait_fixed(0.2), reraise=True)


@_db_retry
def _finish(database: Database, key: str, clock_id: str, now: datetime, *, state: ReminderState,
            message_ts: str | None = None, late: bool = False, mentioned: tuple[str, ...] = ()) -> bool:
    """Record the outcome of our claim (sent / missed / back to pending). False if the claim was lost."""
    with database.transaction() as session:
        values: dict[str, Any] = {"state": state, "lease_until": None}
        if state is ReminderState.SENT:
            values.update(sent_at=now, message_ts=message_ts, late=late)
        if state is ReminderState.PENDING:
            values["claimed_by"] = None
        result = session.execute(
            update(Reminder).where(Reminder.key == key, Reminder.claimed_by == clock_id,
                                   Reminder.state == ReminderState.CLAIMED)
            .values(**values).execution_options(synchronize_session=False))
        if getattr(result, "rowcount", 0) != 1:
            return False
        if mentioned and message_ts:
            session.execute(update(Reminder).where(Reminder.key.in_(mentioned), Reminder.state == ReminderState.MISSED,
                                                   Reminder.message_ts.is_(None))
                            .values(message_ts=message_ts).execution_options(synchronize_session=False))
        if state in (ReminderState.SENT, ReminderState.MISSED):
            row = session.get(Reminder, key)
            audit.record(session, program_id=row.program_id if row else None, actor=clock_id,
                         action=f"reminder.{state}", target=f"reminder:{key}",
                         before={"state": ReminderState.CLAIMED},
                         after={"state": state, "late": late, "message_ts": message_ts})
        return True


@dataclass(frozen=True)
class _Composed:
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    mentioned_missed: tuple[str, ...]
    skip: bool = False
    thread_ts: str | None = None  # interview reminders go in the candidate's thread


def _open_codes(database: Database, program_id: int) -> frozenset[str] | None:
    """The program codes with positions still open (None: no positions set)."""
    status = positions.positions_status(database, program_id)
    return frozenset(c.code for c in status.codes if c.open > 0) if status.codes else None


def _compose(room: WarRoom, claimed: _Claimed, now: datetime, late: bool) -> _Composed:
    spec = claimed.spec
    # Read what the database holds first and let the session go: Slack calls and the list
    # computation (its own session) happen outside it.
    with room.database.reading() as session:
        program = session.get(Program, claimed.program_id)
        assert program is not None
        channel, program_id, tz = program.channel_id, program.id, ZoneInfo(program.timezone)
        if spec.kind is ReminderKind.LOCK_WARNING and spec.round is not None \
                and list_locked(session, program_id, spec.round):
            return _Composed(channel, "", None, (), skip=True)
        lists = round_status.list_states(session, program_id, spec.round) if spec.round is not None else ()
        if spec.kind is ReminderKind.DEADLINE_ALARM and not any(state.missing for state in lists):
            return _Composed(channel, "", None, (), skip=True)  # locked and certified: nothing to alarm
        unanswered = tuple(f"{escape(name)} ({escape(aamc)}) · {escape(track)}" for name, aamc, track in
                           round_status.unanswered_offers(session, program_id, spec.round)) \
            if spec.kind is ReminderKind.OFFERS_EXPIRE and spec.round is not None else ()
        round_row = session.get(Round, (program_id, spec.round)) if spec.round is not None else None
        expires_at = round_row.expires_at if round_row else None
        deadline_at = round_row.deadline_at if round_row else None
        missed_rows = list(session.scalars(select(Reminder).where(
            Reminder.program_id == program_id, Reminder.state == ReminderState.MISSED, Reminder.message_ts.is_(None),
            Reminder.kind.in_([k.value for k in ROUND_KINDS])).order_by(Reminder.subject_at)))
        missed = tuple(MissedNote(ReminderKind(r.kind), r.round, r.subject_at) for r in missed_rows)
        missed_keys = tuple(r.key for r in missed_rows)
        directors = tuple(programs.directors(session, program_id))
        observers = set(session.scalars(select(CommitteeRole.user_id).where(
            CommitteeRole.program_id == program_id, CommitteeRole.role == Role.OBSERVER.value)))
    missing: dict[str, int] | None = None
    total = 0
    if spec.kind in (ReminderKind.DEADLINE_LEAD, ReminderKind.OFFERS_EXPIRE):
        missing, total = missing_votes(room.database, program_id, committee_of(room, channel, observers))
    projected: tuple[str, ...] = ()
    if spec.kind is ReminderKind.DEADLINE_LEAD:
        projected = tuple(projection.next_offers_summary(room.database, program_id, now))
    elif spec.kind is ReminderKind.OFFERS_OPEN and spec.round is not None:
        projected = tuple(projection.opening_summary(room.database, program_id, now, spec.round, lists))
    view = ReminderView(kind=spec.kind, round=spec.round, subject_at=spec.subject_at, now=now, tz=tz, late=late,
                        missing=missing, candidates_total=total, directors=directors, expires_at=expires_at,
                        missed=missed, next_offers=projected, lists=lists, unanswered=unanswered,
                        deadline_at=deadline_at,
                        unseen=plan.unseen_count(room.database, program_id, _open_codes(room.database, program_id))
                        if spec.kind is ReminderKind.DEADLINE_LEAD else 0)
    text, blocks = reminder_message(view)
    return _Composed(channel, text, blocks, missed_keys)


# --- interview reminders ------------------------------------------------------------------------
# The interviews feature plans `kind='interview'` rows (one per scheduled interview, with
# `interview_id`) and cancels them when the interview moves or ends; this module claims, sends
# and marks them exactly like the round reminders. What to post, and where (the candidate's
# thread, mentioning the interviewer), comes from `bot.services.interview_posts.reminder_post`;
# None (the interview is no longer scheduled at that time) marks the row handled, unposted.
SENT_KINDS = (*ROUND_KINDS, ReminderKind.INTERVIEW)


def _compose_interview(room: WarRoom, claimed: _Claimed, now: datetime, late: bool) -> _Composed:
    post = interview_posts.reminder_post(room, claimed.key, now, late)
    if post is None:
        return _Composed("", "", None, (), skip=True)
    return _Composed(post.channel, post.text, post.blocks, (), thread_ts=post.thread_ts)
# --- end of interview reminders ---------------------------------------------------------------


def lease_of(room: WarRoom) -> timedelta:
    return timedelta(seconds=room.settings.reminder_lease_seconds)


def reminder_marker(key: str) -> str:
    """The marker in a reminder's message: whichever clock posts it, it is posted once."""
    return marker_for(f"reminder:{key}")


def _send_one(room: WarRoom, key: str, now: datetime, clock_id: str) -> bool:
    """Claim, look up an earlier attempt, decide, post, mark. True if this call posted the reminder."""
    lease = lease_of(room)
    if not claim(room.database, key, now, clock_id, lease):
        return False
    with room.database.reading() as session:
        row = session.get(Reminder, key)
        if row is None:
            return False
        claimed = _Claimed(row.key, row.program_id, _spec_of(row))
        attempts = row.attempts
    verdict = classify(claimed.spec, now)
    marker = reminder_marker(key)
    posting_until = now + lease / POSTING_SHARE_OF_LEASE
    try:
        # An earlier claim ended without a mark (its clock died, or its post failed): Slack may have it.
        earlier = room.gateway.settle(marker, give_up_at=posting_until) if attempts > 1 else None
    except Exception as error:  # Slack cannot say now: the next tick asks again
        log.warning("reminder %s: could not look up an earlier post (%s); will retry", key, type(error).__name__)
        _finish(room.database, key, clock_id, now, state=ReminderState.PENDING)
        return False
    if earlier is not None:
        log.info("reminder %s had been posted before its clock could mark it; marked sent", key)
        _finish(room.database, key, clock_id, now, state=ReminderState.SENT, message_ts=earlier,
                late=verdict is Delivery.LATE)
        return True
    if verdict is Delivery.MISSED or attempts > MAX_ATTEMPTS:
        log.warning("reminder %s missed (attempts=%d)", key, attempts)
        _finish(room.database, key, clock_id, now, state=ReminderState.MISSED)
        return False
    try:
        if claimed.spec.kind is ReminderKind.INTERVIEW:
            composed = _compose_interview(room, claimed, now, late=verdict is Delivery.LATE)
        else:
            composed = _compose(room, claimed, now, late=verdict is Delivery.LATE)
        if composed.skip:
            _finish(room.database, key, clock_id, now, state=ReminderState.SENT)
            return False
        give_up = min(max(claimed.spec.subject_at, claimed.spec.due_at + DEFAULT_GRACE), posting_until)
        ts = room.gateway.post(composed.channel, composed.text, composed.blocks, thread_ts=composed.thread_ts,
                               give_up_at=give_up, marker=marker)
    except Exception as error:  # back to pending: the next tick tries again while it is worth it
        log.warning("reminder %s not posted (%s); will retry", key, type(error).__name__)
        _finish(room.database, key, clock_id, now, state=ReminderState.PENDING)
        return False
    if not _finish(room.database, key, clock_id, now, state=ReminderState.SENT, message_ts=ts,
                   late=verdict is Delivery.LATE, mentioned=composed.mentioned_missed):
        log.warning("reminder %s posted as %s but its claim was lost before the mark", key, ts)
    return True


def run_due_reminders(room: WarRoom, now: datetime, clock_id: str, *, limit: int = 200,
                      program_id: int | None = None) -> list[str]:
    """Send every round reminder due at `now` that no clock has handled; returns the keys posted.

    Safe to call from any number of clocks at once and any number of times: each reminder is
    posted by at most one call (see the module docstring for the one crash window).
    """
    by_program: dict[int, list[str]] = {}
    for key, pid in _due_keys(room.database, now, limit, program_id):
        by_program.setdefault(pid, []).append(key)

    def send_program(keys: list[str]) -> list[str]:
        # One program's reminders one after the other, oldest first: its next reminder names what
        # was missed once, as before.
        posted = []
        for key in keys:
            try:
                if _send_one(room, key, now, clock_id):
                    posted.append(key)
            except Exception as error:  # one broken reminder never stops the others
                log.error("reminder %s failed: %s", key, type(error).__name__, exc_info=error)
        return posted

    # Programs side by side: at 9:00 every program's reminders are due at once, and one after the
    # other they took longer than the minute's first seconds (each waits on the database and Slack).
    sent: list[str] = []
    if len(by_program) <= 1:
        for keys in by_program.values():
            sent += send_program(keys)
    else:
        with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(by_program)),
                                thread_name_prefix="soap-reminders") as senders:
            for posted in senders.map(send_program, by_program.values()):
                sent += posted
    if sent:
        log.info("clock %s posted %d reminder(s)", clock_id, len(sent))
    return sent


def next_due_at(database: Database, after: datetime, until: datetime) -> datetime | None:
    """The due time of the next pending reminder after `after` and at or before `until`."""
    with database.reading() as session:
        return session.scalar(select(func.min(Reminder.due_at)).where(
            Reminder.state == ReminderState.PENDING, Reminder.due_at > after, Reminder.due_at <= until))


def send_due_now(room: WarRoom, program_id: int) -> list[str]:
    """Send the program's due reminders from this process now, through the same claim as the
    clock: a schedule change that made a reminder overdue is answered at once, not a tick later."""
    return run_due_reminders(room, room.clock(), new_clock_id(), program_id=program_id)


def tick(room: WarRoom, clock_id: str) -> list[str]:
    """The clock's periodic job: send what is due, re-plan from the database, send what that made due.

    What is due now was planned when its schedule was stored (a schedule change re-plans in its own
    transaction), so it goes out first: re-planning every program takes seconds when many programs
    share the deployment, and at 9:00 those seconds would come before every reminder."""
    now = room.clock()
    sent = run_due_reminders(room, now, clock_id)
    sync_all(room.database, now)
    return sent + run_due_reminders(room, now, clock_id)
