"""Small Block Kit pieces every builder uses, clipped to Slack's limits.

Slack refuses a section whose text is over 3,000 characters; builders stay a little under it
(`SECTION_TEXT`) so an ellipsis never lands inside an escape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.messages.mrkdwn import clip

SLACK_SECTION_TEXT = 3000
SECTION_TEXT = 2900
ACCESSIBILITY_LABEL = 75  # Slack's limit for a button's accessibility_label
LABEL_BRACKETS = str.maketrans("<>", "‹›")


def view_metadata(program_id: int, **extra: Any) -> str:
    """private_metadata for a modal or home view (Slack allows 3,000 characters)."""
    return json.dumps({"program": program_id, **extra}, separators=(",", ":"))


def button_label(action: str, name: str) -> str:
    """A screen reader's label for a button that repeats on every applicant's row ("Rank high: Núñez, Sofía"):
    the visible text alone would read 80 identical "Rank" buttons. Plain text that Slack never parses, yet angle
    brackets become ‹ › so that no payload carries anything shaped like `<!channel>` (nor would a reader say it)."""
    return clip(f"{action}: {name}".translate(LABEL_BRACKETS), ACCESSIBILITY_LABEL)


def section(text: str, limit: int = SECTION_TEXT) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, limit)))


def context(text: str, limit: int = SECTION_TEXT) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, limit))])


def chunks(lines: Sequence[str], limit: int = SECTION_TEXT) -> list[str]:
    """`lines` joined into as few texts of at most `limit` characters as they fit in."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = clip(line, limit)
        if current and size + len(line) > limit:
            out.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        out.append("\n".join(current))
    return out


def sections(lines: Sequence[str], limit: int = SECTION_TEXT) -> list[SectionBlock]:
    return [section(text, limit) for text in chunks(lines, limit)]
