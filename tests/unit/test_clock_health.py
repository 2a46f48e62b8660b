"""When the committee is told that reminders are not being sent, and when the war room gets the alarm
(plain values)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.clock_health import ClockSight, silence_to_alarm
from bot.messages.clock_health import reminders_stopped_line, silence_alarm_text

NOW = datetime(2027, 3, 18, 15, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=1)
SET_UP = NOW - timedelta(days=1)


def sight(silent_minutes: float | None, next_due: datetime | None = DEADLINE) -> ClockSight:
    last = None if silent_minutes is None else NOW - timedelta(minutes=silent_minutes)
    return ClockSight(last_tick=last, now=NOW, next_due=next_due)


def test_a_clock_seen_within_3_minutes_sends_reminders_and_one_silent_3_minutes_before_a_deadline_does_not() -> None:
    assert not sight(0.3).reminders_stopped
    assert not sight(2.9).reminders_stopped
    assert sight(3).reminders_stopped
    assert reminders_stopped_line(sight(2.9), "America/New_York") is None
    line = reminders_stopped_line(sight(4), "America/New_York")
    assert line is not None
    assert "Reminders are not being sent" in line and "4 min ago" in line and "Thu 18 Mar 10:56 EDT" in line
    assert "soapbot clock" in line


def test_a_clock_never_seen_is_said_even_with_nothing_ahead_and_a_silence_with_nothing_ahead_is_not() -> None:
    assert sight(None, next_due=None).reminders_stopped
    assert "no reminder clock has run" in (reminders_stopped_line(sight(None), "America/New_York") or "")
    assert not sight(60, next_due=None).reminders_stopped


def test_the_alarm_comes_after_5_minutes_of_silence_with_a_deadline_ahead_named_by_when_the_silence_began() -> None:
    assert silence_to_alarm(sight(4.9), SET_UP) is None
    assert silence_to_alarm(sight(5), SET_UP) == NOW - timedelta(minutes=5)
    # Looked at again later in the same silence: the same silence, so the same alarm (posted once).
    later = ClockSight(last_tick=NOW - timedelta(minutes=5), now=NOW + timedelta(minutes=7), next_due=DEADLINE)
    assert silence_to_alarm(later, SET_UP) == silence_to_alarm(sight(5), SET_UP)
    assert silence_to_alarm(sight(30, next_due=None), SET_UP) is None
    # Never seen: the silence began when the war room was set up.
    assert silence_to_alarm(sight(None), SET_UP) == SET_UP
    assert silence_to_alarm(sight(None), NOW - timedelta(minutes=2)) is None


def test_the_alarm_says_since_when_what_is_next_and_what_to_do() -> None:
    text = silence_alarm_text(sight(6), "America/Chicago")
    assert "Reminders are not being sent" in text
    assert "6 min ago (Thu 18 Mar 09:54 CDT)" in text
    assert "Next on the SOAP calendar: Thu 18 Mar 11:00 CDT (in 1 h" in text
    assert "soapbot status" in text
