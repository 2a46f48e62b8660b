"""Who R3 offers next, as R3 decides it: scenarios A–G worked by hand on plain values.

Calendar (DOMAIN.md §1, 2027): Thursday 18 March, US Eastern = UTC-4 after daylight time starts.
Round 1 offers 09:00–11:00 ET, round 2 12:00–14:00, round 3 15:00–17:00; each list deadline is
5 minutes before its round's offers (the bot's default lead, an assumption).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.offers import (
    Availability,
    OfferOutcome,
    OfferStatus,
    PositionKind,
    check_new_offer,
    project_next_round,
)
from bot.domain.preference_list import Ballot, Vote, aggregate, code_ballots
from bot.domain.r3_rounds import (
    LeftSoap,
    ListSource,
    SavedList,
    coming_list,
    list_used,
    live_round,
    out_from_round,
    plan_round,
)

CAT, PRE, ADV = "1234140C0", "1234140P0", "1234140A0"
OFFERED, ACCEPTED, REJECTED = OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.REJECTED


def et(hour: int, minute: int = 0, day: int = 18) -> datetime:
    return datetime(2027, 3, day, hour + 4, minute, tzinfo=UTC)  # EDT is UTC-4


OFFERS_AT = {1: et(9), 2: et(12), 3: et(15)}
DEADLINE = {n: at - timedelta(minutes=5) for n, at in OFFERS_AT.items()}
WINDOWS = {n: (at, at + timedelta(hours=2)) for n, at in OFFERS_AT.items()}


def outcome(aamc: str, code: str, rnd: int, status: OfferStatus) -> OfferOutcome:
    return OfferOutcome(aamc, code, rnd, status)


# A. Round 2 keeps round 1's certified list: the offer to C is R3's, and round 3 offers D, never C.
def test_a_a_round_without_a_new_list_keeps_the_last_certified_one() -> None:
    round_1 = SavedList(CAT, 1, ("A", "B", "C", "D", "E"), certified_at=et(8, 40))
    used_2 = list_used([round_1], CAT, 2, DEADLINE[2])
    assert used_2 == round_1  # so recording "C offered in round 2" is accepted
    assert coming_list([round_1], CAT, 3, current=("E", "D")).source is ListSource.CARRIED
    recorded = [outcome("A", CAT, 1, ACCEPTED), outcome("B", CAT, 1, REJECTED), outcome("C", CAT, 2, OFFERED)]
    plan = plan_round(3, {CAT: round_1.ids}, {1: {CAT: round_1.ids}, 2: {CAT: round_1.ids}}, recorded, {CAT: 2}, [])
    assert plan.if_lapsed.codes[CAT].offers == ("D",)  # one open: A filled one; B refused; C's offer lapsed
    assert plan.if_accepted.codes[CAT].offers == ()  # if C accepted, both are filled
    # Nothing recorded for round 2 at all: R3 still offered C from round 1's list.
    plan = plan_round(3, {CAT: round_1.ids}, {1: {CAT: round_1.ids}, 2: {CAT: round_1.ids}}, recorded[:2], {CAT: 2}, [])
    assert plan.inferred == (outcome("C", CAT, 2, OFFERED),)
    assert plan.if_lapsed.codes[CAT].offers == ("D",)


# B. X accepted elsewhere during round 1, typed after round 2's offers went out: R3 skipped X in round 2.
def test_b_availability_counts_from_the_round_it_names_not_from_when_it_was_typed() -> None:
    lst = ("A", "X", "Y", "Z")
    typed_at = et(12, 30)
    recorded = [outcome("A", CAT, 1, REJECTED)]
    with_round = LeftSoap("X", Availability.ACCEPTED_ELSEWHERE, out_from_round(typed_at, 1, OFFERS_AT))
    assert with_round.from_round == 2
    plan = plan_round(3, {CAT: lst}, {1: {CAT: lst}, 2: {CAT: lst}}, recorded, {CAT: 1}, [with_round])
    assert plan.inferred == (outcome("Y", CAT, 2, OFFERED),)
    assert plan.if_lapsed.codes[CAT].offers == ("Z",)
    # Without a round it counts from when it was typed: out from round 3, so R3 did offer X in round 2.
    as_of_now = LeftSoap("X", Availability.ACCEPTED_ELSEWHERE, out_from_round(typed_at, None, OFFERS_AT))
    assert as_of_now.from_round == 3
    plan = plan_round(3, {CAT: lst}, {1: {CAT: lst}, 2: {CAT: lst}}, recorded, {CAT: 1}, [as_of_now])
    assert plan.inferred == (outcome("X", CAT, 2, OFFERED),)
    assert plan.if_lapsed.codes[CAT].offers == ("Y",)


# C. A list locked in the war room but never recorded as certified is not what R3 used.
def test_c_locked_is_not_certified() -> None:
    locked_only = SavedList(CAT, 1, ("A", "B"), certified_at=None)
    assert list_used([locked_only], CAT, 1, DEADLINE[1]) is None
    assert coming_list([locked_only], CAT, 1, current=()).source is ListSource.LOCKED
    assert coming_list([locked_only], CAT, 2, current=("B", "A")).source is ListSource.CURRENT
    late = SavedList(CAT, 1, ("A", "B"), certified_at=et(9, 10))  # certified after round 1's deadline
    assert list_used([late], CAT, 1, DEADLINE[1]) is None
    assert list_used([late], CAT, 2, DEADLINE[2]) == late


# D. A's round-1 offer has no answer recorded: round 2 is B only if A did not accept.
def test_d_an_unrecorded_answer_gives_both_branches() -> None:
    lst = ("A", "B", "C")
    plan = plan_round(2, {CAT: lst}, {1: {CAT: lst}}, [], {CAT: 1}, [])
    assert plan.unanswered == (outcome("A", CAT, 1, OFFERED),)
    assert plan.if_lapsed.codes[CAT].offers == ("B",)
    assert plan.if_accepted.codes[CAT].offers == ()
    assert plan.depends_on_answers
    recorded = plan_round(2, {CAT: lst}, {1: {CAT: lst}}, [outcome("A", CAT, 1, REJECTED)], {CAT: 1}, [])
    assert not recorded.depends_on_answers and recorded.if_accepted.codes[CAT].offers == ("B",)


# E. A preliminary (PGY-1 only) position and an advanced one are held together.
def test_e_advanced_with_preliminary() -> None:
    lists = {PRE: ("11", "12"), ADV: ("11", "13"), CAT: ("11", "14")}
    after = project_next_round(lists, [outcome("11", PRE, 1, ACCEPTED)], {PRE: 1, ADV: 1, CAT: 1}, 2)
    assert after.codes[ADV].offers == ("11",)  # still on the advanced list
    assert after.codes[CAT].offers == ("14",)  # a categorical position is a whole residency
    assert check_new_offer([outcome("11", PRE, 1, ACCEPTED)], ADV, 2, ACCEPTED).refusal is None
    assert check_new_offer([outcome("11", PRE, 1, ACCEPTED)], CAT, 2, OFFERED).refusal is not None
    # Accepted an advanced position elsewhere: stays on preliminary lists, leaves categorical ones.
    elsewhere = project_next_round(lists, [], {PRE: 1, ADV: 1, CAT: 1}, 1, {"11": Availability.ACCEPTED_ELSEWHERE},
                                   {"11": PositionKind.ADVANCED})
    assert (elsewhere.codes[PRE].offers, elsewhere.codes[ADV].offers, elsewhere.codes[CAT].offers) == (
        ("11",), ("13",), ("14",))
    assert check_new_offer([], PRE, 1, OFFERED, Availability.ACCEPTED_ELSEWHERE, PositionKind.ADVANCED).refusal is None
    assert check_new_offer([], CAT, 1, OFFERED, Availability.ACCEPTED_ELSEWHERE, PositionKind.ADVANCED).refusal


# F. 09:05 on Thursday: round 1's offers are open until 11:00 and nothing is recorded.
def test_f_a_live_round_is_open_not_lapsed() -> None:
    assert live_round(et(9, 5), WINDOWS) == 1
    assert live_round(et(11, 30), WINDOWS) is None
    lst = ("A", "B", "C")
    plan = plan_round(2, {CAT: lst}, {1: {CAT: lst}}, [], {CAT: 1}, [])
    assert plan.unanswered == (outcome("A", CAT, 1, OFFERED),)  # open, not lapsed: the caller knows it is live
    assert (plan.if_lapsed.codes[CAT].offers, plan.if_accepted.codes[CAT].offers) == (("B",), ())


# G. The preliminary list is ordered by its own ballots; a member without one counts with their general ballot.
def test_g_a_ballot_per_code() -> None:
    general = [Ballot("U1", {"N": Vote.RANK_HIGH, "O": Vote.RANK, "P": Vote.RANK}, ("N", "O", "P")),
               Ballot("U2", {"N": Vote.RANK_HIGH, "O": Vote.RANK, "P": Vote.RANK}, ("N", "O", "P")),
               Ballot("U3", {"N": Vote.RANK, "O": Vote.RANK, "P": Vote.RANK}, ("N", "O", "P"))]
    assert aggregate(["N", "O", "P"], general).order == ("N", "O", "P")
    ballots, given = code_ballots(general, {"U1": ["O", "P", "N"], "U2": ["O", "N", "P"]})
    assert given == 2 and [b.member for b in ballots] == ["U1", "U2", "U3"]
    assert ballots[2] is general[2]  # no ballot for the code: the general one counts
    assert aggregate(["N", "O", "P"], ballots).order[0] == "O"  # two of three put O first on this code
