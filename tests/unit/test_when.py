"""Reading typed times, including across the DST change that precedes Match Week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.when import WhenError, format_local, parse_absolute, parse_when, require_future

NY = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
HONOLULU = ZoneInfo("Pacific/Honolulu")

# Saturday 13 March 2027, 10:00 EST (DST starts Sunday 14 March 2027 at 02:00).
SAT_2027 = datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
# Saturday 7 March 2026, 10:00 EST (DST starts Sunday 8 March 2026).
SAT_2026 = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- across the spring-forward change -------------------------------------------------

def test_tomorrow_typed_on_saturday_before_dst_2027_is_edt() -> None:
    assert parse_when("tomorrow 09:00", now=SAT_2027, tz=NY) == utc(2027, 3, 14, 13, 0)


def test_tomorrow_typed_on_saturday_before_dst_2026_is_edt() -> None:
    assert parse_when("tomorrow 09:00", now=SAT_2026, tz=NY) == utc(2026, 3, 8, 13, 0)


def test_today_before_the_change_is_still_est() -> None:
    assert parse_when("14:30", now=SAT_2027, tz=NY) == utc(2027, 3, 13, 19, 30)


def test_today_and_tomorrow_follow_the_local_date_not_utc() -> None:
    # Saturday 23:30 EST is already Sunday 04:30 UTC; "tomorrow" is still Sunday locally.
    late_saturday = utc(2027, 3, 14, 4, 30)
    assert parse_when("tomorrow 09:00", now=late_saturday, tz=NY) == utc(2027, 3, 14, 13, 0)
    assert parse_when("23:45", now=late_saturday, tz=NY) == utc(2027, 3, 14, 4, 45)


@pytest.mark.parametrize(
    "text",
    ["2027-03-14 02:30", "03/14/2027 02:30", "2027-03-14 2:00am", "2026-03-08 02:59"],
)
def test_time_in_the_spring_forward_gap_is_refused(text: str) -> None:
    with pytest.raises(WhenError, match="does not exist in America/New_York") as info:
        parse_when(text, now=SAT_2027, tz=NY)
    assert "daylight saving" in str(info.value)


def test_tomorrow_in_the_gap_is_refused() -> None:
    with pytest.raises(WhenError, match="does not exist"):
        parse_when("tomorrow 02:30", now=SAT_2027, tz=NY)


def test_edges_of_the_gap_exist() -> None:
    assert parse_when("2027-03-14 01:59", now=SAT_2027, tz=NY) == utc(2027, 3, 14, 6, 59)
    assert parse_when("2027-03-14 03:00", now=SAT_2027, tz=NY) == utc(2027, 3, 14, 7, 0)


def test_ambiguous_fall_back_time_takes_first_occurrence() -> None:
    # 1 Nov 2026, 01:30 happens twice in New York: first at EDT (05:30 UTC), then EST (06:30 UTC).
    assert parse_when("2026-11-01 01:30", now=SAT_2026, tz=NY) == utc(2026, 11, 1, 5, 30)


def test_zones_without_dst() -> None:
    assert parse_when("tomorrow 09:00", now=SAT_2027, tz=PHOENIX) == utc(2027, 3, 14, 16, 0)
    assert parse_when("tomorrow 09:00", now=SAT_2027, tz=HONOLULU) == utc(2027, 3, 14, 19, 0)
    # No gap outside the US DST zones.
    assert parse_when("2027-03-14 02:30", now=SAT_2027, tz=PHOENIX) == utc(2027, 3, 14, 9, 30)


# --- formats ----------------------------------------------------------------------------

MON_MATCH_WEEK = utc(2027, 3, 15, 16, 0)  # Monday 15 March 2027, 12:00 EDT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30", utc(2027, 3, 15, 18, 30)),
        ("2:30pm", utc(2027, 3, 15, 18, 30)),
        ("2:30 PM", utc(2027, 3, 15, 18, 30)),
        ("2:30 p.m.", utc(2027, 3, 15, 18, 30)),
        ("9am", utc(2027, 3, 15, 13, 0)),
        ("12am", utc(2027, 3, 15, 4, 0)),
        ("12pm", utc(2027, 3, 15, 16, 0)),
        ("noon", utc(2027, 3, 15, 16, 0)),
        ("tomorrow 09:00", utc(2027, 3, 16, 13, 0)),
        ("Tomorrow at 9am", utc(2027, 3, 16, 13, 0)),
        ("09:00 tomorrow", utc(2027, 3, 16, 13, 0)),
        ("today 18:00", utc(2027, 3, 15, 22, 0)),
        ("2027-03-16 14:30", utc(2027, 3, 16, 18, 30)),
        ("2027-03-16T14:30", utc(2027, 3, 16, 18, 30)),
        ("03/16/2027 14:30", utc(2027, 3, 16, 18, 30)),
        ("3/16/2027 2:30pm", utc(2027, 3, 16, 18, 30)),
        ("thu 09:00", utc(2027, 3, 18, 13, 0)),
        ("Thursday, 9am", utc(2027, 3, 18, 13, 0)),
        ("wed 16:00", utc(2027, 3, 17, 20, 0)),
        ("sun 09:00", utc(2027, 3, 21, 13, 0)),
    ],
)
def test_accepted_formats(text: str, expected: datetime) -> None:
    assert parse_when(text, now=MON_MATCH_WEEK, tz=NY) == expected


def test_weekday_is_today_while_the_time_is_ahead_else_next_week() -> None:
    thursday_8am = utc(2027, 3, 18, 12, 0)
    assert parse_when("thu 09:00", now=thursday_8am, tz=NY) == utc(2027, 3, 18, 13, 0)
    thursday_10am = utc(2027, 3, 18, 14, 0)
    assert parse_when("thu 09:00", now=thursday_10am, tz=NY) == utc(2027, 3, 25, 13, 0)


def test_result_is_utc() -> None:
    assert parse_when("14:30", now=MON_MATCH_WEEK, tz=NY).tzinfo == UTC


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("foo 14:30", "'foo'"),
        ("tomorrow", "no time of day"),
        ("25:00", "not a valid time"),
        ("14:60", "not a valid time"),
        ("13pm", "12-hour"),
        ("2027-02-30 10:00", "not a real calendar date"),
        ("14:30 15:00", "two times"),
        ("mon tue 10:00", "two dates"),
        ("", "No time given"),
        ("   ", "No time given"),
        ("next week", "'next'"),
    ],
)
def test_errors_say_what_was_not_understood_and_give_examples(text: str, fragment: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(text, now=MON_MATCH_WEEK, tz=NY)
    message = str(info.value)
    assert fragment in message
    if text.strip():
        assert "tomorrow 09:00" in message  # examples


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("14:30", now=datetime(2027, 3, 15, 12, 0), tz=NY)


def test_parse_absolute_requires_a_date() -> None:
    assert parse_absolute("2027-03-17 11:55", NY) == utc(2027, 3, 17, 15, 55)
    for text in ("tomorrow 09:00", "11:55", "thu 11:55"):
        with pytest.raises(WhenError, match="full date"):
            parse_absolute(text, NY)


# --- require_future ---------------------------------------------------------------------

def test_require_future() -> None:
    now = MON_MATCH_WEEK
    later = now + timedelta(minutes=1)
    assert require_future(later, now) == later
    with pytest.raises(WhenError, match="is in the past"):
        require_future(now - timedelta(minutes=1), now)
    with pytest.raises(WhenError, match="is in the past"):
        require_future(now, now)


def test_require_future_shows_the_time_in_the_given_zone() -> None:
    with pytest.raises(WhenError, match=r"^Mon 15 Mar 11:00 EDT is in the past\.$"):
        require_future(utc(2027, 3, 15, 15, 0), MON_MATCH_WEEK, tz=NY)


def test_format_local() -> None:
    at = utc(2027, 3, 18, 15, 55)
    assert format_local(at, NY) == "Thu 18 Mar 11:55 EDT"
    assert format_local(at, PHOENIX) == "Thu 18 Mar 08:55 MST"
    assert format_local(at, HONOLULU) == "Thu 18 Mar 05:55 HST"
    assert format_local(utc(2027, 3, 5, 15, 0), NY) == "Fri 5 Mar 10:00 EST"


# --- properties -------------------------------------------------------------------------

ZONES = [NY, PHOENIX, HONOLULU, ZoneInfo("America/Chicago"), ZoneInfo("America/Los_Angeles")]


def _in_gap(day: date, hour: int, minute: int, tz: ZoneInfo) -> bool:
    wall = datetime(day.year, day.month, day.day, hour, minute)
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall


@given(
    day=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    tz=st.sampled_from(ZONES),
)
def test_explicit_date_round_trips_to_the_same_wall_clock(
    day: date, hour: int, minute: int, tz: ZoneInfo
) -> None:
    iso = f"{day:%Y-%m-%d} {hour:02d}:{minute:02d}"
    us = f"{day.month}/{day.day}/{day.year} {hour}:{minute:02d}"
    if _in_gap(day, hour, minute, tz):
        with pytest.raises(WhenError, match="does not exist"):
            parse_when(iso, now=MON_MATCH_WEEK, tz=tz)
        return
    result = parse_when(iso, now=MON_MATCH_WEEK, tz=tz)
    local = result.astimezone(tz)
    assert (local.date(), local.hour, local.minute) == (day, hour, minute)
    assert parse_when(us, now=MON_MATCH_WEEK, tz=tz) == result


@given(
    now=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))
)
def test_weekday_names_land_within_the_next_week(now: datetime) -> None:
    for name in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        result = parse_when(f"{name} 12:00", now=now, tz=NY)
        local = result.astimezone(NY)
        assert local.strftime("%a").lower() == name
        # "Within a week" in wall-clock days: across a DST change a week is 167 or 169 hours.
        assert now < result
        assert local.date() <= now.astimezone(NY).date() + timedelta(days=7)
