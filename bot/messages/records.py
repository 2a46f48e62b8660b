"""Builders for the audit trail and the purge confirmation modal."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.audit import AuditLine
from bot.messages.blocks import sections
from bot.messages.ids import ActionId, BlockId, CallbackId
from bot.messages.mrkdwn import clip, escape, mention

CONFIRM_BLOCK = BlockId.PURGE_CONFIRM.value
CONFIRM_ACTION = ActionId.PURGE_PROGRAM_NAME.value
REPORT_FIRST = ("*Download the report before purging.* The chair's report is the one record of the week the "
                "program keeps: positions per code, each round's list and offers, the accepted applicants "
                "(name, AAMC ID) as CSV for onboarding, the committee's work. *Post the report* (or `/soap "
                "report`) puts it in the war room: download both files, as the purge deletes every bot post. "
                "`soapbot report` writes it too; `soapbot export` writes the full archive, if the program keeps one.")


def _plain(value: Any) -> str:
    """A recorded value as a person reads it: lists joined, no quotes or braces."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{str(key).replace('_', ' ')}: {_plain(item)}" for key, item in value.items())
    return str(value)


def _values(data: dict[str, Any] | None) -> str:
    if not data:
        return "–"
    return escape(clip(_plain(data), 180))


def _actor(actor: str) -> str:
    """A person as Slack shows them; the app's own writes as what did them. A clock process records its
    `host:process:random` name; the committee needs only that the clock did it, on which host."""
    if actor == "bot":
        return "the bot"
    if actor == "clock":
        return "the clock"
    if actor.count(":") == 2:
        return f"the clock on {escape(actor.split(':', 1)[0])}"
    return mention(actor)


def _target(target: str | None) -> str:
    """`user:U…` as the person (Slack shows their name); other targets as recorded (`candidate:<AAMC ID>`)."""
    kind, _, key = (target or "").partition(":")
    if kind == "user" and key:
        return mention(key)
    return escape(target or "")


def audit_blocks(events: list[AuditLine], tz: ZoneInfo, what: str) -> list[dict[str, Any]]:
    lines = [f"*Audit trail* ({escape(what)}, newest first, {len(events)} shown)"]
    for event in events:
        when = event.at.astimezone(tz).strftime("%a %d %b %H:%M")
        lines.append(f"• {when} {_actor(event.actor)} `{escape(event.action)}` {_target(event.target)}: "
                     f"{_values(event.before)} → {_values(event.after)}")
    if len(events) == 0:
        lines.append("Nothing recorded yet.")
    return [b.to_dict() for b in sections(lines)[:50]]


def purge_modal(program_name: str, what_goes: list[str], metadata: str) -> dict[str, Any]:
    view = View(
        type="modal", callback_id=CallbackId.PURGE_MODAL.value, private_metadata=metadata,
        title=PlainTextObject(text="Purge applicant data"), submit=PlainTextObject(text="Delete for good"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            HeaderBlock(text=PlainTextObject(text=clip(f"Purge {program_name}", 150))),
            SectionBlock(
                text=MarkdownTextObject(text=REPORT_FIRST),
                accessory=ButtonElement(text="Post the report", action_id=ActionId.REPORT_POST.value,
                                        value="report", style="primary")),
            SectionBlock(text=MarkdownTextObject(text=clip(
                "This deletes, for good:\n" + "\n".join(f"• {escape(line)}" for line in what_goes)
                + "\n\nKept: the program, its committee, calendar and positions, who did what when (without "
                "applicant names or IDs), and anonymous counts.", 3000))),
            InputBlock(block_id=CONFIRM_BLOCK, label=PlainTextObject(text="Type the program's name to confirm"),
                       element=PlainTextInputElement(action_id=CONFIRM_ACTION, max_length=200)),
            ContextBlock(elements=[MarkdownTextObject(text="Only directors can purge. This cannot be undone.")]),
        ],
    )
    return view.to_dict()


def purge_report(program_name: str, purged: str, slack_lines: list[str]) -> str:
    """What a purge did, for the director who ran it (no applicant data: counts only)."""
    return clip("\n".join([f":wastebasket: Purged the applicant data of *{escape(program_name)}*: {escape(purged)}. "
                            "Anonymous counts are kept.", *(escape(line) for line in slack_lines)]), 3000)
