"""The committee's preference lists as values: the current order, each program code's list, a locked
snapshot, an unlock, a pin or exclusion on one list (`../shared/DOMAIN.md` §2: one list per program code).

`bot.services.preference_list` computes them from storage; the builders in `bot.messages` read them,
so a builder never imports a service. Plain values, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = ["CodeList", "CurrentList", "ListLine", "LockInfo", "LockedEntry", "LockedList", "Placement", "Unlocked"]


@dataclass(frozen=True)
class ListLine:
    rank: int
    candidate_id: int
    aamc_id: str
    name: str
    bucket: str | None  # effective triage bucket (the director's override first)
    track: str
    tied: bool
    tie_group: int
    pinned: bool
    support: tuple[str, ...]  # members who voted rank or rank high
    dissent: tuple[str, ...]  # members who voted do not rank
    not_voted: tuple[str, ...]  # counted members who neither voted nor ranked this candidate
    codes: tuple[str, ...] = ()  # the program codes the applicant applied to (their lists)
    binding: str | None = None  # why a name on the list is one the committee may not want (DOMAIN.md §2)


@dataclass(frozen=True)
class LockInfo:
    round: int
    locked_by: str
    locked_at: datetime
    entries: int
    code: str | None = None


@dataclass(frozen=True)
class CodeList:
    """One program code's list: the committee's order restricted to the code's applicants, ranks 1..n."""

    code: str | None  # None: the program's one list (an export without program codes)
    label: str
    specialty: str
    lines: tuple[ListLine, ...]
    left_off: tuple[ListLine, ...] = ()  # applied to this code, left off it by a director (`/soap exclude`)
    code_ballots: int = 0  # members who gave an ordering for this code (`/soap rank <code> …`)
    general_ballots: int = 0  # members counted with their general ballot on this code

    @property
    def title(self) -> str:
        if self.code is None:
            return "Preference list"
        return f"{self.code} {self.label}".strip()


@dataclass(frozen=True)
class CurrentList:
    program_id: int
    lines: tuple[ListLine, ...]
    excluded: tuple[ListLine, ...]  # left off by a majority of "do not rank" (rank 0)
    members: tuple[str, ...]  # whose ballots count (sorted)
    ballots: int  # members with at least one vote or an ordering
    tie_breaker: str | None  # the director whose ballot breaks ties
    locks: tuple[LockInfo, ...]  # rounds currently locked
    lists: tuple[CodeList, ...] = ()  # one per program code (one list when the export has no codes)
    without_code: tuple[ListLine, ...] = ()  # listed applicants whose tracks name none of the codes
    gone: tuple[tuple[ListLine, str], ...] = ()  # left every list: accepted (here or elsewhere) or withdrew


@dataclass(frozen=True)
class LockedEntry:
    rank: int
    aamc_id: str
    name: str
    track: str
    tied: bool
    # The first rank of the entry's tie group, known when the list is locked (not stored): the lock
    # post marks `1=` `1=` `3=` as `/soap list` does, instead of `1=` `2=` `3=`.
    tie_start: int | None = None


@dataclass(frozen=True)
class LockedList:
    program_id: int
    round: int
    snapshot_id: int
    locked_by: str
    locked_at: datetime
    entries: tuple[LockedEntry, ...]
    code: str | None = None  # None: the program's one list
    label: str = ""
    specialty: str = ""
    binding: tuple[tuple[str, str], ...] = ()  # (AAMC ID, reason) of binding names, at lock time
    # The director whose ballot broke ties, known when locking and not stored: context for the lock
    # post, not part of what the list is, so a list read back later equals the one locked.
    tie_breaker: str | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return f"{self.code} {self.label}".strip() if self.code else "Preference list"


@dataclass(frozen=True)
class Unlocked:
    round: int
    locked_by: str
    locked_at: datetime
    unlocked_by: str
    unlocked_at: datetime
    reason: str
    codes: tuple[str, ...] = ()  # the codes whose lists were unlocked (empty: the program's one list)


class PlacementKind(StrEnum):
    """A director's placement of an applicant on a list: first after the program-wide pins, or off it."""

    PIN = "pin"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class Placement:
    """What `/soap pin|unpin|exclude|include <id> [code]` changed on one list (or on every list)."""

    candidate_id: int
    aamc_id: str
    name: str
    code: str  # "" for every list
    title: str  # how the list is named ("1234140P0 Preliminary", or "every list")
    before: PlacementKind | None
    after: PlacementKind | None

    @property
    def changed(self) -> bool:
        return self.before != self.after
