"""The candidate card: one screen with what the committee scans in 10–20 seconds.

Pure: `candidate_card_blocks(facts)` turns plain values (`CardFacts`, built by
`bot.services.candidate_cards`) into Block Kit. Every text that came from the file or a person is
escaped here; every block stays within Slack's limits whatever the data (long names, 40 flags,
many feature sections): fields are clipped, lists are cut with "+N more", and the card never has
more than 50 blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.cards import CardFacts, CardSection
from bot.domain.program_codes import parse_track
from bot.domain.wording import plural
from bot.messages.blocks import button_label
from bot.messages.ids import ActionId, BlockId
from bot.messages.mrkdwn import clip, escape, mention

MAX_BLOCKS = 50
SECTION_TEXT = 3000
FIELD_TEXT = 2000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
MAX_BUTTONS = 25
MAX_LIST_ITEMS = 12

BUCKET_EMOJI = {"internal": ":house:", "interviewed": ":handshake:", "strong paper": ":page_facing_up:",
                "backup": ":large_yellow_circle:", "do not rank": ":no_entry_sign:"}
RISK_EMOJI = {"low": ":large_green_circle:", "elevated": ":large_orange_circle:", "high": ":red_circle:"}


def _list(items: Sequence[str], empty: str, limit: int = MAX_LIST_ITEMS) -> str:
    if not items:
        return empty
    shown = [escape(item) for item in items[:limit]]
    more = f" +{len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def _field(title: str, body: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(f"*{title}*\n{body}", FIELD_TEXT))


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT)))


def card_text(facts: CardFacts) -> str:
    """The notification / fallback text (escaped)."""
    bucket = facts.effective_bucket or "not triaged"
    return clip(f"{escape(facts.name)} ({escape(facts.aamc_id)}): {escape(bucket)}", 300)


NOT_IN_EXPORT = "not in the export"


def _missing(facts: CardFacts, what: str) -> bool:
    return any(item == what for item, _ in facts.not_in_export)


def _exams(facts: CardFacts) -> str:
    if not facts.exams:
        return NOT_IN_EXPORT if _missing(facts, "exam results") else "none on file"
    lines = []
    for exam in facts.exams[:MAX_LIST_ITEMS]:
        extra = []
        if exam.attempts > 1:
            extra.append(plural(exam.attempts, "attempt"))
        if exam.failures:
            extra.append(f"*{plural(exam.failures, 'failure')}*")
        lines.append(f"{escape(exam.name)}: {escape(exam.result)}" + (f" ({', '.join(extra)})" if extra else ""))
    head = (f"*{plural(facts.exam_failures, 'failure')}* in {plural(facts.exam_attempts, 'attempt')}"
            if facts.exam_failures else "no failures")
    return head + "\n" + "\n".join(lines)


def _graduation(facts: CardFacts) -> str:
    if facts.graduation_year is None:
        return NOT_IN_EXPORT if _missing(facts, "graduation date") else "not on file"
    out = "" if facts.years_out is None else f" ({plural(facts.years_out, 'year')} out)"
    clinical = []
    if facts.recent_clinical_months is not None:
        clinical.append(f"{facts.recent_clinical_months} mo recent clinical")
    if facts.us_clinical_months is not None:
        clinical.append(f"{facts.us_clinical_months} mo US clinical")
    return f"{facts.graduation_year}{out}" + ("\n" + ", ".join(clinical) if clinical else "")


def _school(facts: CardFacts) -> str:
    kind = " · ".join(escape(x) for x in (facts.degree_type or "school type not in the export", facts.degree) if x)
    where = f" ({escape(facts.school_location)})" if facts.school_location else ""
    school = escape(facts.school) if facts.school else "school not on file"
    also = f"\nalso: {_list(facts.other_schools, '', limit=3)}" if facts.other_schools else ""
    honors = f"\n:medal: {_list(facts.honors, '', limit=4)}" if facts.honors else ""
    return f"{school}{where}" + (f"\n{kind}" if kind else "") + also + honors


def _contact(facts: CardFacts) -> str:
    lines = [f":telephone_receiver: {escape(phone)}" for phone in facts.phones[:3]]
    if facts.email:
        lines.append(f":email: {escape(facts.email)}")
    return "\n".join(lines) or NOT_IN_EXPORT


def _track(value: str) -> str:
    """One track with its NRMP program code (../shared/DOMAIN.md §2): `Internal Medicine · Categorical `1234140C0``."""
    code = parse_track(value)
    if code is None:
        return escape(value)
    name = " · ".join(escape(part) for part in (code.specialty, code.label) if part)
    return f"{name} `{escape(code.code)}`"


def _tracks(facts: CardFacts) -> str:
    lines = [_track(value) for value in facts.tracks[:MAX_LIST_ITEMS]] or ["not stated"]
    if len(facts.tracks) > MAX_LIST_ITEMS:
        lines.append(f"+{len(facts.tracks) - MAX_LIST_ITEMS} more")
    considered = [t for t in facts.tracks_considered if t not in facts.tracks]
    if considered:
        lines.append("considered by us: " + ", ".join(_track(t) for t in considered[:4]))
    if facts.soap_status:
        lines.append(f"SOAP status: {escape(facts.soap_status)}")
    return "\n".join(lines)


def _red_flags(facts: CardFacts) -> str:
    lines = []
    if facts.red_flags:
        lines.append(":warning: " + _list(facts.red_flags, ""))
    if facts.screened:
        lines.append("screened: " + _list(facts.screened, ""))
    if lines:
        return "\n".join(lines)
    return NOT_IN_EXPORT if _missing(facts, "red-flag answers") else "none"


def _visa(facts: CardFacts) -> str:
    if facts.visa_ok is None and _missing(facts, "visa status"):
        return NOT_IN_EXPORT
    mark = {True: ":white_check_mark: ", False: ":x: ", None: ""}[facts.visa_ok]
    return mark + escape(facts.visa)


def _ties(facts: CardFacts) -> str:
    if facts.ties:
        return _list(facts.ties, "")
    if not facts.home_states:
        return "no home states set (`/soap policy set home_states=OH,PA`)"
    if _missing(facts, "state (permanent, contact or school)"):
        return NOT_IN_EXPORT
    return "none to " + ", ".join(escape(s) for s in facts.home_states[:MAX_LIST_ITEMS])


def _triage(facts: CardFacts, zone: ZoneInfo) -> str:
    bucket = facts.effective_bucket
    if bucket is None:
        return "*Triage:* not triaged yet"
    risk = facts.risk or "unknown"
    head = (f"*Triage:* {BUCKET_EMOJI.get(bucket, '')} *{escape(bucket)}* · risk "
            f"{RISK_EMOJI.get(risk, '')} *{escape(risk)}*")
    lines = [head]
    if facts.override:
        when = f" on {facts.override.at.astimezone(zone):%b %-d, %-I:%M %p}" if facts.override.at else ""
        lines.append(f":pushpin: Override by {mention(facts.override.by)}{when}: “{escape(facts.override.reason)}”"
                     f" (computed: {escape(facts.bucket or 'none')})")
    label = "Deal-breakers" if facts.bucket == "do not rank" else "Why"
    if facts.reasons:
        lines.append(f"{label}: " + _list(facts.reasons, ""))
    if facts.risk_reasons:
        lines.append("Risk: " + _list(facts.risk_reasons, ""))
    if facts.offsets:
        lines.append("Offsets: " + _list(facts.offsets, ""))
    if facts.not_in_export:
        lines.append("Not in the export: "
                     + "; ".join(f"{escape(what)} ({escape(rule)} off)" for what, rule in facts.not_in_export))
    return "\n".join(lines)


def _buttons(section: CardSection, index: int, name: str) -> ActionsBlock | None:
    elements: list[ButtonElement] = []
    seen: set[str] = set()
    for button in section.buttons:
        if button.action_id in seen or len(elements) >= MAX_BUTTONS:
            continue
        seen.add(button.action_id)
        elements.append(ButtonElement(text=clip(button.text, BUTTON_TEXT), action_id=button.action_id[:255],
                                      value=button.value[:BUTTON_VALUE], style=button.style,
                                      accessibility_label=button_label(button.text, name)))
    if not elements:
        return None
    return ActionsBlock(block_id=f"{BlockId.CARD_SECTION}.{index}", elements=elements)


def candidate_card_blocks(facts: CardFacts) -> list[dict[str, Any]]:
    """The card's blocks (≤ 50), for chat.postMessage / chat.update."""
    zone = ZoneInfo(facts.timezone)
    blocks: list[Block] = [
        _section(f":bust_in_silhouette: *{escape(facts.name)}*  ·  AAMC ID `{escape(facts.aamc_id)}`"),
        SectionBlock(fields=[
            _field("School", _school(facts)),
            _field("Graduated", _graduation(facts)),
            _field("Exams", _exams(facts)),
            _field("Visa", _visa(facts)),
            _field("Red flags", _red_flags(facts)),
            _field("Ties to the region", _ties(facts)),
            _field("Known to us", _list(facts.connections, "no known connection")),
            _field("Tracks", _tracks(facts)),
            _field("Contact", _contact(facts)),
        ]),
        _section(_triage(facts, zone)),
    ]
    tail = [ActionsBlock(block_id=BlockId.CARD_CORE.value, elements=[
        ButtonElement(text="Refresh card", action_id=ActionId.CARD_REFRESH.value, value=str(facts.candidate_id),
                      accessibility_label=button_label("Refresh card", facts.name))])]
    room = MAX_BLOCKS - len(blocks) - len(tail) - 1  # keep one for "more sections" note
    skipped = 0
    for index, section in enumerate(facts.sections):
        part: list[Block] = [DividerBlock()]
        title = f"*{escape(section.title)}*"
        body = "\n".join(section.lines)  # providers return escaped mrkdwn
        part.append(_section(title + ("\n" + body if body else "")))
        actions = _buttons(section, index, facts.name)
        if actions is not None:
            part.append(actions)
        if len(part) > room:
            skipped += 1
            continue
        blocks.extend(part)
        room -= len(part)
    if skipped:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"{plural(skipped, 'more section')} not shown: Slack allows 50 blocks per message.")]))
    blocks.extend(tail)
    return [block.to_dict() for block in blocks[:MAX_BLOCKS]]


def card_pointer_text(asked_by: str, permalink: str | None) -> str:
    """The thread's answer to a repeated `/soap candidate`: where the (refreshed) card is, not a copy of it."""
    where = f"<{permalink}|the card at the top of this thread>" if permalink else "the card at the top of this thread"
    return f":arrow_up: {mention(asked_by)} asked for this candidate again: {where} is up to date."
