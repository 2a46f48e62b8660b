"""`/soap triage`'s overview as plain values: how many candidates each bucket holds and the first
few of each (the triage service computes it; `bot.messages.candidate_lists` draws it)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.triage import Bucket, Risk


@dataclass(frozen=True)
class BucketPreview:
    aamc_id: str
    name: str
    risk: Risk | None
    overridden: bool


@dataclass(frozen=True)
class TriageSummary:
    counts: dict[Bucket, int]
    first: dict[Bucket, list[BucketPreview]]
    overridden: int
    untriaged: int
    page: int = 1
    per_bucket: int = 5

    @property
    def total(self) -> int:
        return sum(self.counts.values()) + self.untriaged

    @property
    def has_more(self) -> bool:
        return any(self.counts[b] > self.page * self.per_bucket for b in Bucket)


@dataclass(frozen=True)
class Move:
    before: str | None
    after: str
    candidate_id: int = 0
    aamc_id: str = ""
    name: str = ""
    on_list: str | None = None
    """Where the candidate stands on a preference list ("round 1's locked list", "the current list"), if anywhere."""
