"""SOAP interviews as plain values: where an interview stands.

An interview is proposed, claimed by an interviewer with a time (scheduled), then done, or the
applicant could not be reached, or declined. Proposed, scheduled and unreachable are still open: the
queue shows them and only one open interview per candidate exists at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class InterviewState(StrEnum):
    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    DONE = "done"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


OPEN_STATES = (InterviewState.PROPOSED, InterviewState.SCHEDULED, InterviewState.UNREACHABLE)
MAX_TEXT_CHARS = 3000  # outcome note, red flags, comment
SCORE_MIN, SCORE_MAX = 1, 5


class ScorecardField(StrEnum):
    """A scorecard's fields, as the interviewer fills them in. The values key the field errors the
    scorecard rules give, and are the modal's input block ids (`bot.messages.interviews`)."""

    CLINICAL = "scorecard.clinical"
    COMMUNICATION = "scorecard.communication"
    RELIABILITY = "scorecard.reliability"
    FIT = "scorecard.fit"
    RED_FLAGS = "scorecard.red_flags"
    RECOMMENDATION = "scorecard.recommendation"
    COMMENT = "scorecard.comment"


SCORE_FIELDS: tuple[tuple[ScorecardField, str, str], ...] = (
    (ScorecardField.CLINICAL, "clinical", "Clinical readiness"),
    (ScorecardField.COMMUNICATION, "communication", "Communication"),
    (ScorecardField.RELIABILITY, "reliability", "Reliability"),
    (ScorecardField.FIT, "fit", "Fit with the program"),
)


@dataclass(frozen=True)
class InterviewLine:
    """One interview, as the builders need it."""

    id: int
    aamc_id: str
    candidate_name: str
    state: InterviewState
    proposed_by: str
    proposed_at: datetime
    interviewer: str | None = None
    scheduled_at: datetime | None = None
    first_contact_at: datetime | None = None
    reached_at: datetime | None = None
    outcome_note: str | None = None
    scorecards: int = 0


@dataclass(frozen=True)
class ScorecardLine:
    author: str
    clinical: int
    communication: int
    reliability: int
    fit: int
    recommendation: str
    red_flags: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class DeadlineWarning:
    round: int
    deadline_at: datetime


@dataclass(frozen=True)
class Queue:
    unclaimed: tuple[InterviewLine, ...]
    scheduled: tuple[InterviewLine, ...]
    done_today: tuple[InterviewLine, ...]
