"""What R3 did in the rounds that ran and will do in the next, from what the war room knows (pure).

Rules, with their sources (`../shared/DOMAIN.md` §1–§2; docs/lists-and-offers.md lists them too):

* **The list R3 used** in a round, per code, is the last list recorded as certified in R3 at or
  before that round's list deadline (the Participation Agreement: lists are "submitted and/or
  updated" before each deadline; R3's own guide was not readable, so this is unverified). A round
  with no new certification carries the last certified list. A list locked in the war room but
  never recorded as certified is never assumed to be what R3 used (`list_used`).
* **The list a coming round will use**: its own locked list if there is one (certified or not, and
  said which), else the last certified list (carried), else the committee's current order
  (`coming_list`).
* **Availability has a round.** "Accepted elsewhere in round N" (or withdrew) means out from round
  N+1's offers on, whenever the committee types it; without a round, out from the first round whose
  offers go out after it was recorded (`out_from_round`).
* **Unknown is not lapsed.** An offer with no answer recorded (a closed round's, or a live round's
  still open) may have been accepted: when that changes who the projected round offers to, the
  projection is made both ways (`plan_round`: `if_lapsed` and `if_accepted`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.offers import (
    Availability,
    OfferOutcome,
    PositionKind,
    Projection,
    Unanswered,
    project_next_round,
    unrecorded_offers,
)

__all__ = [
    "LeftSoap",
    "ListSource",
    "RoundList",
    "RoundPlan",
    "SavedList",
    "coming_list",
    "list_used",
    "live_round",
    "out_by_round",
    "out_from_round",
    "plan_round",
]


@dataclass(frozen=True)
class SavedList:
    """A list locked in the war room for a round and code, and when it was recorded as certified in R3."""

    code: str
    round_number: int
    ids: tuple[str, ...]
    certified_at: datetime | None = None


class ListSource(StrEnum):
    CERTIFIED = "certified"  # this round's list, recorded as certified in R3
    LOCKED = "locked"  # this round's list, locked here but not recorded as certified
    CARRIED = "carried"  # an earlier round's certified list: R3 keeps using it
    CURRENT = "current"  # nothing locked or certified: the committee's current order


@dataclass(frozen=True)
class RoundList:
    code: str
    source: ListSource
    from_round: int | None  # the round the list was locked for (None: the current order)
    ids: tuple[str, ...]


def list_used(saved: Sequence[SavedList], code: str, round_number: int,
              deadline: datetime | None = None) -> SavedList | None:
    """The list R3 used on `code` in round `round_number`: the last one certified at or before the
    round's deadline (without a known deadline: the last certified for this round or an earlier one)."""
    certified = [s for s in saved if s.code == code and s.certified_at is not None
                 and (s.certified_at <= deadline if deadline is not None else s.round_number <= round_number)]
    return max(certified, key=lambda s: (s.certified_at or datetime.min, s.round_number), default=None)


def coming_list(saved: Sequence[SavedList], code: str, round_number: int,
                current: Sequence[str]) -> RoundList:
    """The list a round not yet run will use on `code` (module rules)."""
    own = [s for s in saved if s.code == code and s.round_number == round_number]
    if own:
        mine = own[-1]
        source = ListSource.CERTIFIED if mine.certified_at is not None else ListSource.LOCKED
        return RoundList(code, source, round_number, mine.ids)
    carried = list_used([s for s in saved if s.round_number < round_number], code, round_number)
    if carried is not None:
        return RoundList(code, ListSource.CARRIED, carried.round_number, carried.ids)
    return RoundList(code, ListSource.CURRENT, None, tuple(current))


@dataclass(frozen=True)
class LeftSoap:
    """An applicant the committee knows is out of SOAP (accepted elsewhere, or withdrew)."""

    aamc_id: str
    availability: Availability
    from_round: int  # out from this round's offers on
    kind: PositionKind | None = None  # accepted elsewhere: the kind, when known (None: every list)


def out_from_round(recorded_at: datetime, typed_round: int | None,
                   offers_at: Mapping[int, datetime]) -> int:
    """The first round whose offers the applicant was out of: after the round typed, else the first
    round whose offers went out after the record (past every round: one after the last)."""
    if typed_round is not None:
        return typed_round + 1
    later = [number for number, at in sorted(offers_at.items()) if at > recorded_at]
    return later[0] if later else max(offers_at, default=0) + 1


def out_by_round(left: Sequence[LeftSoap], rounds: Sequence[int]) -> dict[int, dict[str, Availability]]:
    """Round -> the applicants out of SOAP as its offers went out."""
    return {number: {x.aamc_id: x.availability for x in left if x.from_round <= number} for number in rounds}


@dataclass(frozen=True)
class RoundPlan:
    """Who round `round_number` offers to, both ways when an offer with no answer decides it."""

    round_number: int
    if_lapsed: Projection  # every offer with no answer lapsed (or is refused, once open)
    if_accepted: Projection  # every offer with no answer was (or will be) accepted
    inferred: tuple[OfferOutcome, ...]  # offers R3 made from the list it used that nobody recorded
    unanswered: tuple[OfferOutcome, ...]  # offers of earlier rounds with no answer (recorded or inferred)

    @property
    def depends_on_answers(self) -> bool:
        """True when the unanswered offers change who is offered to."""
        return any(self.if_lapsed.codes[c].offers != self.if_accepted.codes[c].offers for c in self.if_lapsed.codes)


def plan_round(round_number: int, lists: Mapping[str, Sequence[str]], used: Mapping[int, Mapping[str, Sequence[str]]],
               recorded: Sequence[OfferOutcome], positions: Mapping[str, int], left: Sequence[LeftSoap]) -> RoundPlan:
    """Who R3 offers to in `round_number` on each code's `lists`, given the lists R3 `used` in earlier
    rounds (round -> code -> AAMC IDs), the outcomes `recorded` before it, and who left SOAP when."""
    earlier = [o for o in recorded if o.round_number < round_number]
    by_round = out_by_round(left, [*used, round_number])
    kinds = {x.aamc_id: x.kind for x in left if x.kind is not None and x.from_round <= round_number}
    plans: dict[Unanswered, tuple[Projection, tuple[OfferOutcome, ...]]] = {}
    for branch in Unanswered:
        inferred = unrecorded_offers(used, earlier, positions, round_number, by_round, kinds, branch)
        projection = project_next_round(lists, [*earlier, *inferred], positions, round_number,
                                        by_round.get(round_number), kinds, branch)
        plans[branch] = (projection, inferred)
    lapsed, inferred = plans[Unanswered.LAPSED]
    return RoundPlan(round_number, lapsed, plans[Unanswered.ACCEPTED][0], inferred, lapsed.assumed_expired)


def live_round(now: datetime, windows: Mapping[int, tuple[datetime, datetime]]) -> int | None:
    """The round whose offers are open at `now` (its offers went out and have not expired), if any."""
    return next((number for number, (opens, closes) in sorted(windows.items()) if opens <= now < closes), None)
