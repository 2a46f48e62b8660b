"""The help message, built from the router's registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.domain.thread_replies import RULE as THREAD_NOTE_RULE
from bot.messages.blocks import sections
from bot.messages.mrkdwn import clip


@dataclass(frozen=True)
class HelpEntry:
    usage: str
    summary: str
    name: str = ""


def help_index_text(names: list[str], command: str = "/soap") -> str:
    """What a bare `/soap` answers: the subcommands' names, and how to get more."""
    listed = ", ".join(f"`{name}`" for name in names)
    return (f"SOAP War Room: `{command} <command> …`, where the command is one of {listed}.\n"
            f"`{command} help <command>` explains one (`{command} help vote`); `{command} help` lists them all.")


def help_one_text(entry: HelpEntry, aliases: tuple[str, ...] = ()) -> str:
    """`/soap help vote`: that command alone."""
    also = f"\nAlso typed as: {', '.join(f'`{alias}`' for alias in aliases)}." if aliases else ""
    return f"`{entry.usage}`\n{entry.summary}{also}"


def help_text(entries: list[HelpEntry]) -> str:
    return ("SOAP War Room commands:\n" + "\n".join(f"`{e.usage}`: {e.summary}" for e in entries)
            + f"\n{THREAD_NOTE_RULE}")


def help_blocks(entries: list[HelpEntry], problem: str | None = None) -> list[dict[str, Any]]:
    blocks: list[Any] = []
    if problem:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":warning: {problem}")))
    # Several sections so the help stays under Slack's 3,000 characters per section.
    blocks.extend(sections([f"`{e.usage}`\n{e.summary}" for e in entries]))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(
        f"{THREAD_NOTE_RULE}\nOnly you can see this. Applicant data stays in the war-room channel.", 2000))]))
    return [block.to_dict() for block in blocks[:50]]
