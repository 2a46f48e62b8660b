"""The SOAP (Match Week) calendar: default data, rounds, director edits and display helpers.

Pure domain code: no Slack, no database.  All instants are timezone-aware ``datetime`` in
UTC; the schedule itself is written as NRMP publishes it, in US Eastern wall-clock time
(America/New_York), and converted with :mod:`zoneinfo`.  Match Week falls one to two
weeks after the US switch to daylight time, so Eastern is EDT (UTC-4) during SOAP, and a
program in Arizona (MST, UTC-7 all year) or Hawaii (HST, UTC-10) is 3 or 6 hours behind.

The default calendar is DATA (:data:`DEFAULT_SCHEDULE`), never logic: directors change the
times of each round with ``round=2 deadline="2027-03-17 11:55"`` (see
:func:`parse_schedule_set` / :func:`apply_schedule_change`), and a different week layout can be
passed as ``schedule=`` to the builders.

Preference-list deadlines: NRMP's exact certification cutoff before each round for 2026/2027
was not found (older years: a few to 30 minutes before the round, e.g. 11:55 for a 12:00
round in 2018).  The default deadline is therefore the round's offer time minus a
configurable lead (:data:`DEFAULT_DEADLINE_LEAD`, 5 minutes).  Directors should set the real
cutoff from NRMP's published schedule for their Match year.

Decisions:

* Match Day is the third Friday of March; Match Week's Monday is four days earlier.
* :func:`current_match_year`: the year whose Match Week is current or still ahead.  Match
  Week of year Y is over at midnight Eastern at the end of Match Day (Saturday 00:00).
* :func:`next_event` returns the first event at or after ``now`` (an event exactly now counts
  as next: "now").
* Round order rule (:func:`validate_rounds`): rounds numbered 1..n in order; for each round
  ``deadline <= offers < expires``; a round's expiry is at or before the next round's offers.
  Deadlines of a later round may fall before the previous round's expiry (a long lead does
  that); that is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo

from bot.domain.when import WhenError, format_local, localize, parse_absolute

__all__ = [
    "DEFAULT_DEADLINE_LEAD",
    "DEFAULT_SCHEDULE",
    "EASTERN",
    "CalendarEvent",
    "EventKind",
    "FixedEventTemplate",
    "Round",
    "RoundTemplate",
    "ScheduleChange",
    "ScheduleError",
    "WeekSchedule",
    "apply_schedule_change",
    "current_match_year",
    "daylight_note",
    "daylight_time_starts",
    "default_events",
    "default_rounds",
    "events_for",
    "format_countdown",
    "format_local",
    "match_day",
    "match_week_monday",
    "next_event",
    "parse_schedule_set",
    "review_begins",
    "validate_rounds",
]

EASTERN = ZoneInfo("America/New_York")
DEFAULT_DEADLINE_LEAD = timedelta(minutes=5)


class EventKind(StrEnum):
    SOAP_BEGINS = "soap_begins"
    ERAS_OPENS = "eras_opens"
    REVIEW_BEGINS = "review_begins"
    LIST_DEADLINE = "list_deadline"
    OFFERS_OPEN = "offers_open"
    OFFERS_EXPIRE = "offers_expire"
    SOAP_ENDS = "soap_ends"
    MATCH_DAY = "match_day"


@dataclass(frozen=True)
class FixedEventTemplate:
    """An event of Match Week that is not part of a round, as Eastern wall-clock data."""

    kind: EventKind
    day_offset: int  # days after Match Week's Monday (0 = Monday, 4 = Friday)
    at: time  # US Eastern wall clock
    label: str


@dataclass(frozen=True)
class RoundTemplate:
    """One offer round, as Eastern wall-clock data."""

    number: int
    day_offset: int
    offers_at: time  # US Eastern wall clock
    open_for: timedelta  # offers expire this long after they are made


@dataclass(frozen=True)
class WeekSchedule:
    fixed: tuple[FixedEventTemplate, ...]
    rounds: tuple[RoundTemplate, ...]
    tz: ZoneInfo = field(default=EASTERN)


# Source: NRMP Match Week schedule, as copied in /work/shared/DOMAIN.md section 1.
# Structure (four offer rounds, all on Thursday, each open two hours, one-hour gap) is stated
# by NRMP/AAMC for the 2023, 2024 and 2025 Matches; the 2026 clock times come from
# third-party copies of NRMP's schedule; 2027 is EXPECTED to be the same (no official 2027
# calendar found).  Directors can and should correct it per Match year.
_TWO_HOURS = timedelta(hours=2)
DEFAULT_SCHEDULE = WeekSchedule(
    fixed=(
        FixedEventTemplate(EventKind.SOAP_BEGINS, 0, time(10, 0), "SOAP begins; match results out"),
        FixedEventTemplate(EventKind.ERAS_OPENS, 0, time(11, 0), "ERAS opens for SOAP applications"),
        FixedEventTemplate(EventKind.REVIEW_BEGINS, 1, time(8, 0), "Programs may review SOAP applications"),
        FixedEventTemplate(EventKind.SOAP_ENDS, 3, time(21, 0), "SOAP ends"),
        FixedEventTemplate(EventKind.MATCH_DAY, 4, time(12, 0), "Match Day"),
    ),
    rounds=(
        RoundTemplate(1, 3, time(9, 0), _TWO_HOURS),
        RoundTemplate(2, 3, time(12, 0), _TWO_HOURS),
        RoundTemplate(3, 3, time(15, 0), _TWO_HOURS),
        RoundTemplate(4, 3, time(18, 0), _TWO_HOURS),
    ),
)

# Same-instant events are listed in this order.
_KIND_ORDER = {kind: i for i, kind in enumerate(EventKind)}


class ScheduleError(ValueError):
    """A director's schedule edit that cannot be applied; the message says why."""


