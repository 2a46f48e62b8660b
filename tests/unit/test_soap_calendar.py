"""The SOAP calendar: default data, Match Week dates, director edits, display."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.soap_calendar import (
    DEFAULT_SCHEDULE,
    EASTERN,
    CalendarEvent,
    EventKind,
    FixedEventTemplate,
    Round,
    RoundTemplate,
    ScheduleChange,
    ScheduleError,
    WeekSchedule,
    apply_schedule_change,
    current_match_year,
    default_events,
    default_rounds,
    events_for,
    format_countdown,
    format_local,
    match_day,
    match_week_monday,
    next_event,
    parse_schedule_set,
    validate_rounds,
)

PHOENIX = ZoneInfo("America/Phoenix")
HONOLULU = ZoneInfo("Pacific/Honolulu")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Match Week dates -------------------------------------------------------------------

def test_match_week_2026() -> None:
    assert match_week_monday(2026) == date(2026, 3, 16)
    assert match_day(2026) == date(2026, 3, 20)


def test_match_week_2027() -> None:
    assert match_week_monday(2027) == date(2027, 3, 15)
    assert match_day(2027) == date(2027, 3, 19)


@given(st.integers(2000, 2100))
def test_match_day_is_the_third_friday_of_march(year: int) -> None:
    day = match_day(year)
    assert day.month == 3
    assert day.weekday() == 4
    assert 15 <= day.day <= 21
    assert match_week_monday(year).weekday() == 0


# --- default calendar, in UTC and in other zones ------------------------------------------

@pytest.mark.parametrize(("year", "thursday"), [(2026, 19), (2027, 18)])
def test_default_rounds_are_edt_on_thursday(year: int, thursday: int) -> None:
    rounds = default_rounds(year)
    assert [r.number for r in rounds] == [1, 2, 3, 4]
    # EDT = UTC-4: 09:00, 12:00, 15:00, 18:00 Eastern.
    assert [r.offers_at for r in rounds] == [
        utc(year, 3, thursday, 13),
        utc(year, 3, thursday, 16),
        utc(year, 3, thursday, 19),
        utc(year, 3, thursday, 22),
    ]
    assert [r.expires_at - r.offers_at for r in rounds] == [timedelta(hours=2)] * 4
    # Round 4 expires at 20:00 EDT, which is midnight UTC the next day.
    assert rounds[-1].expires_at == utc(year, 3, thursday + 1, 0)
    assert [r.offers_at - r.deadline_at for r in rounds] == [timedelta(minutes=5)] * 4
    assert all(r.offers_at.tzinfo == UTC for r in rounds)


def test_deadline_lead_is_configurable() -> None:
    rounds = default_rounds(2027, timedelta(minutes=30))
    assert format_local(rounds[1].deadline_at, EASTERN) == "Thu 18 Mar 11:30 EDT"
    with pytest.raises(ValueError, match="negative"):
        default_rounds(2027, timedelta(minutes=-1))


def test_default_events_2027_in_order() -> None:
    events = default_events(2027)
    assert [(e.kind.value, e.round) for e in events] == [
        ("soap_begins", None),
        ("eras_opens", None),
        ("review_begins", None),
        ("list_deadline", 1),
        ("offers_open", 1),
        ("offers_expire", 1),
        ("list_deadline", 2),
        ("offers_open", 2),
        ("offers_expire", 2),
        ("list_deadline", 3),
        ("offers_open", 3),
        ("offers_expire", 3),
        ("list_deadline", 4),
        ("offers_open", 4),
        ("offers_expire", 4),
        ("soap_ends", None),
        ("match_day", None),
    ]
    shown = {e.kind: format_local(e.at, EASTERN) for e in events if e.round is None}
    assert shown == {
        EventKind.SOAP_BEGINS: "Mon 15 Mar 10:00 EDT",
        EventKind.ERAS_OPENS: "Mon 15 Mar 11:00 EDT",
        EventKind.REVIEW_BEGINS: "Tue 16 Mar 08:00 EDT",
        EventKind.SOAP_ENDS: "Thu 18 Mar 21:00 EDT",
        EventKind.MATCH_DAY: "Fri 19 Mar 12:00 EDT",
    }
    assert events[0].at == utc(2027, 3, 15, 14)
    assert all(e.label for e in events)


def test_default_events_2026_dates() -> None:
    events = default_events(2026)
    assert format_local(events[0].at, EASTERN) == "Mon 16 Mar 10:00 EDT"
    assert format_local(events[-1].at, EASTERN) == "Fri 20 Mar 12:00 EDT"
    assert events[-1].at == utc(2026, 3, 20, 16)


@pytest.mark.parametrize(
    ("tz", "round1", "soap_begins"),
    [
        (EASTERN, "Thu 18 Mar 09:00 EDT", "Mon 15 Mar 10:00 EDT"),
        (PHOENIX, "Thu 18 Mar 06:00 MST", "Mon 15 Mar 07:00 MST"),
        (HONOLULU, "Thu 18 Mar 03:00 HST", "Mon 15 Mar 04:00 HST"),
    ],
)
def test_calendar_shown_in_program_zones(tz: ZoneInfo, round1: str, soap_begins: str) -> None:
    assert format_local(default_rounds(2027)[0].offers_at, tz) == round1
    assert format_local(default_events(2027)[0].at, tz) == soap_begins


def test_phoenix_offset_differs_from_winter() -> None:
    # In winter Phoenix is 2 h behind New York; during Match Week (EDT) it is 3 h behind.
    winter = utc(2027, 1, 14, 14)
    assert format_local(winter, EASTERN) == "Thu 14 Jan 09:00 EST"
    assert format_local(winter, PHOENIX) == "Thu 14 Jan 07:00 MST"


def test_calendar_is_data_a_different_week_layout_can_be_used() -> None:
    # An older layout: three rounds on Wednesday, SOAP ending Thursday noon.
    old = WeekSchedule(
        fixed=(FixedEventTemplate(EventKind.SOAP_ENDS, 3, time(12, 0), "SOAP ends"),),
        rounds=(
            RoundTemplate(1, 2, time(12, 0), timedelta(hours=2)),
            RoundTemplate(2, 2, time(15, 0), timedelta(hours=2)),
            RoundTemplate(3, 2, time(18, 0), timedelta(hours=2)),
        ),
    )
    rounds = default_rounds(2027, schedule=old)
    assert [format_local(r.offers_at, EASTERN) for r in rounds] == [
        "Wed 17 Mar 12:00 EDT",
        "Wed 17 Mar 15:00 EDT",
        "Wed 17 Mar 18:00 EDT",
    ]
    events = events_for(rounds, 2027, schedule=old)
    assert len(events) == 1 + 3 * 3
    assert events[-1].kind is EventKind.SOAP_ENDS
    assert len(DEFAULT_SCHEDULE.rounds) == 4  # the default is untouched


# --- types --------------------------------------------------------------------------------

def test_round_requires_aware_times_and_stores_utc() -> None:
    eastern_offset = timezone(timedelta(hours=-4))
    deadline = datetime(2027, 3, 18, 8, 55, tzinfo=eastern_offset)
    rnd = Round(1, deadline, utc(2027, 3, 18, 13), utc(2027, 3, 18, 15))
    assert rnd.deadline_at == utc(2027, 3, 18, 12, 55)
    assert rnd.deadline_at.tzinfo == UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        Round(1, datetime(2027, 3, 18, 8, 55), utc(2027, 3, 18, 13), utc(2027, 3, 18, 15))
    with pytest.raises(ValueError, match="timezone-aware"):
        CalendarEvent(EventKind.MATCH_DAY, None, datetime(2027, 3, 19, 12), "Match Day")


def test_event_kind_values() -> None:
    assert {k.value for k in EventKind} == {
        "soap_begins", "eras_opens", "review_begins", "list_deadline",
        "offers_open", "offers_expire", "soap_ends", "match_day",
    }


# --- next event, current Match year -------------------------------------------------------

def test_next_event() -> None:
    events = default_events(2027)
    thursday_10am = utc(2027, 3, 18, 14)
    nxt = next_event(events, thursday_10am)
    assert nxt is not None
    assert (nxt.kind, nxt.round) == (EventKind.OFFERS_EXPIRE, 1)
    at_deadline = utc(2027, 3, 18, 15, 55)
    nxt = next_event(events, at_deadline)
    assert nxt is not None
    assert (nxt.kind, nxt.round) == (EventKind.LIST_DEADLINE, 2)
    assert next_event(events, utc(2027, 3, 19, 16, 1)) is None
    first = next_event(events, utc(2027, 1, 1))
    assert first is not None
    assert first.kind is EventKind.SOAP_BEGINS


@pytest.mark.parametrize(
    ("now", "year"),
    [
        (utc(2026, 1, 10), 2026),
        (utc(2026, 3, 20, 16), 2026),  # Match Day 2026, noon EDT
        (utc(2026, 3, 21, 3, 59), 2026),  # Fri 20 Mar 23:59 EDT
        (utc(2026, 3, 21, 4, 0), 2027),  # Sat 21 Mar 00:00 EDT: Match Week 2026 is over
        (utc(2026, 12, 31, 12), 2027),
        (utc(2027, 1, 1, 3), 2027),  # still 31 Dec 2026 in New York, but after Match Week 2026
        (utc(2027, 3, 18, 14), 2027),
        (utc(2027, 3, 20, 4, 0), 2028),
    ],
)
def test_current_match_year(now: datetime, year: int) -> None:
    assert current_match_year(now) == year


# --- director edits -----------------------------------------------------------------------

def test_parse_schedule_set_reads_eastern_times() -> None:
    change = parse_schedule_set({"round": "2", "deadline": '"2027-03-18 11:30"'}, EASTERN)
    assert change.round == 2
    assert change.deadline_at == utc(2027, 3, 18, 15, 30)
    assert change.offers_at is None
    assert change.expires_at is None


def test_parse_schedule_set_in_director_zone() -> None:
    change = parse_schedule_set(
        {"round": "3", "offers": "03/18/2027 12:00", "expires": "2027-03-18 14:00"}, PHOENIX
    )
    assert change.offers_at == utc(2027, 3, 18, 19)
    assert change.expires_at == utc(2027, 3, 18, 21)


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        ({"deadline": "2027-03-18 11:55"}, "Say which round"),
        ({"round": "two", "deadline": "2027-03-18 11:55"}, "not 'two'"),
        ({"round": "0", "deadline": "2027-03-18 11:55"}, "not '0'"),
        ({"round": "2"}, "Nothing to change for round 2"),
        ({"round": "2", "deadlin": "2027-03-18 11:55"}, "Unknown field(s) deadlin"),
        ({"round": "2", "deadline": "soon"}, "Round 2 deadline: Could not understand 'soon'"),
        ({"round": "2", "deadline": "11:55"}, "needs a full date"),
        ({"round": "2", "deadline": "2027-03-14 02:30"}, "does not exist"),
        (
            {"round": "2", "deadline": "2027-03-18 12:05", "offers": "2027-03-18 12:00"},
            "Round 2: the list deadline (Thu 18 Mar 12:05 EDT) is after the offers (Thu 18 Mar 12:00 EDT)",
        ),
        (
            {"round": "2", "offers": "2027-03-18 14:00", "expires": "2027-03-18 12:00"},
            "Round 2: offers (Thu 18 Mar 14:00 EDT) must go out before they expire",
        ),
    ],
)
def test_parse_schedule_set_errors(pairs: dict[str, str], fragment: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule_set(pairs, EASTERN)
    assert fragment in str(info.value)


def test_apply_moves_one_round_and_leaves_the_rest() -> None:
    rounds = default_rounds(2027)
    change = parse_schedule_set({"round": "2", "deadline": "2027-03-18 11:30"}, EASTERN)
    new = apply_schedule_change(rounds, change)
    assert new[1].deadline_at == utc(2027, 3, 18, 15, 30)
    assert new[1].offers_at == rounds[1].offers_at
    assert new[0] == rounds[0]
    assert new[2:] == rounds[2:]
    assert rounds[1].deadline_at == utc(2027, 3, 18, 15, 55)  # input untouched
    events = events_for(new, 2027)
    deadline2 = next(e for e in events if e.kind is EventKind.LIST_DEADLINE and e.round == 2)
    assert format_local(deadline2.at, EASTERN) == "Thu 18 Mar 11:30 EDT"


def test_apply_unknown_round() -> None:
    change = ScheduleChange(5, deadline_at=utc(2027, 3, 18, 22))
    with pytest.raises(ScheduleError, match="There is no round 5: rounds are 1 to 4"):
        apply_schedule_change(default_rounds(2027), change)


def test_apply_offers_before_existing_deadline_is_refused() -> None:
    change = parse_schedule_set({"round": "2", "offers": "2027-03-18 11:50"}, EASTERN)
    with pytest.raises(ScheduleError, match=r"Round 2: the list deadline \(Thu 18 Mar 11:55 EDT\) is after"):
        apply_schedule_change(default_rounds(2027), change)


def test_apply_expiry_after_next_rounds_offers_is_refused() -> None:
    change = parse_schedule_set({"round": "1", "expires": "2027-03-18 12:30"}, EASTERN)
    with pytest.raises(
        ScheduleError,
        match=r"Round 1 offers expire \(Thu 18 Mar 12:30 EDT\) after round 2 offers go out "
        r"\(Thu 18 Mar 12:00 EDT\)",
    ):
        apply_schedule_change(default_rounds(2027), change)


def test_apply_offers_before_previous_expiry_is_refused() -> None:
    change = parse_schedule_set(
        {"round": "2", "deadline": "2027-03-18 10:00", "offers": "2027-03-18 10:30"}, EASTERN
    )
    with pytest.raises(ScheduleError, match="Round 1 offers expire"):
        apply_schedule_change(default_rounds(2027), change)


def test_apply_expiry_before_offers_is_refused() -> None:
    change = parse_schedule_set({"round": "3", "expires": "2027-03-18 14:59"}, EASTERN)
    with pytest.raises(ScheduleError, match=r"Round 3: offers .* must go out before they expire"):
        apply_schedule_change(default_rounds(2027), change)


def test_validate_rounds_numbering() -> None:
    rounds = default_rounds(2027)
    with pytest.raises(ScheduleError, match="numbered 1 to 4"):
        validate_rounds([rounds[0], replace(rounds[1], number=3), *rounds[2:]])
    validate_rounds(rounds)


# --- countdown ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=2, minutes=5), "in 2 h 05 min"),
        (timedelta(hours=2, minutes=5, seconds=59), "in 2 h 05 min"),
        (timedelta(hours=2), "in 2 h"),
        (timedelta(days=3, hours=4, minutes=30), "in 3 days 4 h"),
        (timedelta(days=1), "in 1 day"),
        (timedelta(minutes=12), "in 12 min"),
        (timedelta(minutes=-12), "12 min ago"),
        (timedelta(hours=-1, minutes=-1), "1 h 01 min ago"),
        (timedelta(seconds=59), "now"),
        (timedelta(seconds=-30), "now"),
        (timedelta(0), "now"),
    ],
)
def test_format_countdown(delta: timedelta, text: str) -> None:
    assert format_countdown(delta) == text
