"""`/soap schedule`: every event of Match Week in the program's time zone, with a countdown.

Pure builders. The calendar has at most a few dozen events (5 fixed + 3 per round), but the
lines are split into sections of at most `LINES_PER_SECTION` so no section nears Slack's
3,000 characters and the message stays far under 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from bot.domain.clock_health import ClockSight
from bot.domain.reminders import ListState, ReminderChanges, ReminderKind, ReminderSpec
from bot.domain.soap_calendar import (
    CalendarEvent,
    Round,
    daylight_note,
    format_countdown,
    next_event,
)
from bot.messages.clock_health import reminders_stopped_line
from bot.messages.mrkdwn import escape
from bot.messages.times import local_time

LINES_PER_SECTION = 12
MAX_EVENTS = 120


def _leads_text(leads: Sequence[int]) -> str:
    if not leads:
        return "no deadline reminders"
    return " and ".join(f"{m} min" for m in leads) + " before each deadline"


def event_line(event: CalendarEvent, now: datetime, tz: ZoneInfo, is_next: bool) -> str:
    when = local_time(event.at, tz)
    countdown = format_countdown(event.at - now)
    if event.at < now and countdown != "now":
        return f"~{when}~  {escape(event.label)} ({countdown})"
    marker = ":arrow_right: " if is_next else ""
    return f"{marker}*{when}*  {escape(event.label)} ({countdown})"


def list_state_line(round_number: int, states: Sequence[ListState]) -> str:
    """`*Round 1:* 1234140C0 Categorical: locked and certified in R3 ✓ · 1234140P0 Preliminary: not locked`
    (a program with one list: `*Round 1:* The list: not locked`, as the reminders say it)."""
    parts = []
    for state in states:
        if state.missing is None:
            parts.append(f"{escape(state.name)}: locked and certified in R3 :white_check_mark:")
        else:
            parts.append(f"{escape(state.name)}: {state.missing}")
    return f"*Round {round_number}:* " + " · ".join(parts)


def schedule_blocks(*, program_name: str, match_year: int, events: Sequence[CalendarEvent], leads: Sequence[int],
                    tz: ZoneInfo, now: datetime,
                    lists: Sequence[tuple[int, Sequence[ListState]]] = (),
                    clock: ClockSight | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The calendar as (fallback text, blocks), with where each coming round's lists stand and, first,
    a warning when reminders are not being sent."""
    upcoming = next_event(events, now)
    lines = [event_line(e, now, tz, e == upcoming) for e in list(events)[:MAX_EVENTS]]
    state_lines = [list_state_line(number, states) for number, states in lists]
    title = f"SOAP calendar {match_year}"
    blocks: list[Any] = [HeaderBlock(text=title),
                         ContextBlock(elements=[MarkdownTextObject(
                             text=f"{escape(program_name)} · times in your own time zone "
                                                  f"(the program's is {escape(tz.key)})")])]
    stopped = reminders_stopped_line(clock, tz.key)
    if stopped:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=stopped)))
    for start in range(0, len(lines), LINES_PER_SECTION):
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines[start:start + LINES_PER_SECTION]))))
    if not lines:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No events.")))
    if state_lines:
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text="*Preference lists* (locked here, then entered and certified in R3 before each deadline)\n"
                 + "\n".join(state_lines))))
    footer = (f"Reminders: {_leads_text(leads)}, a lock warning to directors 15 min before, and at "
              "each offer time and expiry. Default times follow NRMP's published Match Week schedule; "
              "check NRMP's schedule for your Match year. The list deadlines are an assumption: NRMP's "
              "certification cutoff was not published, so by default each is 5 minutes before its round's offers "
              "until a director sets the real one. Directors change a round with "
              '`/soap schedule set round=2 deadline="YYYY-MM-DD HH:MM"` (also offers=, expires=) '
              "and the reminders with `/soap schedule set leads=60,15`.")
    if (note := daylight_note(match_year)) is not None:
        footer += " :clock1: " + note
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    text = "\n".join([f"{title} ({tz.key})", *([stopped] if stopped else []), *lines, *state_lines,
                      f"Reminders: {_leads_text(leads)}."])
    return text, [block.to_dict() for block in blocks]


def _round_times(rnd: Round, tz: ZoneInfo) -> str:
    return (f"deadline {local_time(rnd.deadline_at, tz)}, offers {local_time(rnd.offers_at, tz)}, "
            f"expire {local_time(rnd.expires_at, tz)}")


def reminder_label(spec: ReminderSpec) -> str:
    n = spec.round
    minutes = int(spec.lead.total_seconds() // 60)
    return {
        ReminderKind.DEADLINE_LEAD: f"round {n}'s reminder {minutes} min before the deadline",
        ReminderKind.LOCK_WARNING: f"round {n}'s lock warning to directors",
        ReminderKind.OFFERS_OPEN: f"round {n}'s offers-out message",
        ReminderKind.OFFERS_EXPIRE: f"round {n}'s offers-expire reminder",
        ReminderKind.DEADLINE_ALARM: f"round {n}'s alarm if the deadline passes unlocked or uncertified",
        ReminderKind.INTERVIEW: "an interview reminder",
    }[spec.kind]


def reminder_changes_text(changes: ReminderChanges, tz: ZoneInfo) -> str:
    """Which reminders the change sent now, moved or dropped, and why."""
    parts: list[str] = []
    if changes.sent_now:
        parts.append("Sent now, because its time has passed and its deadline is still ahead: "
                     + "; ".join(reminder_label(s) for s in changes.sent_now) + ".")
    if changes.moved:
        parts.append("Moved: " + "; ".join(
            f"{reminder_label(new)} from {local_time(old.due_at, tz)} to {local_time(new.due_at, tz)}"
            for old, new in changes.moved) + ".")
    if changes.dropped:
        parts.append("Dropped: " + "; ".join(f"{reminder_label(spec)} ({why})" for spec, why in changes.dropped)
                     + ".")
    return " ".join(parts) if parts else "Reminders follow the new times."


def schedule_change_text(*, actor_mention: str, round_number: int | None, before: Round | None,
                         after: Round | None, leads_before: Sequence[int] | None,
                         leads_after: Sequence[int] | None, tz: ZoneInfo,
                         reminders: ReminderChanges | None = None) -> str:
    """The announcement in the war room after a director changed the calendar."""
    parts: list[str] = []
    if round_number is not None and before is not None and after is not None and before != after:
        parts.append(f"*Round {round_number}* is now {_round_times(after, tz)} "
                     f"(was {_round_times(before, tz)}).")
    if leads_after is not None and leads_before is not None and tuple(leads_before) != tuple(leads_after):
        parts.append(f"Deadline reminders: {_leads_text(leads_after)} (was {_leads_text(leads_before)}).")
    if not parts:
        return "Nothing changed: the calendar already says that."
    return (f":calendar: {actor_mention} changed the SOAP calendar. " + " ".join(parts) + " "
            + reminder_changes_text(reminders or ReminderChanges(), tz))