def _as_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Round:
    """One SOAP offer round; all three instants are aware UTC datetimes."""

    number: int
    deadline_at: datetime  # preference list must be certified before this
    offers_at: datetime
    expires_at: datetime

    def __post_init__(self) -> None:
        for name in ("deadline_at", "offers_at", "expires_at"):
            object.__setattr__(self, name, _as_utc(getattr(self, name), name))


@dataclass(frozen=True)
class CalendarEvent:
    kind: EventKind
    round: int | None
    at: datetime  # aware UTC
    label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", _as_utc(self.at, "at"))


# --- Match Week dates -------------------------------------------------------------------

def match_day(match_year: int) -> date:
    """Match Day: the third Friday of March of ``match_year``."""
    first = date(match_year, 3, 1)
    first_friday = first + timedelta(days=(4 - first.weekday()) % 7)
    return first_friday + timedelta(days=14)


def match_week_monday(match_year: int) -> date:
    """Monday of Match Week (SOAP begins): four days before Match Day."""
    return match_day(match_year) - timedelta(days=4)


def review_begins(match_year: int, *, schedule: WeekSchedule = DEFAULT_SCHEDULE) -> datetime:
    """When programs may start reviewing SOAP applications and contacting applicants who applied
    (DOMAIN.md §1 and §3: Tuesday 8:00 a.m. ET of Match Week in NRMP's schedule)."""
    tpl = next(t for t in schedule.fixed if t.kind is EventKind.REVIEW_BEGINS)
    return _at(match_year, tpl.day_offset, tpl.at, schedule.tz)


def daylight_time_starts(year: int) -> date:
    """The US switch to daylight time: the second Sunday of March (Energy Policy Act of 2005)."""
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def daylight_note(match_year: int) -> str | None:
    """A warning when daylight time starts the day before Match Monday (as in 2027): the weekend before
    SOAP loses an hour, and a time written for the week before reads one hour off on UTC clocks."""
    starts = daylight_time_starts(match_year)
    if match_week_monday(match_year) - starts != timedelta(days=1):
        return None
    return (f"Daylight time starts Sun {starts.day} Mar {match_year}, the day before SOAP begins: US Eastern is "
            "UTC-4 from then on (UTC-5 the week before), and Arizona and Hawaii do not change.")


def _at(match_year: int, day_offset: int, wall: time, tz: ZoneInfo) -> datetime:
    day = match_week_monday(match_year) + timedelta(days=day_offset)
    return localize(datetime.combine(day, wall), tz)


# --- builders ---------------------------------------------------------------------------

