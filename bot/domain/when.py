"""What a person types as a time, turned into an aware UTC datetime.

Pure functions, no Slack and no database.  Everything returned is a timezone-aware
``datetime`` in UTC; the person's (or program's) IANA zone ``tz`` decides how the typed
wall-clock time is read.

Accepted input (case-insensitive, extra spaces ignored):

* a time alone: ``14:30``, ``2:30pm``, ``2:30 p.m.``, ``9am``, ``noon``, ``midnight``
  -> that time *today* in ``tz`` (even if it already passed: use :func:`require_future`);
* ``today`` / ``tomorrow`` (``tmrw``) plus a time: ``tomorrow 09:00``;
* a weekday plus a time: ``thu 09:00``, ``Thursday 9am`` -> the next such day.  If today is
  that weekday and the time is still ahead, it is today; otherwise the same weekday of the
  following week (typing ``thu 12:00`` on Thursday at 10:00 means two hours from now);
* an explicit date plus a time: ``2027-03-16 14:30``, ``2027-03-16T14:30``,
  ``03/16/2027 14:30`` (US month/day/year);
* the date may also follow the time (``09:00 tomorrow``); the words ``at`` and ``on`` and
  a comma between the parts are ignored.

Daylight saving time:

* A wall-clock time that does not exist (inside the spring-forward gap, e.g.
  ``2027-03-14 02:30`` in America/New_York) is a :class:`WhenError` saying so.
* A wall-clock time that exists twice (the autumn fall-back hour) is read as its FIRST
  occurrence (still on daylight time), i.e. ``fold=0``.

Every error is a :class:`WhenError` (a ``ValueError``) whose message says what was not
understood and shows examples that work.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "EXAMPLES",
    "WhenError",
    "format_local",
    "localize",
    "parse_absolute",
    "parse_when",
    "require_future",
]

EXAMPLES = "14:30, 2:30pm, tomorrow 09:00, thu 09:00, 2027-03-18 11:55 or 03/18/2027 11:55"

_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("mon", "monday"),
        ("tue", "tues", "tuesday"),
        ("wed", "weds", "wednesday"),
        ("thu", "thur", "thurs", "thursday"),
        ("fri", "friday"),
        ("sat", "saturday"),
        ("sun", "sunday"),
    )
):
    for _name in _names:
        _WEEKDAYS[_name] = _index

_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_TIME_24 = re.compile(r"(\d{1,2}):(\d{2})")
_TIME_12 = re.compile(r"(\d{1,2})(?::(\d{2}))?(am|pm)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_DATETIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})t(\S+)")


class WhenError(ValueError):
    """A typed time could not be read (or is not acceptable, e.g. in the past)."""


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def program_today(now: datetime, timezone: str) -> date:
    """Today's date in the program's time zone (years since graduation are counted from it)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def format_local(dt_utc: datetime, tz: ZoneInfo) -> str:
    """``Thu 18 Mar 11:55 EDT``: an aware datetime shown in ``tz`` (English, 24-hour clock)."""
    _check_aware(dt_utc, "dt_utc")
    local = dt_utc.astimezone(tz)
    return (
        f"{_DAY_ABBR[local.weekday()]} {local.day} {_MONTH_ABBR[local.month - 1]} "
        f"{local:%H:%M} {local.tzname()}"
    )


def _normalise(text: str) -> str:
    s = text.strip().lower()
    # "2:30 p.m." / "2:30 PM" / "9 am" -> "2:30pm" / "9am"
    s = re.sub(r"\s*\b([ap])\.?\s?m\b\.?", r"\1m", s)
    s = s.replace(",", " ")
    # ISO "2027-03-16T14:30" -> "2027-03-16 14:30"
    s = _ISO_DATETIME.sub(r"\1 \2", s)
    return " ".join(s.split())


def _parse_time(word: str, original: str) -> time | None:
    """A time word, or None if the word is not shaped like a time at all."""
    if word == "noon":
        return time(12, 0)
    if word == "midnight":
        return time(0, 0)
    m = _TIME_12.fullmatch(word)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise WhenError(
                f"'{word}' in '{original}' is not a valid 12-hour time (1:00am to 12:59pm). "
                f"Examples: {EXAMPLES}."
            )
        hour = hour % 12 + (12 if m.group(3) == "pm" else 0)
        return time(hour, minute)
    m = _TIME_24.fullmatch(word)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise WhenError(
                f"'{word}' in '{original}' is not a valid time (00:00 to 23:59). Examples: {EXAMPLES}."
            )
        return time(hour, minute)
    return None


