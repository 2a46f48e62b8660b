"""What the bot put in Slack, as the purge needs to find it again: a message (by its ts) or an
uploaded file (by its id)."""

from __future__ import annotations

from enum import StrEnum


class PostKind(StrEnum):
    MESSAGE = "message"
    FILE = "file"
