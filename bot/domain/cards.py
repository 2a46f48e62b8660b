"""What a feature adds to a candidate card: a titled section of lines and buttons, as plain values.

Features (notes, votes, interviews, offers) compute their section; the card builder
(`bot.messages.candidate_card`) draws it. Lines are already-escaped mrkdwn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.triage import Bucket, Risk, effective_bucket


@dataclass(frozen=True)
class CardButton:
    action_id: str
    text: str
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class CardSection:
    title: str
    lines: tuple[str, ...] = ()
    buttons: tuple[CardButton, ...] = ()


@dataclass(frozen=True)
class CardViewer:
    """Who will see the card: the channel sees it, so `is_director` only matters for ephemeral cards."""

    user_id: str | None = None
    is_director: bool = False


# The pace of the clock's `cards.redraw` (cards a re-import changed): 15 cards every 20 s, 45 a
# minute, under chat.update's rate tier.
REDRAW_PER_RUN = 15
REDRAW_EVERY_SECONDS = 20


def redraw_minutes(cards: int) -> int:
    """How many minutes the clock takes to redraw `cards` stale cards (at least 1)."""
    per_minute = REDRAW_PER_RUN * 60 // REDRAW_EVERY_SECONDS
    return max(1, -(-cards // per_minute))


# --- the card itself: everything it shows, as plain values (bot.services.candidate_cards fills them) ---


@dataclass(frozen=True)
class ExamLine:
    name: str
    result: str  # "Pass", "Fail", "238", "Fail, then Pass"…
    attempts: int
    failures: int


@dataclass(frozen=True)
class Override:
    bucket: Bucket
    by: str
    at: datetime | None
    reason: str


@dataclass(frozen=True)
class CardFacts:
    """Everything a card shows, as plain values (raw text: the builder escapes)."""

    candidate_id: int
    aamc_id: str
    name: str
    school: str | None
    school_location: str | None
    degree_type: str | None
    degree: str | None
    graduation_year: int | None
    years_out: int | None
    timezone: str  # the program's (`SOAP_TIMEZONE` when it was set up)
    exams: tuple[ExamLine, ...] = ()
    exam_failures: int = 0
    exam_attempts: int = 0
    visa: str = "not stated"
    visa_ok: bool | None = None
    red_flags: tuple[str, ...] = ()
    ties: tuple[str, ...] = ()
    home_states: tuple[str, ...] = ()
    connections: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    """Raw ERAS track values that count for the lists (`Internal Medicine|1234140C0 (Categorical)`)."""
    tracks_considered: tuple[str, ...] = ()
    soap_status: str | None = None
    email: str | None = None
    phones: tuple[str, ...] = ()
    other_schools: tuple[str, ...] = ()
    honors: tuple[str, ...] = ()
    screened: tuple[str, ...] = ()
    """Red flags the export answered `Screened`, in a PD's words."""
    not_in_export: tuple[tuple[str, str], ...] = ()
    """(what, rule) for each triage rule that had nothing to read: ("graduation date", "years-since-…")."""
    us_clinical_months: int | None = None
    recent_clinical_months: int | None = None
    bucket: Bucket | None = None
    risk: Risk | None = None
    reasons: tuple[str, ...] = ()
    risk_reasons: tuple[str, ...] = ()
    offsets: tuple[str, ...] = ()
    override: Override | None = None
    sections: tuple[CardSection, ...] = field(default_factory=tuple)

    @property
    def effective_bucket(self) -> Bucket | None:
        return effective_bucket(self.bucket, self.override.bucket if self.override else None)
