"""What a change of committee role does to a member's ballot and the list (plain values).

An observer's ballot is kept but does not count, and the first director's ballot breaks ties;
so a role change can move candidates on or off the preference list (`bot.services.role_changes`
computes the lists; this holds the result the messages describe).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OBSERVER", "ListedCandidate", "RoleChange"]

OBSERVER = "observer"


@dataclass(frozen=True)
class ListedCandidate:
    aamc_id: str
    name: str


@dataclass(frozen=True)
class RoleChange:
    user_id: str
    before: str  # role values: director, member, observer
    after: str
    votes: int = 0
    ranked: int = 0
    left_list: tuple[ListedCandidate, ...] = ()
    joined_list: tuple[ListedCandidate, ...] = ()
    moved: int = 0
    """Candidates on the list before and after whose place changed."""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def has_ballot(self) -> bool:
        return bool(self.votes or self.ranked)

    @property
    def counted_before(self) -> bool:
        return self.before != OBSERVER

    @property
    def counted_after(self) -> bool:
        return self.after != OBSERVER
