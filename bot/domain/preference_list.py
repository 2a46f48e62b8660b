"""Committee votes -> one ordered SOAP preference list (pure domain logic).

Each committee member casts a :class:`Ballot`: a vote on a four-step scale per
candidate (``rank high`` > ``rank`` > ``only if needed`` > ``do not rank``) and,
optionally, an explicit ordering of any subset of candidates, best first.
Candidates are keyed by AAMC ID (a string).

Pairwise rule of one ballot (what "member prefers a over b" means)
------------------------------------------------------------------
1. If both a and b appear in the member's explicit ordering, the ordering
   decides (earlier is better), whatever the scale votes say.
2. Otherwise, if both have a scale vote, the strictly better vote wins
   (equal votes: no preference).
3. A candidate the ballot does not mention at all (no scale vote, not in the
   ordering) is below every mentioned candidate whose scale vote is not
   ``do not rank`` (a candidate only placed in the ordering counts as such).
   An unmentioned candidate and a ``do not rank`` candidate: no preference;
   two unmentioned candidates: no preference.
4. Any other pair (e.g. one candidate only in the ordering, the other only on
   the scale) expresses no preference and contributes nothing.

Rule 1 overriding rule 2 means a member whose ordering contradicts their own
scale votes can produce a cyclic relation (b before a in the ordering, a
``rank high``, c ``rank``, b ``only if needed``). Schulze counts each pair
independently, so this is harmless for the count; :meth:`Ballot.contradictions`
lists such pairs so the bot can ask the member to fix them.

Aggregation (:func:`aggregate`)
-------------------------------
* Pins (directors' internal candidates) come first, in the order given, and
  are never excluded, whatever the votes.
* A candidate that a strict majority of the ``ballots`` marked ``do not rank``
  is left off the list and reported in ``excluded``.
* The remaining candidates are ordered by the Schulze method (winning votes,
  strongest paths), computed on those candidates only. Levels of candidates
  with equal strongest paths both ways are shown as ties: the entries share a
  ``tie_group`` and have ``tied=True``.
* Tie-break for submission, inside one tie group:
  1. the director's ballot (``director_ballot``): the tied candidates are
     ordered by a one-ballot Schulze count of that ballot (so a candidate the
     director prefers, directly or through a chain, comes first; a director
     cycle or no director opinion leaves them level);
  2. then the better triage bucket (``bucket_rank``, lower is better; a
     candidate with no bucket sorts after every bucketed one);
  3. then AAMC ID ascending (numerically when both IDs are all digits).
* ``director_ballot`` only breaks ties; if the director also votes, pass the
  same ballot in ``ballots`` too.
* ``support``/``dissent``/``not_voted`` are given for every candidate
  (listed, pinned or excluded): members whose scale vote was rank/rank high,
  members whose scale vote was do not rank, and members of ``committee``
  (default: the ballot authors) who neither voted on the candidate nor put
  them in their ordering. Member ids are sorted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

__all__ = [
    "Ballot",
    "ListEntry",
    "PreferenceList",
    "Vote",
    "aamc_sort_key",
    "aggregate",
    "code_ballots",
    "pairwise_matrix",
    "schulze_order",
]

IntMatrix = npt.NDArray[np.int32]


class Vote(StrEnum):
    """A committee member's scale vote on one candidate, best first."""

    RANK_HIGH = "rank high"
    RANK = "rank"
    IF_NEEDED = "only if needed"
    DO_NOT_RANK = "do not rank"

    @property
    def strength(self) -> int:
        """3 for rank high down to 0 for do not rank (higher is better)."""
        return _STRENGTH[self]

    @classmethod
    def parse(cls, text: str) -> Vote:
        """Read a vote typed by a person: "high", "rank-high", "if needed", "dnr", ..."""
        key = _normalise(text)
        try:
            return _ALIASES[key]
        except KeyError:
            accepted = ", ".join(f'"{v.value}"' for v in cls)
            raise ValueError(f"not a vote: {text!r} (use one of {accepted})") from None


