"""What the bot put in Slack, as the purge needs to find it again: a message (by its ts) or an
uploaded file (by its id); and a message on its way (its intent, by its marker: the gateway's outbox)."""

from __future__ import annotations

from enum import StrEnum


class PostKind(StrEnum):
    INTENT = "intent"  # stored before Slack is asked; becomes a message once its ts is known
    MESSAGE = "message"
    FILE = "file"