def default_rounds(
    match_year: int,
    deadline_lead: timedelta = DEFAULT_DEADLINE_LEAD,
    *,
    schedule: WeekSchedule = DEFAULT_SCHEDULE,
) -> list[Round]:
    """The rounds of ``match_year`` from ``schedule``; each deadline is offers minus ``deadline_lead``."""
    if deadline_lead < timedelta(0):
        raise ValueError("deadline_lead must not be negative")
    rounds = []
    for tpl in schedule.rounds:
        day = match_week_monday(match_year) + timedelta(days=tpl.day_offset)
        offers_wall = datetime.combine(day, tpl.offers_at)
        offers = localize(offers_wall, schedule.tz)
        # Expiry is read as wall clock too (NRMP says "expire at 11:00 a.m.").
        expires = localize(offers_wall + tpl.open_for, schedule.tz)
        rounds.append(Round(tpl.number, offers - deadline_lead, offers, expires))
    return rounds


def events_for(
    rounds: Sequence[Round],
    match_year: int,
    *,
    schedule: WeekSchedule = DEFAULT_SCHEDULE,
) -> list[CalendarEvent]:
    """All events of ``match_year``: the fixed ones from ``schedule`` plus three per round, sorted."""
    events = [
        CalendarEvent(tpl.kind, None, _at(match_year, tpl.day_offset, tpl.at, schedule.tz), tpl.label)
        for tpl in schedule.fixed
    ]
    for rnd in rounds:
        n = rnd.number
        events.append(
            CalendarEvent(EventKind.LIST_DEADLINE, n, rnd.deadline_at, f"Round {n} preference-list deadline")
        )
        events.append(CalendarEvent(EventKind.OFFERS_OPEN, n, rnd.offers_at, f"Round {n} offers go out"))
        events.append(CalendarEvent(EventKind.OFFERS_EXPIRE, n, rnd.expires_at, f"Round {n} offers expire"))
    events.sort(key=lambda e: (e.at, _KIND_ORDER[e.kind], e.round or 0))
    return events


def default_events(match_year: int) -> list[CalendarEvent]:
    """The default calendar of ``match_year`` (default rounds, default deadline lead)."""
    return events_for(default_rounds(match_year), match_year)


def next_event(events: Sequence[CalendarEvent], now: datetime) -> CalendarEvent | None:
    """The earliest event at or after ``now`` (``None`` when all are past)."""
    now = _as_utc(now, "now")
    upcoming = [e for e in events if e.at >= now]
    return min(upcoming, key=lambda e: (e.at, _KIND_ORDER[e.kind], e.round or 0), default=None)


def current_match_year(now: datetime) -> int:
    """The Match year whose Match Week is current or next.

    Match Week of year Y ends at midnight Eastern after Match Day; from then on it is Y+1.
    """
    now = _as_utc(now, "now")
    year = now.astimezone(EASTERN).year
    week_over = localize(datetime.combine(match_day(year) + timedelta(days=1), time(0, 0)), EASTERN)
    return year if now < week_over else year + 1


# --- director edits ---------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleChange:
    """New times for one round; ``None`` means "leave unchanged".  Times are aware UTC."""

    round: int
    deadline_at: datetime | None = None
    offers_at: datetime | None = None
    expires_at: datetime | None = None
    tz: ZoneInfo = field(default=EASTERN)  # the zone the director typed in; used in messages


_TIME_FIELDS = {"deadline": "deadline_at", "offers": "offers_at", "expires": "expires_at"}


