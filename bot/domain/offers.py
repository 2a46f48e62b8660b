"""Next-offer projection for a SOAP round (DOMAIN.md section 2), pure domain logic.

Given the program's locked preference list for the coming round, the outcomes of
the offers made so far, the positions per track and the round about to run,
project which applicants R3 will offer to, per track.

Rules
-----
* Positions and offers are per track. An applicant listed on several tracks is
  considered on each track independently (R3 may offer on two tracks at once).
* ``accepted`` fills one position of the offer's track, and the applicant is
  gone (leaves SOAP): never offered again, on any track.
* ``rejected`` or ``expired``: the applicant gets no further offer from this
  program, on any track, even if still on the list.
* ``offered`` with no answer yet, from the round just before the one about to
  run (``round_number - 1``), is outstanding: it holds its position and the
  applicant is not offered again meanwhile, on any track. An unanswered offer
  from an older round cannot still be open (every offer lapses at the end of
  its round): it is treated as expired and reported in ``Projection.assumed_expired`` so the
  committee can record what actually happened.
* open = total - accepted - outstanding (never below 0; ``over_filled`` reports
  acceptances beyond the total).
* The round offers to the first ``open`` eligible applicants of the track's
  list, in list order. A list changed between rounds is simply the new list:
  only the outcomes matter, not earlier lists.
* Fewer eligible applicants than open positions: all of them get an offer and
  ``unfilled_after`` counts the positions left with nobody on the list.
* Outcomes must come from rounds that already ran (``< round_number``);
  anything else, an unknown track, or an applicant listed twice on one track is
  an input error (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "ListedApplicant",
    "OfferOutcome",
    "OfferStatus",
    "Projection",
    "TrackPositions",
    "TrackProjection",
    "positions_summary",
    "project_next_round",
]


class OfferStatus(StrEnum):
    OFFERED = "offered"  # no answer yet
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ListedApplicant:
    """One line of the locked preference list."""

    aamc_id: str
    track: str


@dataclass(frozen=True)
class OfferOutcome:
    """One offer this program made, with what is known of its answer."""

    aamc_id: str
    track: str
    round_number: int
    status: OfferStatus


@dataclass(frozen=True)
class TrackPositions:
    track: str
    total: int
    filled: int  # accepted offers on this track
    outstanding: int  # unanswered offers of the last round, holding a position

    @property
    def open(self) -> int:
        return max(0, self.total - self.filled - self.outstanding)

    @property
    def over_filled(self) -> int:
        """Acceptances beyond the track's total (0 normally; >0 means the counts need checking)."""
        return max(0, self.filled - self.total)


@dataclass(frozen=True)
class TrackProjection:
    track: str
    total: int
    filled: int
    outstanding: int
    open: int
    offers: tuple[str, ...]  # AAMC IDs, list order
    unfilled_after: int  # open positions with nobody eligible left on the list


@dataclass(frozen=True)
class Projection:
    round_number: int
    tracks: Mapping[str, TrackProjection]
    ineligible: Mapping[str, str]  # AAMC ID -> reason: accepted / rejected / expired / offer outstanding
    assumed_expired: tuple[OfferOutcome, ...]

    @property
    def total_offers(self) -> int:
        return sum(len(t.offers) for t in self.tracks.values())

    @property
    def total_unfilled_after(self) -> int:
        return sum(t.unfilled_after for t in self.tracks.values())


def _check_outcomes(
    outcomes: Iterable[OfferOutcome], positions: Mapping[str, int], round_number: int
) -> list[OfferOutcome]:
    if round_number < 1:
        raise ValueError(f"round number must be 1 or more, not {round_number}")
    checked: list[OfferOutcome] = []
    seen: set[tuple[str, str, int]] = set()
    for o in outcomes:
        if o.track not in positions:
            raise ValueError(f"offer to {o.aamc_id} on unknown track {o.track!r}")
        if not 1 <= o.round_number < round_number:
            raise ValueError(
                f"offer to {o.aamc_id} is recorded for round {o.round_number}, but round {round_number} has not run yet"
            )
        key = (o.aamc_id, o.track, o.round_number)
        if key in seen:
            raise ValueError(f"two outcomes for {o.aamc_id} on {o.track} in round {o.round_number}")
        seen.add(key)
        checked.append(o)
    return checked


def _effective_status(o: OfferOutcome, round_number: int) -> OfferStatus:
    if o.status is OfferStatus.OFFERED and o.round_number < round_number - 1:
        return OfferStatus.EXPIRED
    return o.status


def positions_summary(
    positions: Mapping[str, int], outcomes: Iterable[OfferOutcome], round_number: int
) -> dict[str, TrackPositions]:
    """Total / filled / outstanding / open per track, before ``round_number`` runs."""
    for track, total in positions.items():
        if total < 0:
            raise ValueError(f"track {track!r}: negative number of positions")
    checked = _check_outcomes(outcomes, positions, round_number)
    filled = dict.fromkeys(positions, 0)
    outstanding = dict.fromkeys(positions, 0)
    for o in checked:
        status = _effective_status(o, round_number)
        if status is OfferStatus.ACCEPTED:
            filled[o.track] += 1
        elif status is OfferStatus.OFFERED:
            outstanding[o.track] += 1
    return {t: TrackPositions(t, total, filled[t], outstanding[t]) for t, total in positions.items()}


_REASON_ORDER = {
    OfferStatus.ACCEPTED: (0, "accepted"),
    OfferStatus.OFFERED: (1, "offer outstanding"),
    OfferStatus.REJECTED: (2, "rejected"),
    OfferStatus.EXPIRED: (3, "expired"),
}


def project_next_round(
    locked_list: Sequence[ListedApplicant],
    outcomes: Sequence[OfferOutcome],
    positions: Mapping[str, int],
    round_number: int,
) -> Projection:
    """Who R3 will offer to in ``round_number``, per track (rules in the module docstring)."""
    summary = positions_summary(positions, outcomes, round_number)

    ineligible_rank: dict[str, tuple[int, str]] = {}
    assumed_expired: list[OfferOutcome] = []
    for o in outcomes:
        status = _effective_status(o, round_number)
        if status is not o.status:
            assumed_expired.append(o)
        reason = _REASON_ORDER[status]
        if o.aamc_id not in ineligible_rank or reason < ineligible_rank[o.aamc_id]:
            ineligible_rank[o.aamc_id] = reason
    ineligible = {a: reason for a, (_, reason) in sorted(ineligible_rank.items())}

    by_track: dict[str, list[str]] = {t: [] for t in positions}
    for entry in locked_list:
        if entry.track not in positions:
            raise ValueError(f"{entry.aamc_id} is listed on unknown track {entry.track!r}")
        if entry.aamc_id in by_track[entry.track]:
            raise ValueError(f"{entry.aamc_id} is listed twice on track {entry.track!r}")
        by_track[entry.track].append(entry.aamc_id)

    tracks: dict[str, TrackProjection] = {}
    for track, counts in summary.items():
        eligible = [a for a in by_track[track] if a not in ineligible]
        offers = tuple(eligible[: counts.open])
        tracks[track] = TrackProjection(
            track=track,
            total=counts.total,
            filled=counts.filled,
            outstanding=counts.outstanding,
            open=counts.open,
            offers=offers,
            unfilled_after=counts.open - len(offers),
        )

    assumed_expired.sort(key=lambda o: (o.round_number, o.track, o.aamc_id))
    return Projection(
        round_number=round_number,
        tracks=MappingProxyType(tracks),
        ineligible=MappingProxyType(ineligible),
        assumed_expired=tuple(assumed_expired),
    )
