"""The program's SOAP calendar: seeded at setup, read by `/soap schedule`, edited by directors.

* Seeding (a `SETUP_HOOK`): when a war room is set up, its calendar is the default Match Week
  of the Match year current at setup time (`bot.domain.soap_calendar.default_rounds`: NRMP's
  published 2026 times, expected for 2027; US Eastern, stored in UTC), with reminder leads of
  60 and 15 minutes, and its reminders are planned at once.
* Edits (`change_schedule`): a director changes one round's deadline/offers/expires and/or
  the reminder leads. The change is validated by the domain (round order, DST gap), stored
  in one transaction with an audit event carrying before/after values, and the program's
  reminders are re-planned in the same transaction (obsolete ones cancelled, new ones
  planned), so a running clock sees the change at its next tick (20 s).
* Times typed by a director are read in the program's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import ProgramRef
from bot.domain.clock_health import ClockSight
from bot.domain.reminders import DEFAULT_LEADS, LeadsError, ListState, ReminderChanges, parse_leads
from bot.domain.soap_calendar import (
    CalendarEvent,
    Round,
    ScheduleError,
    apply_schedule_change,
    current_match_year,
    default_rounds,
    events_for,
    parse_schedule_set,
)
from bot.errors import BadInput, WarRoomError
from bot.messages.mrkdwn import escape
from bot.services import audit, clock_health, reminders, round_status
from storage.database import Database
from storage.models import Program
from storage.models import Round as RoundRow


class NoCalendar(WarRoomError):
    def __init__(self) -> None:
        super().__init__("This war room has no SOAP calendar yet. A director can set each round with "
                         '`/soap schedule set round=1 deadline="2027-03-18 08:55" offers="2027-03-18 09:00" '
                         'expires="2027-03-18 11:00"`.')


@dataclass(frozen=True)
class Calendar:
    program: ProgramRef
    match_year: int
    rounds: tuple[Round, ...]
    events: tuple[CalendarEvent, ...]
    leads: tuple[int, ...]
    # Per round, each list's state (locked in the war room, certified in R3), for the rounds ahead.
    lists: tuple[tuple[int, tuple[ListState, ...]], ...] = ()
    # Whether reminders are being sent (the clock's last tick), when read with a `now`.
    clock: ClockSight | None = None


@dataclass(frozen=True)
class ScheduleUpdate:
    """What a `/soap schedule set` changed (for the announcement in the war room)."""

    round: int | None
    before: Round | None
    after: Round | None
    leads_before: tuple[int, ...] | None
    leads_after: tuple[int, ...] | None
    reminders: ReminderChanges = field(default_factory=ReminderChanges)

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.leads_before != self.leads_after


def _iso(value: datetime) -> str:
    return value.isoformat()


def _round_values(rnd: Round) -> dict[str, str]:
    return {"deadline_at": _iso(rnd.deadline_at), "offers_at": _iso(rnd.offers_at),
            "expires_at": _iso(rnd.expires_at)}


def seed_default_calendar(session: Session, program: Program) -> None:
    """Setup hook (bot.bootstrap.SETUP_HOOKS): the default Match Week of the current Match year, leads
    60/15, reminders planned."""
    now = program.created_at
    year = current_match_year(now)
    program.match_year = year
    program.reminder_leads = list(DEFAULT_LEADS)
    rounds = default_rounds(year)
    for rnd in rounds:
        session.add(RoundRow(program_id=program.id, number=rnd.number, deadline_at=rnd.deadline_at,
                             offers_at=rnd.offers_at, expires_at=rnd.expires_at))
    session.flush()
    audit.record(session, program_id=program.id, actor=program.created_by, action="schedule.seed",
                 target=f"program:{program.id}",
                 after={"match_year": year, "leads": list(DEFAULT_LEADS),
                        "rounds": [{"round": r.number, **_round_values(r)} for r in rounds]})
    reminders.sync_program(session, program, now)


def calendar(database: Database, program: ProgramRef, now: datetime | None = None) -> Calendar:
    with database.reading() as session:
        row = session.get(Program, program.id)
        if row is None:
            raise NoCalendar()
        rounds = reminders.stored_rounds(session, program.id)
        year = row.match_year or (rounds[0].offers_at.year if rounds else None)
        if year is None:
            raise NoCalendar()
        lists = tuple((r.number, round_status.list_states(session, program.id, r.number)) for r in rounds
                      if now is None or r.expires_at > now)
        return Calendar(program, year, tuple(rounds), tuple(events_for(rounds, year)),
                        reminders.leads_of(row), lists,
                        clock_health.sight(session, program.id, now) if now is not None else None)


def change_schedule(database: Database, *, program: ProgramRef, actor: str, pairs: Mapping[str, str],
                    now: datetime) -> ScheduleUpdate:
    """`/soap schedule set round=2 deadline="…" [offers=… expires=…] [leads=60,15]` (directors)."""
    pairs = {k.lower(): v for k, v in pairs.items()}
    raw_leads = pairs.pop("leads", None)
    if raw_leads is None and not pairs:
        raise BadInput('Say what to change: `/soap schedule set round=2 deadline="2027-03-18 11:55"` '
                       "or `/soap schedule set leads=60,15`.")
    tz = ZoneInfo(program.timezone)
    try:
        leads = parse_leads(raw_leads) if raw_leads is not None else None
        change = parse_schedule_set(pairs, tz) if pairs else None
    except (ScheduleError, LeadsError) as error:
        raise BadInput(escape(str(error))) from None  # the error quotes what was typed (mrkdwn injection)
    with database.transaction() as session:
        row = session.get(Program, program.id)
        if row is None:
            raise NoCalendar()
        before_round = after_round = None
        leads_before = leads_after = None
        if change is not None:
            rounds = reminders.stored_rounds(session, program.id)
            try:
                new_rounds = apply_schedule_change(rounds, change)
            except ScheduleError as error:
                raise BadInput(escape(str(error))) from None
            before_round = next(r for r in rounds if r.number == change.round)
            after_round = next(r for r in new_rounds if r.number == change.round)
            if after_round != before_round:
                stored = session.scalar(select(RoundRow).where(RoundRow.program_id == program.id,
                                                               RoundRow.number == change.round))
                assert stored is not None
                stored.deadline_at, stored.offers_at, stored.expires_at = (
                    after_round.deadline_at, after_round.offers_at, after_round.expires_at)
                audit.record(session, program_id=program.id, actor=actor, action="schedule.set",
                             target=f"round:{change.round}", before=_round_values(before_round),
                             after=_round_values(after_round))
        if leads is not None:
            leads_before, leads_after = reminders.leads_of(row), leads
            if leads_before != leads_after:
                row.reminder_leads = list(leads)
                audit.record(session, program_id=program.id, actor=actor, action="schedule.leads",
                             target=f"program:{program.id}", before={"leads": list(leads_before)},
                             after={"leads": list(leads_after)})
        session.flush()
        synced = reminders.sync_program(session, row, now)
        return ScheduleUpdate(change.round if change else None, before_round, after_round,
                              leads_before, leads_after, synced.changes)

