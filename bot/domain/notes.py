"""Reference notes' rules, as plain values: how long a note and its fields may be, the sentiment
scale a caller's opinion is recorded on, and one stored note as the builders see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_NOTE_CHARS = 3000  # what the modal and `/soap ref` accept
MAX_FIELD_CHARS = 200  # who was called, institution, role, relationship (the columns' size)
NOTES_PER_PAGE = 8  # `/soap notes <id>`


class NoteField(StrEnum):
    """A note's fields, as a caller's account is written down. The values key the field errors the
    note rules give, and are the modal's input block ids (`bot.messages.notes`)."""

    CALLED_NAME = "note.called_name"
    INSTITUTION = "note.institution"
    ROLE = "note.role"
    RELATIONSHIP = "note.relationship"
    SENTIMENT = "note.sentiment"
    TEXT = "note.text"


class NoteSource(StrEnum):
    """Where a note came from: typed in `/soap ref`, in the modal, as a reply in the candidate's thread,
    or carried from the pre-SOAP plan."""

    COMMAND = "command"
    MODAL = "modal"
    THREAD = "thread"
    PLAN = "plan"


class PostState(StrEnum):
    """Where posting a note stands. A thread reply is already in Slack (`NONE`); any other note is
    stored `PENDING` before it is posted, then `POSTED`, or `FAILED` for the clock to retry."""

    NONE = "none"
    PENDING = "pending"
    POSTED = "posted"
    FAILED = "failed"


class Sentiment(StrEnum):
    STRONG_ADVOCATE = "strong_advocate"
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    CONCERN = "concern"
    ADVISES_AGAINST = "advises_against"


@dataclass(frozen=True)
class NoteLine:
    """One stored note, as the builders need it."""

    id: int
    author: str
    source: NoteSource
    text: str
    created_at: datetime
    sentiment: str | None = None
    called_name: str | None = None
    institution: str | None = None
    role: str | None = None
    relationship: str | None = None
    edited: bool = False
