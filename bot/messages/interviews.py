"""SOAP interviews: the thread posts, the card's lines, the queue, the scorecard modal, the reminder.

Pure builders over plain values (`InterviewLine`, `ScorecardLine`). Applicant names, outcome notes,
red flags and comments came from a file or a person: they go through `escape` (and `clip`, so a
section stays under Slack's 3,000 characters whatever was typed). People are shown with `mention`
only. Times are shown in the program's time zone (`format_local`), with a countdown where the
message is read at once (replies, the queue, the reminder) and without one where it stays on
screen (the card, the interview post in the thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain.cards import CardButton, CardSection
from bot.domain.interviews import (
    MAX_TEXT_CHARS,
    OPEN_STATES,
    SCORE_FIELDS,
    SCORE_MAX,
    SCORE_MIN,
    DeadlineWarning,
    InterviewLine,
    InterviewState,
    Queue,
    ScorecardField,
    ScorecardLine,
)
from bot.domain.preference_list import Vote
from bot.domain.soap_calendar import format_countdown
from bot.domain.when import format_local
from bot.messages.blocks import button_label
from bot.messages.ids import ActionId, BlockId, CallbackId
from bot.messages.mrkdwn import clip, escape, mention

SECTION_LIMIT = 2900  # a little under Slack's 3,000 so an escape is never cut
MAX_BLOCKS = 50
QUEUE_ITEMS_PER_GROUP = 14  # 3 groups x (header + 14 items) + notes stays under 50 blocks
NOTE_SHOWN = 300  # characters of an outcome note on the card


FIELD_ACTION = ActionId.FIELD.value


# --- small wording helpers ---------------------------------------------------------------------


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)))


def _who(line: InterviewLine) -> str:
    return f"*{escape(line.candidate_name)}* ({escape(line.aamc_id)})"


def duration(delta: timedelta) -> str:
    """`3 h 20 min`, `1 day 2 h`, `under a minute` (whole minutes, never negative)."""
    text = format_countdown(abs(delta))
    return "under a minute" if text == "now" else text.removeprefix("in ")


def _at(at: datetime, tz: ZoneInfo, now: datetime | None = None) -> str:
    shown = format_local(at, tz)
    return f"{shown} ({format_countdown(at - now)})" if now is not None else shown


def response_time(line: InterviewLine) -> str | None:
    """How long the applicant took to answer once reached (only after an unanswered first try)."""
    if line.reached_at is None:
        return None
    if line.first_contact_at is None or line.reached_at <= line.first_contact_at:
        return "reached at the first try"
    return f"answered {duration(line.reached_at - line.first_contact_at)} after the first try"


def recommendation_label(value: str) -> str:
    try:
        return Vote.parse(value).value
    except ValueError:
        return value


def status_line(line: InterviewLine, tz: ZoneInfo, now: datetime | None = None) -> str:
    """One line: where this interview stands (mrkdwn, escaped)."""
    state = line.state
    if state == InterviewState.PROPOSED:
        return (f":telephone_receiver: Interview proposed by {mention(line.proposed_by)} "
                f"{format_local(line.proposed_at, tz)}: *nobody has claimed it yet*.")
    who = mention(line.interviewer) if line.interviewer else "someone"
    if state == InterviewState.SCHEDULED:
        if line.scheduled_at is None:
            return f":telephone_receiver: {who} will interview; *time not set yet*."
        return f":calendar: {who} interviews on *{_at(line.scheduled_at, tz, now)}*."
    if state == InterviewState.UNREACHABLE:
        first = format_local(line.first_contact_at, tz) if line.first_contact_at else "?"
        return f":no_mobile_phones: {who} could not reach the applicant (first try {first}); still open."
    if state == InterviewState.DONE:
        when = format_local(line.reached_at, tz) if line.reached_at else ""
        answered = response_time(line)
        return (f":white_check_mark: Interviewed by {who}" + (f" {when}" if when else "")
                + (f"; {answered}" if answered else "") + ".")
    if state == InterviewState.DECLINED:
        return f":no_entry_sign: Interview declined (recorded by {who})."
    return f"Interview: {escape(state)}."


# --- the interview's post in the candidate's thread --------------------------------------------


# The Match Participation Agreement (DOMAIN.md §3): no statement or request about ranking or commitment.
NRMP_REMINDER = (":scales: NRMP forbids asking an applicant to commit (\"if we offer, will you accept?\"), "
                 "telling them how they are ranked, or asking where else they applied or how they will rank.")


def interview_post(line: InterviewLine, tz: ZoneInfo,
                   warning: DeadlineWarning | None = None) -> tuple[str, list[dict[str, Any]]]:
    """The interview's message in the thread (posted once, updated as it changes): status and next step."""
    blocks: list[Block] = [_section(f"Interview with {_who(line)}\n{status_line(line, tz)}")]
    if line.outcome_note:
        blocks.append(_section(f"> {escape(clip(line.outcome_note, 2000))}"))
    if warning is not None and line.state == InterviewState.SCHEDULED:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=warning_text(warning, tz))]))
    if line.state in (InterviewState.PROPOSED, InterviewState.SCHEDULED):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=NRMP_REMINDER)]))
    buttons = _next_buttons(line)
    if buttons:
        blocks.append(ActionsBlock(block_id=f"{BlockId.INTERVIEW}.{line.id}", elements=buttons))
    text = f"Interview with {escape(line.candidate_name)} ({escape(line.aamc_id)}): {line.state}"
    return text, [b.to_dict() for b in blocks]


