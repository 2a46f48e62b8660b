"""Offers as NRMP's R3 system makes them, per program code (`../shared/DOMAIN.md` §2), pure domain logic.

Each track of a program is its own NRMP program with its own code and its own preference list
(DOMAIN.md §2, "Program codes"). Given each code's list for the coming round, the outcomes of the
offers made so far, the positions per code, the applicants no longer in SOAP, and the round about
to run, project which applicants R3 will offer to on each code.

Rules (DOMAIN.md §2)
--------------------
* Positions, lists and offers are per code. An applicant on several lists is considered on each
  independently: R3 may offer on two codes of the same committee in one round.
* ``accepted`` fills one position of its code and ends the applicant's SOAP: they leave every list,
  except lists of a kind that goes with it (a preliminary and an advanced position, ``can_hold_both``).
  So does an applicant marked as having accepted elsewhere (of a kind, when known) or withdrawn.
* ``rejected`` or ``expired``: no further offer *from that code*. Another code of the same
  committee may still offer; whether R3 allows it is unverified (DOMAIN.md §2), so
  :func:`check_new_offer` lets it through with a warning.
* Every offer expires before the next round's offers go out: nothing from round N-1 is outstanding
  in round N, so round N offers exactly the positions still unfilled. An offer recorded as
  ``offered`` with no answer is unknown: the ``unanswered`` branch decides it (``LAPSED``: it held
  nothing and bars the applicant from that code, as an expiry does; ``ACCEPTED``: it filled a
  position, where it could have), and it is reported in ``Projection.assumed_expired`` so the
  committee records what happened.
* open = total - accepted (never below 0; ``over_filled`` reports acceptances beyond the total).
* A round offers to the first ``open`` eligible applicants of each code's list, in list order.
  Fewer eligible than open: all of them, and ``unfilled_after`` counts what nobody on the list fills.
* Outcomes must come from rounds before the one projected; anything else, an unknown code, or an
  applicant listed twice on one code is an input error (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "Availability",
    "AvailabilityResult",
    "CodeNext",
    "CodePositions",
    "CodeProjection",
    "CodeStatus",
    "FilledSeat",
    "NewOfferCheck",
    "NextRound",
    "OfferCleared",
    "OfferOutcome",
    "OfferResult",
    "OfferStatus",
    "PositionKind",
    "PositionsChange",
    "PositionsStatus",
    "ProjectedOffer",
    "Projection",
    "StoredOffer",
    "Unanswered",
    "can_hold_both",
    "check_new_offer",
    "kind_of",
    "positions_summary",
    "project_next_round",
]


class OfferStatus(StrEnum):
    OFFERED = "offered"  # no answer recorded yet
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"


class Availability(StrEnum):
    """Whether an applicant is still in SOAP, as far as the committee knows (DOMAIN.md §2)."""

    AVAILABLE = "available"
    ACCEPTED_ELSEWHERE = "accepted-elsewhere"  # accepting is binding and ends their SOAP everywhere
    WITHDRAWN = "withdrawn"  # withdrew from SOAP


class Unanswered(StrEnum):
    """What a projection assumes of an offer with no answer recorded: unknown is not lapsed, so a
    projection that depends on it is made both ways and shown as two branches."""

    LAPSED = "lapsed"
    ACCEPTED = "accepted"


class PositionKind(StrEnum):
    """What a position is, for whether an applicant can hold two (DOMAIN.md §2: NRMP's partially
    matched applicant holds a PGY-1-only position and an advanced PGY-2 one)."""

    CATEGORICAL = "categorical"  # a whole residency (also primary care, reserved, and any unknown kind)
    PRELIMINARY = "preliminary"  # PGY-1 only
    ADVANCED = "advanced"  # starts at PGY-2


_KIND_LETTERS = {"P": PositionKind.PRELIMINARY, "A": PositionKind.ADVANCED}


def kind_of(code: str) -> PositionKind:
    """The kind of a program code's positions, from its track letter (`1234140P0`: preliminary), or
    from a track name for a program without codes (`preliminary`). Anything else is a whole residency."""
    text = code.strip()
    if len(text) == 9 and text[:7].isdigit():
        return _KIND_LETTERS.get(text[7].upper(), PositionKind.CATEGORICAL)
    folded = text.casefold()
    if "prelim" in folded:
        return PositionKind.PRELIMINARY
    if "advanced" in folded:
        return PositionKind.ADVANCED
    return PositionKind.CATEGORICAL


def can_hold_both(a: PositionKind, b: PositionKind) -> bool:
    """Only a PGY-1-only (preliminary) position and an advanced one can be held together."""
    return {a, b} == {PositionKind.PRELIMINARY, PositionKind.ADVANCED}


@dataclass(frozen=True)
class OfferOutcome:
    """One offer this program made on one code, with what is known of its answer."""

    aamc_id: str
    code: str
    round_number: int
    status: OfferStatus


@dataclass(frozen=True)
class CodePositions:
    code: str
    total: int
    filled: int  # accepted offers on this code

    @property
    def open(self) -> int:
        return max(0, self.total - self.filled)

    @property
    def over_filled(self) -> int:
        """Acceptances beyond the code's total (0 normally; >0 means the counts need checking)."""
        return max(0, self.filled - self.total)