def parse_schedule_set(text_pairs: Mapping[str, str], tz: ZoneInfo) -> ScheduleChange:
    """Read ``round=2 deadline="2027-03-17 11:55"`` (already split into key/value pairs).

    Keys: ``round`` (required), and at least one of ``deadline``, ``offers``, ``expires``;
    times are ``YYYY-MM-DD HH:MM`` or ``MM/DD/YYYY HH:MM`` read in ``tz``.  Checks what can be
    checked without the current calendar (order among the given times); whether the round
    exists and fits between its neighbours is checked by :func:`apply_schedule_change`.
    """
    pairs = {k.strip().lower(): v.strip().strip("\"'“”").strip() for k, v in text_pairs.items()}
    unknown = sorted(set(pairs) - {"round", *_TIME_FIELDS})
    if unknown:
        raise ScheduleError(
            f"Unknown field(s) {', '.join(unknown)}: use round=, deadline=, offers= and expires=."
        )
    if "round" not in pairs:
        raise ScheduleError('Say which round, e.g. round=2 deadline="2027-03-17 11:55".')
    raw_round = pairs["round"]
    if not raw_round.isdigit() or int(raw_round) < 1:
        raise ScheduleError(f"round must be a round number like 1 or 2, not '{raw_round}'.")
    number = int(raw_round)
    times: dict[str, datetime] = {}
    for key, attr in _TIME_FIELDS.items():
        if key not in pairs:
            continue
        try:
            times[attr] = parse_absolute(pairs[key], tz)
        except WhenError as exc:
            raise ScheduleError(f"Round {number} {key}: {exc}") from None
    if not times:
        raise ScheduleError(
            f'Nothing to change for round {number}: give deadline=, offers= or expires=, '
            f'e.g. deadline="2027-03-17 11:55".'
        )
    change = ScheduleChange(number, tz=tz, **times)
    _check_round_order(number, change.deadline_at, change.offers_at, change.expires_at, tz)
    return change


def _check_round_order(
    number: int,
    deadline: datetime | None,
    offers: datetime | None,
    expires: datetime | None,
    tz: ZoneInfo,
) -> None:
    if deadline is not None and offers is not None and deadline > offers:
        raise ScheduleError(
            f"Round {number}: the list deadline ({format_local(deadline, tz)}) is after the offers "
            f"({format_local(offers, tz)}); the list must be certified before offers go out."
        )
    if offers is not None and expires is not None and offers >= expires:
        raise ScheduleError(
            f"Round {number}: offers ({format_local(offers, tz)}) must go out before they expire "
            f"({format_local(expires, tz)})."
        )


def validate_rounds(rounds: Sequence[Round], tz: ZoneInfo = EASTERN) -> None:
    """Raise :class:`ScheduleError` unless ``rounds`` form a consistent calendar (module rules)."""
    for i, rnd in enumerate(rounds, start=1):
        if rnd.number != i:
            raise ScheduleError(
                f"Rounds must be numbered 1 to {len(rounds)} in order; found round {rnd.number}."
            )
        _check_round_order(rnd.number, rnd.deadline_at, rnd.offers_at, rnd.expires_at, tz)
    for prev, nxt in pairwise(rounds):
        if prev.expires_at > nxt.offers_at:
            raise ScheduleError(
                f"Round {prev.number} offers expire ({format_local(prev.expires_at, tz)}) after "
                f"round {nxt.number} offers go out ({format_local(nxt.offers_at, tz)})."
            )


def apply_schedule_change(rounds: Sequence[Round], change: ScheduleChange) -> list[Round]:
    """Return a new list of rounds with ``change`` applied, or raise :class:`ScheduleError`."""
    numbers = [r.number for r in rounds]
    if change.round not in numbers:
        known = f"rounds are {numbers[0]} to {numbers[-1]}" if numbers else "there are no rounds"
        raise ScheduleError(f"There is no round {change.round}: {known}.")
    updates = {
        attr: value
        for attr in _TIME_FIELDS.values()
        if (value := getattr(change, attr)) is not None
    }
    new_rounds = [replace(r, **updates) if r.number == change.round else r for r in rounds]
    validate_rounds(new_rounds, change.tz)
    return new_rounds


# --- display ----------------------------------------------------------------------------

def format_countdown(delta: timedelta) -> str:
    """``in 2 h 05 min``, ``in 3 days 4 h``, ``12 min ago``, ``now`` (under a minute either way).

    Truncates toward zero to whole minutes (a countdown never shows more time than is left).
    """
    seconds = delta.total_seconds()
    total_minutes = math.floor(abs(seconds) / 60)
    if total_minutes == 0:
        return "now"
    days, rest = divmod(total_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        text = f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    elif hours:
        text = f"{hours} h" + (f" {minutes:02d} min" if minutes else "")
    else:
        text = f"{minutes} min"
    return f"in {text}" if seconds > 0 else f"{text} ago"