def _next_buttons(line: InterviewLine) -> list[ButtonElement]:
    if line.state == InterviewState.PROPOSED:
        return [ButtonElement(text="Claim", action_id=ActionId.INTERVIEW_CLAIM.value, value=line.aamc_id,
                              style="primary", accessibility_label=button_label("Claim", line.candidate_name))]
    if line.state in (InterviewState.SCHEDULED, InterviewState.UNREACHABLE, InterviewState.DONE):
        return [ButtonElement(text="Scorecard", action_id=ActionId.SCORECARD_OPEN.value, value=line.aamc_id,
                          accessibility_label=button_label("Scorecard", line.candidate_name))]
    return []


def warning_text(warning: DeadlineWarning, tz: ZoneInfo) -> str:
    return (f":warning: This is after the round {warning.round} preference-list deadline "
            f"({format_local(warning.deadline_at, tz)}): what you hear cannot change the round "
            f"{warning.round} list.")


def event_reply(action: str, line: InterviewLine, actor: str, tz: ZoneInfo, now: datetime) -> str:
    """A short reply in the thread for a change (claimed, rescheduled, an outcome)."""
    who = mention(actor)
    if action == "proposed":
        return f"{who} proposed an interview with {_who(line)}."
    if action in ("claimed", "rescheduled"):
        verb = "will interview" if action == "claimed" else "moved the interview with"
        if line.scheduled_at is None:
            return f"{who} {verb} {_who(line)} (time not set yet)."
        return f"{who} {verb} {_who(line)} " + ("on " if action == "claimed" else "to ") + \
            f"{_at(line.scheduled_at, tz, now)}."
    if action == "done":
        answered = response_time(line)
        return f"{who} interviewed {_who(line)}" + (f" ({answered})" if answered else "") + \
            ". Scorecard: the button above or `/soap scorecard " + escape(line.aamc_id) + "`."
    if action == "unreachable":
        return f"{who} could not reach {_who(line)}; the first try is kept to time their answer."
    if action == "declined":
        return f"{who} recorded the interview with {_who(line)} as declined."
    return f"{who} changed the interview with {_who(line)}."