@dataclass(frozen=True)
class CodeProjection:
    code: str
    total: int
    filled: int
    open: int
    offers: tuple[str, ...]  # AAMC IDs, list order
    unfilled_after: int  # open positions with nobody eligible left on the list
    skipped: Mapping[str, str]  # listed AAMC ID -> why R3 passes over them on this code


@dataclass(frozen=True)
class Projection:
    round_number: int
    codes: Mapping[str, CodeProjection]
    assumed_expired: tuple[OfferOutcome, ...]  # offers with no answer: the branch below decides them
    unanswered: Unanswered = Unanswered.LAPSED

    @property
    def total_offers(self) -> int:
        return sum(len(c.offers) for c in self.codes.values())


def _check_outcomes(outcomes: Iterable[OfferOutcome], positions: Mapping[str, int],
                    round_number: int) -> list[OfferOutcome]:
    if round_number < 1:
        raise ValueError(f"round number must be 1 or more, not {round_number}")
    checked: list[OfferOutcome] = []
    seen: set[tuple[str, str, int]] = set()
    for o in outcomes:
        if o.code not in positions:
            raise ValueError(f"offer to {o.aamc_id} on unknown code {o.code!r}")
        if not 1 <= o.round_number < round_number:
            raise ValueError(f"offer to {o.aamc_id} is recorded for round {o.round_number}, "
                             f"but round {round_number} has not run yet")
        key = (o.aamc_id, o.code, o.round_number)
        if key in seen:
            raise ValueError(f"two outcomes for {o.aamc_id} on {o.code} in round {o.round_number}")
        seen.add(key)
        checked.append(o)
    return checked


def positions_summary(positions: Mapping[str, int], outcomes: Iterable[OfferOutcome]) -> dict[str, CodePositions]:
    """Total / filled per code: only acceptances fill a position (an unanswered offer lapses)."""
    filled = dict.fromkeys(positions, 0)
    for code, total in positions.items():
        if total < 0:
            raise ValueError(f"code {code!r}: negative number of positions")
    for o in outcomes:
        if o.status is OfferStatus.ACCEPTED and o.code in filled:
            filled[o.code] += 1
    return {c: CodePositions(c, total, filled[c]) for c, total in positions.items()}


def _accept_unanswered(outcomes: Sequence[OfferOutcome], unavailable: Mapping[str, Availability],
                       elsewhere_kinds: Mapping[str, PositionKind]) -> list[OfferOutcome]:
    """The outcomes with every unanswered offer accepted, where it could have been: not by someone who
    withdrew, nor on top of a position they hold that cannot go with it (then it lapsed)."""
    held: dict[str, list[PositionKind]] = {}
    for o in outcomes:
        if o.status is OfferStatus.ACCEPTED:
            held.setdefault(o.aamc_id, []).append(kind_of(o.code))
    for a, v in unavailable.items():
        if v is Availability.ACCEPTED_ELSEWHERE:
            held.setdefault(a, []).append(elsewhere_kinds.get(a, PositionKind.CATEGORICAL))
    result: list[OfferOutcome] = []
    for o in sorted(outcomes, key=lambda x: (x.round_number, x.code, x.aamc_id)):
        if o.status is OfferStatus.OFFERED and unavailable.get(o.aamc_id) is not Availability.WITHDRAWN:
            kind = kind_of(o.code)
            if all(can_hold_both(k, kind) for k in held.get(o.aamc_id, ())):
                held.setdefault(o.aamc_id, []).append(kind)
                o = replace(o, status=OfferStatus.ACCEPTED)
        result.append(o)
    return result


