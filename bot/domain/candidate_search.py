"""Finding candidates, as plain values: a reference to one candidate, `/soap find`'s parsed filters
and a page of what they found (the candidates service fills them; the builders draw them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.candidates import ExamResult


@dataclass(frozen=True)
class CandidateRef:
    id: int
    aamc_id: str
    name: str
    bucket: str | None = None


@dataclass(frozen=True)
class ScoreFilter:
    """One exam condition: a score comparison (`step2>=240`) or a result (`step1:pass`)."""

    exam: str
    op: str
    score: int | None = None
    passed: bool | None = None

    def describe(self) -> str:
        if self.passed is not None:
            return f"{self.exam} {'passed' if self.passed else 'failed at least once'}"
        return f"{self.exam} {self.op} {self.score}"

    def holds(self, exams: Mapping[str, Any]) -> bool:
        """Whether a profile's `exams` (as stored: exam name → {score, passed, …}) meet the condition.
        An applicant without that exam never matches."""
        raw = exams.get(self.exam)
        if not isinstance(raw, Mapping):
            return False
        try:
            result = ExamResult.model_validate(raw)
        except ValueError:
            return False
        if self.passed is True:
            return result.passed is True or (result.passed is None and result.score is not None)
        if self.passed is False:
            return result.failure_count > 0
        if result.score is None or self.score is None:
            return False
        return _COMPARE[self.op](result.score, self.score)


_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "=": lambda a, b: a == b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, "<": lambda a, b: a < b,
}


@dataclass(frozen=True)
class FindFilters:
    """Parsed `/soap find` words (pure)."""

    visa: bool | None = None
    fails: tuple[str, int] | None = None
    grad: tuple[str, int] | None = None
    degree_types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    tracks: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    scores: tuple[ScoreFilter, ...] = ()
    voted: bool | None = None
    """Whether the member asking has voted on the candidate (`voted:no`: not yet)."""

    def describe(self) -> str:
        parts: list[str] = [score.describe() for score in self.scores]
        if self.visa is not None:
            parts.append("needs a visa" if self.visa else "no visa needed")
        if self.fails:
            parts.append(f"exam failures {self.fails[0]} {self.fails[1]}")
        if self.grad:
            parts.append(f"graduated {self.grad[0]} {self.grad[1]}")
        for label, values in (("type", self.degree_types), ("state", self.states), ("flag", self.flags),
                              ("bucket", self.buckets), ("risk", self.risks), ("track", self.tracks),
                              ("name", self.names)):
            if values:
                parts.append(f"{label} {' or '.join(values)}")
        if self.voted is not None:
            parts.append("you voted" if self.voted else "you have not voted")
        return ", ".join(parts) or "everyone"


@dataclass(frozen=True)
class FoundCandidate:
    aamc_id: str
    name: str
    degree_type: str | None
    graduation_year: int | None
    exam_failures: int
    visa_needed: bool | None
    bucket: str | None
    risk: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class FindPage:
    filters: FindFilters
    items: list[FoundCandidate]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