_STRENGTH: dict[Vote, int] = {Vote.RANK_HIGH: 3, Vote.RANK: 2, Vote.IF_NEEDED: 1, Vote.DO_NOT_RANK: 0}
_DNR_STRENGTH = 0

_ALIASES: dict[str, Vote] = {
    **{a: Vote.RANK_HIGH for a in ("rank high", "high", "rank highly", "rankhigh", "rh", "top", "strong")},
    **{a: Vote.RANK for a in ("rank", "yes")},
    **{
        a: Vote.IF_NEEDED
        for a in ("only if needed", "if needed", "ifneeded", "only if need", "backup", "maybe")
    },
    **{
        a: Vote.DO_NOT_RANK
        for a in ("do not rank", "dont rank", "don't rank", "dnr", "no", "never", "do not")
    },
}


def _normalise(text: str) -> str:
    text = text.strip().lower().replace("\u2019", "'")
    text = re.sub(r"[-_.:/]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _coerce_vote(value: Vote | str) -> Vote:
    if isinstance(value, Vote):
        return value
    return Vote.parse(value)


@dataclass(frozen=True)
class Ballot:
    """One committee member's opinion.

    ``scale`` maps AAMC ID -> vote; ``ordering`` is the member's explicit order
    of any subset of candidates, best first (no repeats).
    """

    member: str
    scale: Mapping[str, Vote] = field(default_factory=dict)
    ordering: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ordering = tuple(self.ordering)
        if len(set(ordering)) != len(ordering):
            raise ValueError(f"ballot of {self.member}: a candidate appears twice in the ordering")
        scale = {str(c): _coerce_vote(v) for c, v in self.scale.items()}
        object.__setattr__(self, "ordering", ordering)
        object.__setattr__(self, "scale", MappingProxyType(scale))

    def mentions(self, candidate: str) -> bool:
        return candidate in self.scale or candidate in self.ordering

    def prefers(self, a: str, b: str) -> bool:
        """True if this ballot puts ``a`` strictly above ``b`` (module rules 1-4)."""
        if a == b:
            return False
        if a in self.ordering and b in self.ordering:
            return self.ordering.index(a) < self.ordering.index(b)
        va, vb = self.scale.get(a), self.scale.get(b)
        if va is not None and vb is not None:
            return va.strength > vb.strength
        if not self.mentions(b):
            return self.mentions(a) and va is not Vote.DO_NOT_RANK
        return False

    def contradictions(self) -> tuple[tuple[str, str], ...]:
        """Pairs (a, b) the ordering puts a above b although the scale votes b strictly better."""
        out: list[tuple[str, str]] = []
        for i, a in enumerate(self.ordering):
            for b in self.ordering[i + 1 :]:
                va, vb = self.scale.get(a), self.scale.get(b)
                if va is not None and vb is not None and vb.strength > va.strength:
                    out.append((a, b))
        return tuple(out)


@dataclass(frozen=True)
class ListEntry:
    rank: int  # 1-based position in submission order
    candidate: str  # AAMC ID
    tied: bool  # shares its Schulze level with at least one other candidate
    tie_group: int  # 1-based; entries with the same value are tied (each pin has its own)
    pinned: bool


@dataclass(frozen=True)
class PreferenceList:
    entries: tuple[ListEntry, ...]
    excluded: tuple[str, ...]
    support: Mapping[str, tuple[str, ...]]
    dissent: Mapping[str, tuple[str, ...]]
    not_voted: Mapping[str, tuple[str, ...]]

    @property
    def order(self) -> tuple[str, ...]:
        """AAMC IDs in submission order."""
        return tuple(e.candidate for e in self.entries)

    def tie_groups(self) -> tuple[tuple[str, ...], ...]:
        """The groups of tied candidates (only groups of two or more), in list order."""
        groups: dict[int, list[str]] = {}
        for e in self.entries:
            groups.setdefault(e.tie_group, []).append(e.candidate)
        return tuple(tuple(g) for g in groups.values() if len(g) > 1)


def aamc_sort_key(aamc_id: str) -> tuple[int, int, str]:
    """AAMC ID ascending: numerically for all-digit IDs, those before any other string."""
    if aamc_id.isdigit():
        return (0, int(aamc_id), aamc_id)
    return (1, 0, aamc_id)


# --------------------------------------------------------------------------- Schulze core


def _ballot_matrix(ballot: Ballot, index: Mapping[str, int], n: int) -> npt.NDArray[np.bool_]:
    """Boolean n x n matrix: [i, j] is True when the ballot prefers candidate i over j."""
    pos = np.full(n, -1, dtype=np.int64)
    for k, c in enumerate(ballot.ordering):
        i = index.get(c)
        if i is not None:
            pos[i] = k
    strength = np.full(n, -1, dtype=np.int64)
    for c, v in ballot.scale.items():
        i = index.get(c)
        if i is not None:
            strength[i] = v.strength
    in_order = pos >= 0
    has_scale = strength >= 0
    mentioned = in_order | has_scale
    above_unmentioned = mentioned & (strength != _DNR_STRENGTH)

    both_ordered = in_order[:, None] & in_order[None, :]
    by_order = pos[:, None] < pos[None, :]
    # strength[i] == -1 (no vote) is never greater than a real vote, so only j needs checking.
    by_scale = (strength[:, None] > strength[None, :]) & has_scale[None, :]
    pref = np.where(both_ordered, by_order, by_scale)
    pref |= above_unmentioned[:, None] & ~mentioned[None, :]
    return pref


def pairwise_matrix(candidates: Sequence[str], ballots: Iterable[Ballot]) -> IntMatrix:
    """d[i, j] = number of ballots preferring candidates[i] over candidates[j]."""
    n = len(candidates)
    index = {c: i for i, c in enumerate(candidates)}
    d = np.zeros((n, n), dtype=np.int32)
    for ballot in ballots:
        d += _ballot_matrix(ballot, index, n)
    return d


def _strongest_paths(d: IntMatrix) -> IntMatrix:
    """Widest paths over the winning-votes links (Floyd-Warshall, one broadcast per k)."""
    p = np.where(d > d.T, d, 0).astype(np.int32)
    for k in range(p.shape[0]):
        # Row k and column k do not change during step k, so updating in place is safe.
        np.maximum(p, np.minimum(p[:, k, None], p[None, k, :]), out=p)
    return p


def _levels(p: IntMatrix) -> list[list[int]]:
    """Indices grouped into Schulze levels, best first (Kahn's algorithm on "beats")."""
    n = p.shape[0]
    beats = p > p.T  # transitive and irreflexive (proved in Schulze 2011)
    beaten_by = beats.sum(axis=0)
    remaining = np.ones(n, dtype=bool)
    levels: list[list[int]] = []
    while remaining.any():
        top = np.flatnonzero(remaining & (beaten_by == 0))
        if top.size == 0:  # pragma: no cover - impossible for a transitive relation
            raise AssertionError("Schulze relation is not acyclic")
        levels.append([int(i) for i in top])
        remaining[top] = False
        beaten_by = beaten_by - beats[top].sum(axis=0)
    return levels


def _schulze_levels(candidates: Sequence[str], ballots: Sequence[Ballot]) -> list[list[str]]:
    if not candidates:
        return []
    p = _strongest_paths(pairwise_matrix(candidates, ballots))
    return [sorted((candidates[i] for i in level), key=aamc_sort_key) for level in _levels(p)]


def schulze_order(candidates: Sequence[str], ballots: Sequence[Ballot]) -> list[list[str]]:
    """Schulze levels, best first; each level holds tied candidates (sorted by AAMC ID)."""
    _check_unique(candidates, "candidates")
    return _schulze_levels(list(candidates), ballots)


# --------------------------------------------------------------------------- aggregation


def _check_unique(items: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for item in items:
        if item in seen:
            raise ValueError(f"{what}: {item!r} appears twice")
        seen.add(item)


def _break_tie(
    group: Sequence[str], director_ballot: Ballot | None, bucket_rank: Mapping[str, int]
) -> list[str]:
    sub_levels = _schulze_levels(group, [director_ballot]) if director_ballot is not None else [list(group)]

    def key(c: str) -> tuple[int, int, tuple[int, int, str]]:
        bucket = bucket_rank.get(c)
        return (0 if bucket is not None else 1, bucket or 0, aamc_sort_key(c))

    return [c for level in sub_levels for c in sorted(level, key=key)]


def aggregate(
    candidates: Sequence[str],
    ballots: Sequence[Ballot],
    *,
    pins: Sequence[str] = (),
    director_ballot: Ballot | None = None,
    bucket_rank: Mapping[str, int] | None = None,
    committee: Sequence[str] | None = None,
) -> PreferenceList:
    """Combine the committee's ballots into one preference list (rules in the module docstring)."""
    _check_unique(candidates, "candidates")
    _check_unique(pins, "pins")
    _check_unique([b.member for b in ballots], "ballots (one per member)")
    unknown = [p for p in pins if p not in set(candidates)]
    if unknown:
        raise ValueError(f"pinned candidates not among the candidates: {', '.join(unknown)}")
    buckets: Mapping[str, int] = bucket_rank or {}
    members = sorted(committee) if committee is not None else sorted(b.member for b in ballots)

    support: dict[str, tuple[str, ...]] = {}
    dissent: dict[str, tuple[str, ...]] = {}
    not_voted: dict[str, tuple[str, ...]] = {}
    by_member = {b.member: b for b in ballots}
    dnr_count: dict[str, int] = {}
    for c in candidates:
        votes = {b.member: b.scale.get(c) for b in ballots}
        support[c] = tuple(sorted(m for m, v in votes.items() if v in (Vote.RANK, Vote.RANK_HIGH)))
        dissent[c] = tuple(sorted(m for m, v in votes.items() if v is Vote.DO_NOT_RANK))
        dnr_count[c] = len(dissent[c])
        not_voted[c] = tuple(m for m in members if m not in by_member or not by_member[m].mentions(c))

    pinned = set(pins)
    excluded = sorted(
        (c for c in candidates if c not in pinned and 2 * dnr_count[c] > len(ballots)), key=aamc_sort_key
    )
    excluded_set = set(excluded)
    rankable = [c for c in candidates if c not in pinned and c not in excluded_set]

    entries: list[ListEntry] = []
    group = 0
    for c in pins:
        group += 1
        entries.append(ListEntry(len(entries) + 1, c, tied=False, tie_group=group, pinned=True))
    for level in _schulze_levels(rankable, ballots):
        group += 1
        ordered = _break_tie(level, director_ballot, buckets) if len(level) > 1 else level
        for c in ordered:
            entries.append(ListEntry(len(entries) + 1, c, tied=len(level) > 1, tie_group=group, pinned=False))

    return PreferenceList(
        entries=tuple(entries),
        excluded=tuple(excluded),
        support=MappingProxyType(support),
        dissent=MappingProxyType(dissent),
        not_voted=MappingProxyType(not_voted),
    )


def code_ballots(general: Sequence[Ballot], orderings: Mapping[str, Sequence[str]]) -> tuple[list[Ballot], int]:
    """Each member's ballot for one program code, and how many were given for that code.

    A member's ballot for a code is their own ordering for that code (`/soap rank <code> …`) with their
    scale votes; a member who gave none for the code counts with their general ballot. A preliminary
    year and a whole residency are judged differently, so a member may order them differently."""
    by_member = {b.member: b for b in general}
    ballots = [Ballot(member=m, scale=by_member[m].scale if m in by_member else {}, ordering=tuple(orderings[m]))
               if m in orderings else by_member[m] for m in sorted(set(by_member) | set(orderings))]
    return ballots, len(orderings)