def project_next_round(lists: Mapping[str, Sequence[str]], outcomes: Sequence[OfferOutcome],
                       positions: Mapping[str, int], round_number: int,
                       unavailable: Mapping[str, Availability] | None = None,
                       elsewhere_kinds: Mapping[str, PositionKind] | None = None,
                       unanswered: Unanswered | None = None) -> Projection:
    """Who R3 will offer to in ``round_number``, per code (rules in the module docstring).

    ``lists`` maps each code to its preference list (AAMC IDs, best first); a code with positions
    and no list has an empty one. ``unavailable`` names applicants who accepted elsewhere or withdrew;
    ``elsewhere_kinds`` the kind of position one accepted elsewhere, when known. ``unanswered`` says
    which branch to follow for offers with no answer recorded (default: they lapsed)."""
    unanswered = unanswered or Unanswered.LAPSED
    checked = _check_outcomes(outcomes, positions, round_number)
    assumed = sorted((o for o in checked if o.status is OfferStatus.OFFERED), key=lambda o: o.round_number)
    unknown = {(o.aamc_id, o.code, o.round_number) for o in assumed}
    if unanswered is Unanswered.ACCEPTED:
        checked = _accept_unanswered(checked, unavailable or {}, elsewhere_kinds or {})
    summary = positions_summary(positions, checked)
    # (applicant, kind of position held) -> why: who holds what bars them from codes of a kind they
    # cannot hold at the same time (only preliminary + advanced go together).
    held: dict[str, list[tuple[PositionKind, str]]] = {}
    gone: dict[str, str] = {}
    for a, v in (unavailable or {}).items():
        if v is Availability.WITHDRAWN:
            gone[a] = str(v)
        elif v is Availability.ACCEPTED_ELSEWHERE:
            kind = (elsewhere_kinds or {}).get(a)
            if kind is None:
                gone[a] = str(v)
            else:
                held.setdefault(a, []).append((kind, f"accepted a {kind.value} position elsewhere"))
    for o in checked:
        if o.status is OfferStatus.ACCEPTED:
            if_accepted = (" if the unanswered offer was accepted"
                           if (o.aamc_id, o.code, o.round_number) in unknown else "")
            held.setdefault(o.aamc_id, []).append(
                (kind_of(o.code), f"accepted ({o.code}, round {o.round_number}){if_accepted}"))
    barred: dict[tuple[str, str], str] = {}
    for o in sorted(checked, key=lambda x: x.round_number):
        if o.status is OfferStatus.OFFERED:
            barred.setdefault((o.aamc_id, o.code), f"offer of round {o.round_number} lapsed unanswered")
        elif o.status in (OfferStatus.REJECTED, OfferStatus.EXPIRED):
            barred.setdefault((o.aamc_id, o.code), f"{o.status.value} in round {o.round_number}")

    def holding(aamc: str, code: str) -> str | None:
        wanted = kind_of(code)
        return next((why for kind, why in held.get(aamc, ()) if not can_hold_both(kind, wanted)), None)

    codes: dict[str, CodeProjection] = {}
    for code, counts in summary.items():
        listed = list(lists.get(code, ()))
        if len(set(listed)) != len(listed):
            raise ValueError(f"an applicant is listed twice on code {code!r}")
        skipped: dict[str, str] = {}
        eligible: list[str] = []
        for aamc in listed:
            reason = gone.get(aamc) or holding(aamc, code) or barred.get((aamc, code))
            if reason:
                skipped[aamc] = reason
            else:
                eligible.append(aamc)
        offers = tuple(eligible[: counts.open])
        codes[code] = CodeProjection(code, counts.total, counts.filled, counts.open, offers,
                                     counts.open - len(offers), MappingProxyType(skipped))
    strays = set(lists) - set(positions)
    if strays:
        raise ValueError(f"lists for codes without positions: {sorted(strays)}")
    assumed.sort(key=lambda o: (o.round_number, o.code, o.aamc_id))
    return Projection(round_number, MappingProxyType(codes), tuple(assumed), unanswered)


