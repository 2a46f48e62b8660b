"""What the committee's votes, rankings and pins come to, as plain values (the voting service fills
them; the builders draw them). The scale itself is `bot.domain.preference_list.Vote`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.preference_list import Vote


class VoteSource(StrEnum):
    """How a vote was cast: by the member, or as the recommendation of their interview scorecard
    (which a later scorecard may replace; a member's own vote it never replaces)."""

    VOTE = "vote"
    SCORECARD = "scorecard"


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


class TallyView(StrEnum):
    """How much of the committee's votes on an applicant a person is shown."""

    NAMES = "names"  # the tally and who voted what (directors)
    TALLY = "tally"  # the count per scale step, no names
    COUNT = "count"  # only how many voted: blind votes, and this member has not voted yet


def tally_view(*, blind: bool, director: bool, votes: bool, has_voted: bool) -> TallyView:
    """What a person sees of the votes on one applicant. With blind votes a member sees how the
    committee voted only once they have voted on (or ranked) the applicant themselves, so the first
    votes cannot anchor theirs; directors see everything, as always; observers (who do not vote, so
    nobody's vote follows theirs) see the tally."""
    if director:
        return TallyView.NAMES
    if not blind or not votes or has_voted:
        return TallyView.TALLY
    return TallyView.COUNT


@dataclass(frozen=True)
class VotesSeen:
    """`/soap votes <applicant>` for one person: the votes, and how much of them they are shown."""

    votes: CandidateVotes
    view: TallyView

    @property
    def total(self) -> int:
        return sum(len(users) for users in self.votes.by_vote.values())


@dataclass(frozen=True)
class RankingResult:
    ordering: tuple[tuple[str, str], ...]  # (AAMC ID, name), best first
    before: tuple[str, ...]
    contradictions: tuple[tuple[str, str], ...]  # (a, b): ranked a above b although the votes say b is better
    code: str | None = None  # a ballot for this program code only (`/soap rank <code> …`)
    code_title: str = ""


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