def event_post(action: str, line: InterviewLine, actor: str, tz: ZoneInfo, now: datetime,
               note: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    head = event_reply(action, line, actor, tz, now)
    blocks: list[Block] = [_section(head)]
    if note:
        blocks.append(_section(f"> {escape(clip(note, 2000))}"))
    return head, [b.to_dict() for b in blocks]


# --- answers to the person (ephemeral) ---------------------------------------------------------


def change_answer(action: str, line: InterviewLine, tz: ZoneInfo, now: datetime,
                  warning: DeadlineWarning | None = None, posted: bool = True) -> str:
    parts: list[str] = []
    if action == "proposed":
        parts.append(f"Interview with {_who(line)} proposed; a *Claim* button is in the candidate's thread.")
    elif action in ("claimed", "rescheduled"):
        if line.scheduled_at is None:
            parts.append(f"You will interview {_who(line)}. Set the time with "
                         f"`/soap interview {escape(line.aamc_id)} claim tomorrow 09:00`.")
        else:
            parts.append(f"You interview {_who(line)} on {_at(line.scheduled_at, tz, now)}. "
                         "You will be reminded in the candidate's thread 10 minutes before.")
    elif action == "done":
        parts.append(f"Interview with {_who(line)} recorded as done. Fill the scorecard: "
                     f"`/soap scorecard {escape(line.aamc_id)}`.")
    elif action == "unreachable":
        parts.append(f"Recorded: {_who(line)} not reached. Try again and record "
                     f"`/soap interview {escape(line.aamc_id)} done` once you talk.")
    elif action == "declined":
        parts.append(f"Interview with {_who(line)} recorded as declined.")
    if warning is not None:
        parts.append(warning_text(warning, tz))
    if not posted:
        parts.append(":warning: Saved, but Slack did not take the post in the candidate's thread; "
                     "the card shows the interview.")
    return "\n".join(parts)


# --- the card's section ------------------------------------------------------------------------


def card_lines(line: InterviewLine | None, scorecards: Sequence[ScorecardLine], tz: ZoneInfo) -> tuple[str, ...]:
    lines: list[str] = []
    if line is None:
        lines.append("No interview yet.")
    else:
        lines.append(status_line(line, tz))
        if line.outcome_note and line.state in (InterviewState.DONE, InterviewState.DECLINED,
                                                InterviewState.UNREACHABLE):
            lines.append(f"> {escape(clip(' '.join(line.outcome_note.split()), NOTE_SHOWN))}")
    if scorecards:
        lines.append(averages_line(scorecards))
        lines.append(recommendations_line(scorecards))
        flagged = sum(1 for s in scorecards if (s.red_flags or "").strip())
        if flagged:
            lines.append(f":warning: Red flags heard in {flagged} of {len(scorecards)} "
                         f"scorecard{'s' if len(scorecards) != 1 else ''} (see the thread).")
    return tuple(lines)


def averages_line(scorecards: Sequence[ScorecardLine]) -> str:
    n = len(scorecards)
    parts = []
    for _, attr, label in SCORE_FIELDS:
        average = sum(getattr(s, attr) for s in scorecards) / n
        parts.append(f"{label.split(' ')[0]} *{average:.1f}* of 5")
    what = "1 scorecard" if n == 1 else f"{n} scorecards, averages"
    return f"{what}: " + " · ".join(parts)


def recommendations_line(scorecards: Sequence[ScorecardLine]) -> str:
    counts: dict[str, int] = {}
    for s in scorecards:
        label = recommendation_label(s.recommendation)
        counts[label] = counts.get(label, 0) + 1
    order = [v.value for v in Vote]
    shown = sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))
    return "Recommendation: " + ", ".join(f"*{escape(label)}*" + (f" ({n})" if n > 1 else "")
                                          for label, n in shown)


# --- the queue (`/soap interviews`) ------------------------------------------------------------


def _queue_item(line: InterviewLine, tz: ZoneInfo, now: datetime, viewer: str, group: str) -> SectionBlock:
    head = _who(line)
    button: ButtonElement | None = None
    if group == "unclaimed":
        text = (f"{head}: proposed by {mention(line.proposed_by)} {format_local(line.proposed_at, tz)}, "
                f"waiting {duration(now - line.proposed_at)}")
        button = ButtonElement(text="Claim", action_id=ActionId.INTERVIEW_CLAIM.value, value=line.aamc_id,
                               style="primary", accessibility_label=button_label("Claim", line.candidate_name))
    elif group == "scheduled":
        who = mention(line.interviewer) if line.interviewer else "nobody"
        if line.state == InterviewState.UNREACHABLE:
            first = format_local(line.first_contact_at, tz) if line.first_contact_at else "?"
            text = f"{head}: {who}, *not reached yet* (first try {first})"
        elif line.scheduled_at is None:
            text = f"{head}: {who}, time not set"
        else:
            text = f"{head}: {who}, {_at(line.scheduled_at, tz, now)}"
        if line.interviewer == viewer:
            button = ButtonElement(text="Scorecard", action_id=ActionId.SCORECARD_OPEN.value, value=line.aamc_id,
                          accessibility_label=button_label("Scorecard", line.candidate_name))
    else:
        who = mention(line.interviewer) if line.interviewer else "someone"
        answered = response_time(line)
        card = "scorecard in" if line.scorecards else "*no scorecard yet*"
        text = f"{head}: by {who}" + (f", {answered}" if answered else "") + f"; {card}"
        if line.interviewer == viewer and not line.scorecards:
            button = ButtonElement(text="Scorecard", action_id=ActionId.SCORECARD_OPEN.value, value=line.aamc_id,
                          accessibility_label=button_label("Scorecard", line.candidate_name))
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT)), accessory=button)


