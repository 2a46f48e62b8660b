"""The weekend daylight time starts can be the one before SOAP (2027: Sun 14 Mar, Match Monday 15 Mar).

Reminders planned across it must keep their real lead (UTC arithmetic) and still read right on the
wall clock in US Eastern (DOMAIN.md §1: all NRMP times are US Eastern)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders import ReminderKind, plan_round_reminders
from bot.domain.soap_calendar import (
    Round,
    daylight_note,
    daylight_time_starts,
    default_events,
    default_rounds,
    match_week_monday,
)
from bot.domain.when import format_local

EASTERN = ZoneInfo("America/New_York")


def test_in_2027_daylight_time_starts_the_day_before_match_monday() -> None:
    assert daylight_time_starts(2027) == date(2027, 3, 14)
    assert match_week_monday(2027) == date(2027, 3, 15)
    assert "Sun 14 Mar 2027, the day before SOAP begins" in (daylight_note(2027) or "")
    assert daylight_note(2026) is None  # 2026: daylight time on 8 Mar, Match Monday 16 Mar


def test_the_default_calendar_of_2027_is_in_eastern_daylight_time() -> None:
    monday = next(e for e in default_events(2027) if e.at.date() == date(2027, 3, 15))
    assert monday.at == datetime(2027, 3, 15, 14, 0, tzinfo=UTC)  # 10:00 EDT, not 15:00 UTC (EST)
    assert default_rounds(2027)[0].offers_at == datetime(2027, 3, 18, 13, 0, tzinfo=UTC)  # Thu 09:00 EDT


def test_reminders_planned_across_the_weekend_keep_their_lead_and_their_wall_clock() -> None:
    # A director moved round 1's deadline to Monday 08:00 EDT; the reminders a day and two days ahead
    # fall on Sunday (after 02:00, in daylight time) and on Saturday (still standard time).
    deadline = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # Mon 15 Mar 08:00 EDT
    rnd = Round(1, deadline, deadline + timedelta(hours=1), deadline + timedelta(hours=3))
    specs = plan_round_reminders("p1", [rnd], leads_minutes=[2880, 1440], lock_warning_minutes=None)
    leads = {s.lead: s for s in specs if s.kind is ReminderKind.DEADLINE_LEAD}
    saturday, sunday = leads[timedelta(minutes=2880)], leads[timedelta(minutes=1440)]
    assert saturday.due_at == datetime(2027, 3, 13, 12, 0, tzinfo=UTC)
    assert sunday.due_at == datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    # 48 real hours before 08:00 EDT Monday is 07:00 EST on Saturday: the clock moved an hour between.
    assert format_local(saturday.due_at, EASTERN).endswith("07:00 EST")
    assert format_local(sunday.due_at, EASTERN).endswith("08:00 EDT")
