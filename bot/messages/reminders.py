"""The reminder the clock posts in the war room: what is due, when, and who has not voted.

Pure builder: plain values in, (fallback text, Block Kit blocks) out. Times are shown in the
program's time zone with a countdown. Mentions are made only with `mention()` and only of
the committee members whose votes are missing (deadline and offer reminders) or of the
directors (lock warning). At most `MAX_MENTIONS` people are named (then "and N more") so the
section stays under Slack's 3,000 characters whatever the committee's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.domain.reminders import ListState, ReminderKind, ReminderView
from bot.domain.soap_calendar import format_countdown
from bot.messages.mrkdwn import clip, escape, mention
from bot.messages.plan import unseen_reminder_line
from bot.messages.times import local_time

MAX_MENTIONS = 60
MAX_MISSED_SHOWN = 8
SECTION_LIMIT = 3000


def _when(at: datetime, view: ReminderView) -> str:
    return f"{local_time(at, view.tz)} ({format_countdown(at - view.now)})"


def subject_label(kind: ReminderKind, round_number: int | None) -> str:
    n = round_number if round_number is not None else "?"
    return {
        ReminderKind.DEADLINE_LEAD: f"Round {n} preference-list deadline",
        ReminderKind.LOCK_WARNING: f"Round {n} preference-list deadline (lock warning)",
        ReminderKind.OFFERS_OPEN: f"Round {n} offers go out",
        ReminderKind.OFFERS_EXPIRE: f"Round {n} offers expire",
        ReminderKind.INTERVIEW: "Interview",
        ReminderKind.DEADLINE_ALARM: f"Round {n} preference-list deadline passed",
    }[kind]


def _lock_first(states: Sequence[ListState], n: int | None) -> str:
    """A list must be locked before it can be recorded as certified (`/soap list certified` refuses
    otherwise), so the alarm for an unlocked one names the lock first."""
    return f"lock it (`/soap list lock {n}`), " if any(not state.locked for state in states) else ""


def _states(states: Sequence[ListState]) -> str:
    return "; ".join(f"{escape(state.name)}: {state.missing}" for state in states)


def _deadline_lead(view: ReminderView) -> str:
    n = view.round
    head = f":alarm_clock: *Round {n} preference-list deadline:* {_when(view.subject_at, view)}."
    if not view.all_locked:
        return f"{head} Finish voting, lock the list and certify it in R3 before then."
    if view.incomplete:
        return (f"{head} The list is locked; enter it in R3 and certify it there, then record it with "
                f"`/soap list certified {n}`. Still to do: {_states(view.incomplete)}.")
    return f"{head} :white_check_mark: Every list of the round is locked and recorded as certified in R3."


def headline(view: ReminderView) -> str:
    n = view.round
    if view.kind is ReminderKind.DEADLINE_LEAD:
        return _deadline_lead(view)
    if view.kind is ReminderKind.DEADLINE_ALARM:
        who = " ".join(mention(d) for d in view.directors[:MAX_MENTIONS]) or "Directors"
        return (f":rotating_light: {who}: *round {n}'s preference-list deadline has passed* "
                f"({local_time(view.subject_at if view.deadline_at is None else view.deadline_at, view.tz)}) "
                f"and R3 offers from the list it had then. {_states(view.incomplete)}. If R3 still accepts "
                f"changes, {_lock_first(view.incomplete, n)}enter and certify the list there now and record it "
                f"with `/soap list certified {n}`.")
    if view.kind is ReminderKind.LOCK_WARNING:
        who = " ".join(mention(d) for d in view.directors[:MAX_MENTIONS]) or "Directors"
        return (f":lock: {who}: the round {n} list is *not locked* and its deadline is "
                f"{_when(view.subject_at, view)}. Lock it with `/soap list lock {n}` so that what the "
                "committee agreed is what goes into R3.")
    if view.kind is ReminderKind.OFFERS_OPEN:
        expiry = f" They expire {local_time(view.expires_at, view.tz)}." if view.expires_at else ""
        return f":envelope_with_arrow: *Round {n} offers go out* {_when(view.subject_at, view)}.{expiry}"
    if view.kind is ReminderKind.OFFERS_EXPIRE:
        head = f":hourglass_flowing_sand: *Round {n} offers expire* {_when(view.subject_at, view)}."
        if not view.unanswered:
            # The bot knows only the offers recorded here: with none left open it cannot tell "every
            # outcome recorded" from "nothing recorded", so it says what it knows and asks for the rest.
            return (f"{head} No offer of the round is recorded here as still unanswered. If R3 shows an outcome "
                    f"the war room has not recorded, record it: `/soap offer AAMC ID {n} "
                    "accepted|rejected|expired`.")
        shown = view.unanswered[:MAX_MENTIONS]
        more = len(view.unanswered) - len(shown)
        tail = f" and {more} more" if more > 0 else ""
        return (f"{head} Record the outcome (accepted, rejected, expired) of the {_offers(len(view.unanswered))} "
                f"still unanswered: {', '.join(shown)}{tail}. "
                f"`/soap offer <AAMC ID> {n} accepted|rejected|expired`.")
    return f"*{subject_label(view.kind, n)}* {_when(view.subject_at, view)}."


def _offers(count: int) -> str:
    return "offer" if count == 1 else f"{count} offers"


def votes_line(view: ReminderView) -> str | None:
    if view.kind in (ReminderKind.LOCK_WARNING, ReminderKind.DEADLINE_ALARM) or view.missing is None:
        return None
    if view.kind is ReminderKind.DEADLINE_LEAD and view.all_locked:
        return None  # the list is frozen: asking for votes now would only confuse
    if view.candidates_total == 0:
        return "No candidates are on the list yet."
    if not view.missing:
        return f":white_check_mark: Every committee member has voted on all {view.candidates_total} candidates."
    people = sorted(view.missing.items(), key=lambda item: (-item[1], item[0]))
    shown = [f"{mention(user)} ({count} of {view.candidates_total})" for user, count in people[:MAX_MENTIONS]]
    more = len(people) - len(shown)
    tail = f" and {more} more" if more > 0 else ""
    return clip(f"*Votes missing:* {', '.join(shown)}{tail}.", SECTION_LIMIT)


def late_line(view: ReminderView) -> str | None:
    if not view.late:
        return None
    return ":warning: This reminder is late: the bot was offline when it was due."


def missed_line(view: ReminderView) -> str | None:
    if not view.missed:
        return None
    items = [f"{subject_label(m.kind, m.round)} ({local_time(m.subject_at, view.tz)})"
             for m in view.missed[:MAX_MISSED_SHOWN]]
    more = len(view.missed) - len(items)
    tail = f" and {more} more" if more > 0 else ""
    return clip(":warning: While the bot was offline these reminders could not be sent in time: "
                + "; ".join(items) + tail + ".", SECTION_LIMIT)


def reminder_message(view: ReminderView) -> tuple[str, list[dict[str, Any]]]:
    """The reminder as (notification text, blocks)."""
    head = clip(headline(view), SECTION_LIMIT)
    votes = votes_line(view)
    notes = [line for line in (late_line(view), missed_line(view)) if line]
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text=head))]
    if votes:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=votes)))
    projected = clip("\n".join(view.next_offers), SECTION_LIMIT) if view.next_offers else ""
    if projected:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=projected)))
    unseen = unseen_reminder_line(view.unseen) if view.kind is ReminderKind.DEADLINE_LEAD else None
    if unseen:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=unseen)))
    for note in notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    text = "\n".join(line for line in (head, votes, projected, unseen, *notes) if line)
    return text, [block.to_dict() for block in blocks]
