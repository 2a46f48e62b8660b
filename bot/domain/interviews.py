"""SOAP interviews as plain values: where an interview stands.

An interview is proposed, claimed by an interviewer with a time (scheduled), then done, or the
applicant could not be reached, or declined. Proposed, scheduled and unreachable are still open: the
queue shows them and only one open interview per candidate exists at a time."""

from __future__ import annotations

from enum import StrEnum


class InterviewState(StrEnum):
    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    DONE = "done"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


OPEN_STATES = (InterviewState.PROPOSED, InterviewState.SCHEDULED, InterviewState.UNREACHABLE)