def _parse_date(word: str, original: str) -> date | int | str | None:
    """An explicit date, a weekday index (int), 'today'/'tomorrow' (str), or None."""
    if word in ("today", "tomorrow", "tmrw", "tmr"):
        return "tomorrow" if word.startswith("t") and word != "today" else "today"
    if word in _WEEKDAYS:
        return _WEEKDAYS[word]
    m = _ISO_DATE.fullmatch(word)
    parts: tuple[int, int, int] | None = None
    if m:
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _US_DATE.fullmatch(word)
    if m:
        parts = (int(m.group(3)), int(m.group(1)), int(m.group(2)))
    if parts is None:
        return None
    try:
        return date(*parts)
    except ValueError:
        raise WhenError(
            f"'{word}' in '{original}' is not a real calendar date. Examples: {EXAMPLES}."
        ) from None


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """Read a naive wall-clock datetime in ``tz`` and return it in UTC.

    Raises :class:`WhenError` if that wall-clock time does not exist in ``tz`` (spring-forward
    gap).  An ambiguous time (fall-back) is its first occurrence (``fold=0``).
    """
    if wall.tzinfo is not None:
        raise ValueError("localize() expects a naive wall-clock datetime")
    first = wall.replace(tzinfo=tz, fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != wall:
        second = wall.replace(tzinfo=tz, fold=1)
        offset_before, offset_after = second.utcoffset(), first.utcoffset()
        jump = (
            (offset_before - offset_after) if offset_before and offset_after else timedelta(hours=1)
        )
        minutes = int(abs(jump).total_seconds() // 60)
        if minutes % 60 == 0:
            amount = f"{minutes // 60} hour{'s' if minutes != 60 else ''}"
        else:
            amount = f"{minutes} minutes"
        raise WhenError(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {tz.key}: the clocks jump forward "
            f"{amount} that night (daylight saving time starts). "
            f"Pick a time before or after the jump."
        )
    return as_utc


def _parse(text: str, *, now: datetime | None, tz: ZoneInfo) -> datetime:
    original = text.strip()
    if not original:
        raise WhenError(f"No time given. Examples: {EXAMPLES}.")
    words = [t for t in _normalise(text).split() if t not in ("at", "on")]
    the_time: time | None = None
    the_date: date | int | str | None = None
    for word in words:
        parsed_time = _parse_time(word, original)
        if parsed_time is not None:
            if the_time is not None:
                raise WhenError(f"'{original}' contains two times. Examples: {EXAMPLES}.")
            the_time = parsed_time
            continue
        parsed_date = _parse_date(word, original)
        if parsed_date is not None:
            if the_date is not None:
                raise WhenError(f"'{original}' contains two dates or days. Examples: {EXAMPLES}.")
            the_date = parsed_date
            continue
        raise WhenError(f"Could not understand '{word}' in '{original}'. Examples: {EXAMPLES}.")
    if the_time is None:
        raise WhenError(f"'{original}' has no time of day (add e.g. 09:00 or 2:30pm). Examples: {EXAMPLES}.")

    if now is None:
        if not isinstance(the_date, date):
            raise WhenError(
                f"'{original}' needs a full date, e.g. 2027-03-18 11:55 or 03/18/2027 11:55."
            )
        return localize(datetime.combine(the_date, the_time), tz)

    today = now.astimezone(tz).date()
    if the_date is None or the_date == "today":
        day = today
    elif the_date == "tomorrow":
        day = today + timedelta(days=1)
    elif isinstance(the_date, int):
        day = today + timedelta(days=(the_date - today.weekday()) % 7)
        if day == today and localize(datetime.combine(day, the_time), tz) <= now:
            day += timedelta(days=7)
    else:
        assert isinstance(the_date, date)
        day = the_date
    return localize(datetime.combine(day, the_time), tz)


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """Parse what a person typed as a time (see the module docstring) into an aware UTC datetime.

    ``now`` (timezone-aware) anchors "today", "tomorrow" and weekday names in ``tz``.
    The result may be in the past; combine with :func:`require_future` where that matters.
    """
    _check_aware(now, "now")
    return _parse(text, now=now, tz=tz)


def parse_absolute(text: str, tz: ZoneInfo) -> datetime:
    """Parse an explicit date and time (``2027-03-17 11:55`` or ``03/17/2027 11:55``) in ``tz``.

    Relative words (today, tomorrow, weekdays) and a bare time are refused: used where a
    director sets calendar times and an unambiguous date is required.
    """
    return _parse(text, now=None, tz=tz)


def require_future(dt: datetime, now: datetime, *, tz: ZoneInfo | None = None) -> datetime:
    """Return ``dt`` unchanged if it is after ``now``; otherwise raise ``WhenError("… is in the past")``.

    The message shows ``dt`` in ``tz`` (UTC if not given).
    """
    _check_aware(dt, "dt")
    _check_aware(now, "now")
    if dt <= now:
        shown = format_local(dt, tz) if tz is not None else f"{dt.astimezone(UTC):%a %d %b %H:%M} UTC"
        raise WhenError(f"{shown} is in the past.")
    return dt