def queue_message(queue: Queue, *, tz: ZoneInfo, now: datetime, viewer: str) -> tuple[str, list[dict[str, Any]]]:
    """The ephemeral interview queue: unclaimed (oldest first), scheduled, done today."""
    groups = (
        ("unclaimed", "Proposed, nobody has claimed them", queue.unclaimed),
        ("scheduled", "Scheduled", queue.scheduled),
        ("done", "Done today", queue.done_today),
    )
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Interviews"))]
    text_lines = ["Interviews"]
    for key, title, items in groups:
        blocks.append(_section(f"*{title}* ({len(items)})" + ("" if items else "\nnone")))
        text_lines.append(f"{title} ({len(items)})")
        for line in items[:QUEUE_ITEMS_PER_GROUP]:
            item = _queue_item(line, tz, now, viewer, key)
            blocks.append(item)
            text_lines.append(item.text.text if item.text else "")
        if len(items) > QUEUE_ITEMS_PER_GROUP:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(
                text=f"…and {len(items) - QUEUE_ITEMS_PER_GROUP} more.")]))
        blocks.append(DividerBlock())
    blocks.append(ContextBlock(elements=[MarkdownTextObject(
        text="`/soap interview <AAMC ID>` proposes · `… claim tomorrow 09:00` takes it · "
             "`… done|unreachable|declined [note]` records how it went · `/soap scorecard <AAMC ID>`")]))
    text = clip("\n".join(text_lines), 3900)
    return text, [b.to_dict() for b in blocks[:MAX_BLOCKS]]


# --- the scorecard modal -----------------------------------------------------------------------