def unrecorded_offers(locked: Mapping[int, Mapping[str, Sequence[str]]], outcomes: Sequence[OfferOutcome],
                      positions: Mapping[str, int], before_round: int,
                      unavailable: Mapping[int, Mapping[str, Availability]] | None = None,
                      elsewhere_kinds: Mapping[str, PositionKind] | None = None,
                      unanswered: Unanswered | None = None) -> tuple[OfferOutcome, ...]:
    """Offers R3 made in earlier rounds that nobody recorded here, as unanswered (``OFFERED``) outcomes.

    R3 offers each round from the top of the list certified before it (DOMAIN.md §2). For every earlier
    round whose lists were locked here, the applicants that round's projection reaches, with no outcome
    recorded for that code and round, were offered; every offer expires before the next round, and an
    applicant who let an offer expire gets no further offer from that code. Without this, the next
    round would propose the very people R3 already offered to. ``locked`` maps a round to the lists R3
    used in it per code (see `bot.domain.r3_rounds.list_used`); rounds without one are skipped (R3 used
    a list the war room never saw). ``unanswered`` is the branch for earlier offers with no answer.
    ``unavailable`` maps a round to the applicants already out of SOAP when its offers went out."""
    known = list(outcomes)
    inferred: list[OfferOutcome] = []
    for number in sorted(r for r in locked if r < before_round):
        lists = {code: ids for code, ids in locked[number].items() if code in positions}
        earlier = [o for o in known if o.round_number < number]
        projection = project_next_round(lists, earlier, positions, number, (unavailable or {}).get(number),
                                        elsewhere_kinds, unanswered)
        recorded = {(o.aamc_id, o.code) for o in known if o.round_number == number}
        for code, projected in projection.codes.items():
            for aamc in projected.offers:
                if (aamc, code) not in recorded:
                    offer = OfferOutcome(aamc, code, number, OfferStatus.OFFERED)
                    inferred.append(offer)
                    known.append(offer)
    return tuple(inferred)


@dataclass(frozen=True)
class NewOfferCheck:
    """Whether one more offer record may be stored: ``refusal`` stops it, ``warning`` goes with it."""

    refusal: str | None = None
    warning: str | None = None


def check_new_offer(history: Sequence[OfferOutcome], code: str, round_number: int, status: OfferStatus,
                    availability: Availability = Availability.AVAILABLE,
                    elsewhere_kind: PositionKind | None = None) -> NewOfferCheck:
    """The re-offer rules for an offer to ``aamc_id`` on ``code`` in ``round_number`` (DOMAIN.md §2).

    ``history`` is every outcome recorded for the applicant except the one being written. Two offers
    of one round on two codes may both be recorded (an applicant may hold both), but only one accepted."""
    kind = kind_of(code)
    if availability is Availability.ACCEPTED_ELSEWHERE and elsewhere_kind is not None:
        if not can_hold_both(elsewhere_kind, kind):
            return NewOfferCheck(refusal=f"the applicant accepted a {elsewhere_kind.value} position elsewhere, "
                                         f"and cannot hold a {kind.value} one too")
    elif availability is not Availability.AVAILABLE:
        return NewOfferCheck(refusal=f"the applicant is marked {availability.value}: their SOAP is over")
    for o in sorted(history, key=lambda x: x.round_number):
        same_round = o.round_number == round_number
        if can_hold_both(kind_of(o.code), kind):
            continue  # a preliminary and an advanced position are held together
        if o.status is OfferStatus.ACCEPTED and (not same_round or status is OfferStatus.ACCEPTED):
            return NewOfferCheck(refusal=f"the applicant accepted the round-{o.round_number} {o.code} offer: "
                                         "accepting ends their SOAP")
    for o in sorted(history, key=lambda x: x.round_number):
        if o.code == code and o.round_number < round_number and o.status is not OfferStatus.ACCEPTED:
            what = "let the offer lapse unanswered" if o.status is OfferStatus.OFFERED else o.status.value
            return NewOfferCheck(refusal=f"the applicant {what} in round {o.round_number} on {o.code}: R3 makes "
                                         "no further offer from the same program code")
    for o in sorted(history, key=lambda x: x.round_number):
        if o.code != code and o.round_number < round_number and o.status is not OfferStatus.ACCEPTED:
            return NewOfferCheck(warning=f"the applicant did not take the round-{o.round_number} {o.code} offer; "
                                         "R3 may count another code of the same committee as the same program "
                                         "(unverified), so check before offering")
    return NewOfferCheck()


# --------------------------------------------------------------------------- result shapes for the builders
# The services return these and the message builders read them, so builders import the domain only.


