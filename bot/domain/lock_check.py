"""What a director must know before locking a round's preference list (pure).

Every name on a certified list is an offer if R3 reaches it (DOMAIN.md §2), so the check names,
before anything is locked: members who have not voted, applicants on the list the committee
would not take (a deal-breaker, the do-not-rank bucket) or who have a concern note newer than the
last vote on them, and who R3 would offer to per program code. Applicants no longer available
(accepted anywhere, withdrew) are already off every list (`bot.services.preference_list`).
No Slack, no database: the service gathers plain values, the builder shows the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = ["ListedApplicant", "LockCheck", "Warning", "warnings_for"]


@dataclass(frozen=True)
class ListedApplicant:
    """One line of a list about to be locked, with what the committee knows of the applicant."""

    rank: int
    code: str | None  # the NRMP program code of the list; None for a program with one list
    aamc_id: str
    name: str
    bucket: str | None = None
    bucket_reasons: tuple[str, ...] = ()
    dealbreakers: tuple[str, ...] = ()
    last_concern_at: datetime | None = None
    last_vote_at: datetime | None = None


@dataclass(frozen=True)
class Warning:
    """An applicant on the list a director should look at before locking, and why."""

    rank: int
    code: str | None
    aamc_id: str
    name: str
    reason: str


def warnings_for(listed: Sequence[ListedApplicant]) -> tuple[Warning, ...]:
    """Each listed applicant who would get an offer the committee may not want, in list order."""
    found: list[Warning] = []
    for line in listed:
        reasons: list[str] = []
        if line.dealbreakers:
            reasons.append("deal-breaker: " + "; ".join(line.dealbreakers))
        if line.bucket == "do not rank":
            why = f" ({'; '.join(line.bucket_reasons)})" if line.bucket_reasons else ""
            reasons.append(f"in the do-not-rank bucket{why}")
        if line.last_concern_at is not None and (line.last_vote_at is None
                                                 or line.last_concern_at > line.last_vote_at):
            reasons.append("a concern note newer than the last vote")
        if reasons:
            found.append(Warning(line.rank, line.code, line.aamc_id, line.name, "; ".join(reasons)))
    return tuple(found)


@dataclass(frozen=True)
class LockCheck:
    """The check shown before `/soap list lock <round> [code]` locks anything."""

    round: int
    code: str | None  # the one code being locked; None: every list of the round
    lists: tuple[tuple[str, int], ...]  # (list name, how many applicants) that would be locked
    not_voted: tuple[tuple[str, int], ...]  # (member, applicants without their vote), most missing first
    listed_total: int
    warnings: tuple[Warning, ...]
    offers: tuple[tuple[str, tuple[str, ...]], ...]  # (list name, who R3 would offer to, in order)
    after_deadline: bool = False

    @property
    def fingerprint(self) -> str:
        """What this check showed, in 12 characters: a Lock button acts only on the check it came with,
        so a newer vote, warning or order the director has not seen makes it ask again."""
        shown = (self.round, self.code, self.lists, self.not_voted, self.listed_total, self.warnings, self.offers)
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:12]