def scorecard_modal(*, candidate_name: str, aamc_id: str, private_metadata: str,
                    initial: ScorecardLine | None = None) -> dict[str, Any]:
    """The scorecard modal (callback CallbackId.SCORECARD_MODAL); `initial` fills in a scorecard to correct."""

    def score(field: ScorecardField, label: str, value: int | None) -> InputBlock:
        return InputBlock(block_id=field.value, label=PlainTextObject(text=f"{label} (1–5)"),
                          element=NumberInputElement(action_id=FIELD_ACTION, is_decimal_allowed=False,
                                                     min_value=SCORE_MIN, max_value=SCORE_MAX,
                                                     initial_value=value))

    options = [Option(value=v.value, text=PlainTextObject(text=v.value.capitalize())) for v in Vote]
    chosen = None
    if initial is not None:
        chosen = next((o for o in options if o.value == recommendation_label(initial.recommendation)), None)
    blocks: list[Block] = [_section(
        f"Interview with *{escape(candidate_name)}* (AAMC ID {escape(aamc_id)}). 1 is poor, 5 is excellent. "
        "The summary is posted in the candidate's thread in the war room only; your recommendation counts "
        "as your vote unless you voted yourself.")]
    for field, attr, label in SCORE_FIELDS:
        blocks.append(score(field, label, getattr(initial, attr) if initial else None))
    blocks.append(InputBlock(block_id=ScorecardField.RED_FLAGS.value, label=PlainTextObject(text="Red flags heard"),
                             optional=True, element=PlainTextInputElement(
                                 action_id=FIELD_ACTION, multiline=True, max_length=MAX_TEXT_CHARS,
                                 initial_value=(initial.red_flags or None) if initial else None,
                                 placeholder=PlainTextObject(text="Anything that worried you; leave empty if none"))))
    blocks.append(InputBlock(block_id=ScorecardField.RECOMMENDATION.value,
                             label=PlainTextObject(text="Recommendation"),
                             element=StaticSelectElement(action_id=FIELD_ACTION, options=options,
                                                         initial_option=chosen,
                                                         placeholder=PlainTextObject(text="Your vote"))))
    blocks.append(InputBlock(block_id=ScorecardField.COMMENT.value, label=PlainTextObject(text="Comment"),
                             optional=True, hint=PlainTextObject(
                                 text="Record what you heard; never promises about ranking."),
                             element=PlainTextInputElement(
                                 action_id=FIELD_ACTION, multiline=True, max_length=MAX_TEXT_CHARS,
                                 initial_value=(initial.comment or None) if initial else None)))
    return {
        "type": "modal",
        "callback_id": CallbackId.SCORECARD_MODAL.value,
        "title": {"type": "plain_text", "text": "Interview scorecard"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": private_metadata,
        "blocks": [b.to_dict() for b in blocks],
    }


def read_scorecard(values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[ScorecardField, str | None]:
    """What was typed in the modal (`view.state.values`), as raw text per field (None when empty)."""
    out: dict[ScorecardField, str | None] = {}
    for field in ScorecardField:
        state = (values.get(field.value) or {}).get(FIELD_ACTION) or {}
        option = state.get("selected_option")
        raw = option.get("value") if isinstance(option, dict) else state.get("value")
        out[field] = str(raw) if raw not in (None, "") else None
    return out


def scorecard_post(card: ScorecardLine, *, candidate_name: str, aamc_id: str,
                   updated: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The short summary posted in the thread."""
    scores = " · ".join(f"{label} *{getattr(card, attr)}*" for _, attr, label in SCORE_FIELDS)
    verb = "updated the scorecard" if updated else "filed a scorecard"
    head = (f":clipboard: {mention(card.author)} {verb} for *{escape(candidate_name)}* ({escape(aamc_id)}): "
            f"recommends *{escape(recommendation_label(card.recommendation))}*")
    blocks: list[Block] = [_section(head), _section(scores)]
    if (card.red_flags or "").strip():
        blocks.append(_section(f":warning: *Red flags heard:* {escape(clip(card.red_flags or '', 2500))}"))
    if (card.comment or "").strip():
        blocks.append(_section(f"> {escape(clip(card.comment or '', 2500))}"))
    text = (f"{mention(card.author)} {verb} for {escape(candidate_name)}: recommends "
            f"{escape(recommendation_label(card.recommendation))}")
    return text, [b.to_dict() for b in blocks]


def scorecard_answer(*, candidate_name: str, aamc_id: str, recommendation: str, vote_recorded: bool,
                     own_vote: str | None, posted: bool) -> str:
    parts = [f"Scorecard for *{escape(candidate_name)}* ({escape(aamc_id)}) saved."]
    if vote_recorded:
        parts.append(f"Your recommendation (*{escape(recommendation_label(recommendation))}*) counts as your vote.")
    elif own_vote is not None:
        parts.append(f"Your own vote (*{escape(recommendation_label(own_vote))}*) stays as you cast it; the "
                     "recommendation is on the scorecard.")
    if not posted:
        parts.append(":warning: Slack did not take the summary in the candidate's thread; the card shows it.")
    return " ".join(parts)


# --- the reminder ------------------------------------------------------------------------------


def reminder_post(line: InterviewLine, *, tz: ZoneInfo, now: datetime,
                  late: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The interviewer's reminder, in the candidate's thread (never a DM)."""
    assert line.scheduled_at is not None
    head = (f":alarm_clock: {mention(line.interviewer or '')}: interview with {_who(line)} "
            f"{_at(line.scheduled_at, tz, now)}.")
    blocks: list[Block] = [
        _section(head),
        ContextBlock(elements=[MarkdownTextObject(
            text=f"Afterwards: `/soap interview {escape(line.aamc_id)} done` (or `unreachable`) and the scorecard. "
                 "Never promise or ask about ranking.")]),
        ActionsBlock(block_id=f"{BlockId.INTERVIEW_REMINDER}.{line.id}", elements=[
            ButtonElement(text="Scorecard", action_id=ActionId.SCORECARD_OPEN.value, value=line.aamc_id,
                          accessibility_label=button_label("Scorecard", line.candidate_name))]),
    ]
    if late:
        blocks.insert(1, ContextBlock(elements=[MarkdownTextObject(
            text=":warning: This reminder is late: the bot was offline when it was due.")]))
    return head, [b.to_dict() for b in blocks]


def card_section(aamc_id: str, line: InterviewLine | None, scorecards: Sequence[ScorecardLine],
                 tz: ZoneInfo) -> CardSection:
    """The card's Interview section: where the interview stands, its scorecards, and the button that
    comes next (propose, claim, fill in a scorecard)."""
    buttons: list[CardButton] = []
    if line is None or line.state not in OPEN_STATES:
        buttons.append(CardButton(ActionId.INTERVIEW_PROPOSE.value, "Interview", aamc_id))
    elif line.state == InterviewState.PROPOSED:
        buttons.append(CardButton(ActionId.INTERVIEW_CLAIM.value, "Claim interview", aamc_id, "primary"))
    if line is not None and line.interviewer and line.state != InterviewState.DECLINED:
        buttons.append(CardButton(ActionId.SCORECARD_OPEN.value, "Scorecard", aamc_id))
    return CardSection(title="Interview", lines=card_lines(line, scorecards, tz), buttons=tuple(buttons))
