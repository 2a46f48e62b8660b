"""What the committee is told when the reminder clock is not running: the line on `/soap schedule` and
the App Home, and the war room's alarm. Pure builders: a `ClockSight` and the program's time zone in,
text out (times in the program's zone)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.clock_health import ClockSight
from bot.domain.soap_calendar import format_countdown, format_local

WHAT_TO_DO = ("Whoever runs the bot: start `soapbot clock` (or `soapbot socket`) and check it with "
              "`soapbot status`. Until then, watch the deadlines yourselves (`/soap schedule`).")


def _since(sight: ClockSight, tz: ZoneInfo) -> str:
    if sight.last_tick is None:
        return "no reminder clock has run for this war room's bot yet"
    return (f"the reminder clock was last seen {format_countdown(sight.last_tick - sight.now)} "
            f"({format_local(sight.last_tick, tz)})")


def reminders_stopped_line(sight: ClockSight | None, timezone: str) -> str | None:
    """The warning for `/soap schedule` and the App Home, or None while reminders are being sent."""
    if sight is None or not sight.reminders_stopped:
        return None
    return f":warning: *Reminders are not being sent*: {_since(sight, ZoneInfo(timezone))}. {WHAT_TO_DO}"


def silence_alarm_text(sight: ClockSight, timezone: str) -> str:
    """The one alarm a silence gets in the war room."""
    tz = ZoneInfo(timezone)
    ahead = "" if sight.next_due is None else (
        f" Next on the SOAP calendar: {format_local(sight.next_due, tz)} "
        f"({format_countdown(sight.next_due - sight.now)}); no reminder will be posted for it.")
    return f":rotating_light: *Reminders are not being sent*: {_since(sight, tz)}.{ahead} {WHAT_TO_DO}"
