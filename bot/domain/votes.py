"""What the committee's votes, rankings and pins come to, as plain values (the voting service fills
them; the builders draw them). The scale itself is `bot.domain.preference_list.Vote`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.preference_list import Vote


@dataclass(frozen=True)
class VoteResult:
    candidate_id: int
    aamc_id: str
    name: str
    before: Vote | None
    after: Vote
    tally: dict[Vote, int]

    @property
    def changed(self) -> bool:
        return self.before is not self.after


@dataclass(frozen=True)
class CandidateVotes:
    """Who voted what on one candidate (for directors), and the member's ranking positions."""

    candidate_id: int
    aamc_id: str
    name: str
    pinned_by: str | None
    by_vote: dict[Vote, tuple[str, ...]]
    ranked_at: dict[str, int]  # member -> position in their own ordering


@dataclass(frozen=True)
class RankingResult:
    ordering: tuple[tuple[str, str], ...]  # (AAMC ID, name), best first
    before: tuple[str, ...]
    contradictions: tuple[tuple[str, str], ...]  # (a, b): ranked a above b although the votes say b is better


@dataclass(frozen=True)
class PinResult:
    candidate_id: int
    aamc_id: str
    name: str
    before: str | None  # who had pinned it
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


VOTE_LABELS: dict[Vote, str] = {Vote.RANK_HIGH: "Rank high", Vote.RANK: "Rank", Vote.IF_NEEDED: "Only if needed",
                                Vote.DO_NOT_RANK: "Do not rank"}