@dataclass(frozen=True)
class CodeStatus:
    code: str
    label: str
    total: int
    filled: int
    awaiting: int  # offers of the latest round with offers, no answer recorded
    open: int
    over_filled: int

    @property
    def title(self) -> str:
        """`1234140C0 Categorical`, or the track name alone for a program without codes."""
        return f"{self.code} {self.label}" if self.label and self.label != self.code else self.code


@dataclass(frozen=True)
class PositionsStatus:
    program_id: int
    codes: tuple[CodeStatus, ...]
    latest_round: int | None  # the latest round with a recorded offer

    @property
    def total(self) -> int:
        return sum(c.total for c in self.codes)

    @property
    def filled(self) -> int:
        return sum(min(c.filled, c.total) for c in self.codes)

    @property
    def all_filled(self) -> bool:
        return self.total > 0 and all(c.filled >= c.total for c in self.codes)


@dataclass(frozen=True)
class PositionsChange:
    before: dict[str, int]
    after: dict[str, int]
    status: PositionsStatus

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class StoredOffer:
    candidate_id: int
    aamc_id: str
    name: str
    round: int
    code: str
    status: OfferStatus
    recorded_by: str


@dataclass(frozen=True)
class FilledSeat:
    code: str
    aamc_id: str
    name: str
    round: int


@dataclass(frozen=True)
class OfferResult:
    candidate_id: int
    aamc_id: str
    name: str
    round: int
    code: str
    before: OfferStatus | None
    after: OfferStatus
    status: PositionsStatus
    code_status: CodeStatus
    all_filled_now: bool  # this change filled the program's last open position
    reminders_cancelled: int
    seats: tuple[FilledSeat, ...]  # every accepted offer (for the all-filled summary)
    warning: str | None = None

    @property
    def changed(self) -> bool:
        return self.before is not self.after


@dataclass(frozen=True)
class ProjectedOffer:
    aamc_id: str
    name: str


@dataclass(frozen=True)
class CodeNext:
    code: str
    label: str
    total: int
    filled: int
    open: int
    offers: tuple[ProjectedOffer, ...]
    unfilled_after: int
    listed: int  # applicants on this code's list
    skipped: int  # listed applicants R3 passes over (accepted, withdrawn, refused this code…)
    locked: bool  # from a locked or certified list; False: the current order, not locked
    source: str = "locked"  # a `bot.domain.r3_rounds.ListSource` value: certified | locked | carried | current
    source_round: int | None = None  # the round the list was locked for (carried: an earlier one)
    # Who it offers to if every offer with no answer yet is accepted; None: the same people either way.
    if_accepted: tuple[ProjectedOffer, ...] | None = None

    @property
    def title(self) -> str:
        return f"{self.code} {self.label}" if self.label and self.label != self.code else self.code


@dataclass(frozen=True)
class NextRound:
    program_id: int
    round: int
    locked: bool  # every code's list of the round is locked
    locked_by: str | None
    locked_at: datetime | None
    codes: tuple[CodeNext, ...]
    assumed_expired: tuple[StoredOffer, ...]  # closed rounds' offers with no answer recorded: unknown
    list_size: int
    still_open: tuple[StoredOffer, ...] = ()  # offers of the round running now: open until `open_until`
    open_until: datetime | None = None

    @property
    def depends_on_answers(self) -> bool:
        return any(c.if_accepted is not None for c in self.codes)

    @property
    def total_offers(self) -> int:
        return sum(len(c.offers) for c in self.codes)


@dataclass(frozen=True)
class OfferCleared:
    """A mistaken offer record removed, and what that changed in the next round's projection."""

    aamc_id: str
    name: str
    round: int
    code: str
    status: OfferStatus
    next_round: int | None
    offers_before: tuple[tuple[str, tuple[str, ...]], ...]  # (code, AAMC IDs R3 would offer to) before
    offers_after: tuple[tuple[str, tuple[str, ...]], ...]
    names: Mapping[str, str]
    status_after: PositionsStatus


@dataclass(frozen=True)
class AvailabilityResult:
    candidate_id: int
    aamc_id: str
    name: str
    before: Availability
    after: Availability
    in_round: int | None = None  # it happened in this round: out from the next round's offers on
    kind: PositionKind | None = None  # the kind of position accepted elsewhere, when known
    updated: bool | None = None  # None: changed when the status did

    @property
    def changed(self) -> bool:
        return self.updated if self.updated is not None else self.before is not self.after
