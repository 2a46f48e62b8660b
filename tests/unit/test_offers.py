"""Offers per NRMP program code as R3 makes them, against hand-worked rounds (DOMAIN.md §2)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.offers import (
    Availability,
    OfferOutcome,
    OfferStatus,
    check_new_offer,
    positions_summary,
    project_next_round,
    unrecorded_offers,
)

CAT, PRE = "1234140C0", "1234140P0"
OFFERED, ACCEPTED, REJECTED, EXPIRED = (OfferStatus.OFFERED, OfferStatus.ACCEPTED, OfferStatus.REJECTED,
                                        OfferStatus.EXPIRED)


def out(aamc_id: str, code: str, round_number: int, status: OfferStatus) -> OfferOutcome:
    return OfferOutcome(aamc_id, code, round_number, status)


def test_round_one_offers_each_codes_top_applicants_up_to_its_positions() -> None:
    # "11" applied to both codes and tops both lists: R3 offers on both at once.
    lists = {CAT: ["11", "12", "13", "14"], PRE: ["11", "15", "16"]}
    proj = project_next_round(lists, [], {CAT: 2, PRE: 1}, 1)
    assert proj.codes[CAT].offers == ("11", "12")
    assert proj.codes[PRE].offers == ("11",)
    assert proj.total_offers == 3


def test_the_applicant_top_of_both_lists_accepts_one_and_leaves_the_other() -> None:
    # Hand-worked: round 1 offered 11+12 on C (2 positions) and 11 on P (1 position).
    # 11 accepted C, 12 rejected C; 11's P offer lapsed with their acceptance.
    lists = {CAT: ["11", "12", "13", "14"], PRE: ["11", "15", "16"]}
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, REJECTED), out("11", PRE, 1, EXPIRED)]
    proj = project_next_round(lists, outcomes, {CAT: 2, PRE: 1}, 2)
    assert (proj.codes[CAT].filled, proj.codes[CAT].open, proj.codes[CAT].offers) == (1, 1, ("13",))
    assert (proj.codes[PRE].filled, proj.codes[PRE].open, proj.codes[PRE].offers) == (0, 1, ("15",))
    assert proj.codes[PRE].skipped["11"].startswith("accepted")


def test_an_unrecorded_offer_of_the_last_round_holds_nothing() -> None:
    # Round 1: P's offer to 15 was never answered in the bot. R3 expired it before round 2, so the
    # position is open again and 15 is not offered again by P.
    lists = {CAT: ["11", "12", "13"], PRE: ["15", "16"]}
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, REJECTED), out("15", PRE, 1, OFFERED)]
    proj = project_next_round(lists, outcomes, {CAT: 2, PRE: 1}, 2)
    assert proj.codes[PRE].open == 1
    assert proj.codes[PRE].offers == ("16",)
    assert proj.assumed_expired == (out("15", PRE, 1, OFFERED),)
    assert proj.codes[CAT].offers == ("13",)


def test_accepted_elsewhere_and_withdrawn_leave_every_list() -> None:
    lists = {CAT: ["11", "12", "13"], PRE: ["12", "14"]}
    gone = {"11": Availability.ACCEPTED_ELSEWHERE, "12": Availability.WITHDRAWN, "13": Availability.AVAILABLE}
    proj = project_next_round(lists, [], {CAT: 1, PRE: 1}, 1, unavailable=gone)
    assert proj.codes[CAT].offers == ("13",)
    assert proj.codes[PRE].offers == ("14",)
    assert proj.codes[CAT].skipped == {"11": "accepted-elsewhere", "12": "withdrawn"}


def test_a_refusal_bars_the_same_code_only() -> None:
    lists = {CAT: ["11", "12"], PRE: ["11", "13"]}
    proj = project_next_round(lists, [out("11", CAT, 1, REJECTED)], {CAT: 1, PRE: 1}, 2)
    assert proj.codes[CAT].offers == ("12",)
    assert proj.codes[PRE].offers == ("11",)


def test_fewer_eligible_than_open_positions_leaves_positions_unfilled() -> None:
    proj = project_next_round({CAT: ["11"]}, [], {CAT: 3}, 1)
    assert proj.codes[CAT].offers == ("11",)
    assert proj.codes[CAT].unfilled_after == 2


def test_outcomes_of_the_round_projected_or_later_are_an_input_error() -> None:
    with pytest.raises(ValueError, match="has not run yet"):
        project_next_round({CAT: ["11"]}, [out("11", CAT, 2, OFFERED)], {CAT: 1}, 2)
    with pytest.raises(ValueError, match="unknown code"):
        project_next_round({CAT: ["11"]}, [out("11", PRE, 1, OFFERED)], {CAT: 1}, 2)


def test_re_offer_on_the_same_code_is_refused_naming_the_round() -> None:
    history = [out("11", CAT, 1, REJECTED)]
    verdict = check_new_offer(history, CAT, 2, OFFERED)
    assert verdict.refusal is not None
    assert "rejected in round 1" in verdict.refusal


def test_re_offer_on_the_other_code_is_allowed_with_a_warning() -> None:
    verdict = check_new_offer([out("11", CAT, 1, EXPIRED)], PRE, 2, OFFERED)
    assert verdict.refusal is None
    assert verdict.warning is not None
    assert "unverified" in verdict.warning


def test_after_accepting_nothing_more_is_offered_but_the_same_rounds_other_offer_may_be_recorded() -> None:
    history = [out("11", CAT, 1, ACCEPTED)]
    assert check_new_offer(history, PRE, 1, OFFERED).refusal is None  # they held both offers in round 1
    assert check_new_offer(history, PRE, 1, ACCEPTED).refusal is not None  # but accept only one
    assert check_new_offer(history, PRE, 2, OFFERED).refusal is not None
    assert check_new_offer([], CAT, 1, OFFERED, Availability.ACCEPTED_ELSEWHERE).refusal is not None


def test_only_acceptances_fill_positions() -> None:
    summary = positions_summary({CAT: 2}, [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, OFFERED)])
    assert (summary[CAT].filled, summary[CAT].open) == (1, 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["11", "12", "13", "14", "15"]), unique=True),
       st.integers(min_value=0, max_value=4),
       st.lists(st.tuples(st.sampled_from(["11", "12", "13", "14", "15"]),
                          st.sampled_from(list(OfferStatus))), unique_by=lambda t: t[0]))
def test_never_more_offers_than_open_positions_and_never_to_someone_who_accepted(
        ranked: list[str], total: int, history: list[tuple[str, OfferStatus]]) -> None:
    outcomes = [out(a, CAT, 1, s) for a, s in history]
    proj = project_next_round({CAT: ranked}, outcomes, {CAT: total}, 2)
    code = proj.codes[CAT]
    assert len(code.offers) <= code.open
    accepted = {a for a, s in history if s is ACCEPTED}
    assert not accepted & set(code.offers)
    assert not {a for a, s in history} & set(code.offers)  # one code: any earlier offer ends it
    assert list(code.offers) == [a for a in ranked if a in code.offers]


# --- offers R3 made that nobody recorded --------------------------------------------------------------


def test_offers_nobody_recorded_are_those_r3_made_from_the_locked_list_and_they_bar_that_code() -> None:
    positions = {CAT: 1, PRE: 1}
    locked = {1: {CAT: ["A", "B"], PRE: ["B", "C"]}}
    # Round 1 went out from the locked lists; nothing was recorded in the war room.
    inferred = unrecorded_offers(locked, [], positions, before_round=2)
    assert inferred == (out("A", CAT, 1, OFFERED), out("B", PRE, 1, OFFERED))
    # Every offer expires before round 2, and an expired offer bars its code: round 2 goes down the list.
    round_two = project_next_round({CAT: ["A", "B"], PRE: ["B", "C"]}, inferred, positions, 2)
    assert round_two.codes[CAT].offers == ("B",)
    assert round_two.codes[PRE].offers == ("C",)


def test_a_recorded_outcome_is_never_second_guessed_and_only_locked_rounds_are_inferred() -> None:
    positions = {CAT: 1, PRE: 1}
    locked = {1: {CAT: ["A", "B"], PRE: ["A", "D"]}}  # round 2 was never locked here: R3 used its own list
    recorded = [out("A", CAT, 1, ACCEPTED)]
    inferred = unrecorded_offers(locked, recorded, positions, before_round=3)
    assert inferred == (out("A", PRE, 1, OFFERED),)  # R3 offered A both codes; A took the categorical one
    round_three = project_next_round({CAT: ["A", "B"], PRE: ["A", "D"]}, [*recorded, *inferred], positions, 3)
    assert round_three.codes[CAT].offers == ()  # filled by A
    assert round_three.codes[PRE].offers == ("D",)  # A accepted elsewhere in effect: gone from every list


def test_an_applicant_out_of_soap_before_a_round_was_skipped_by_r3_in_that_round_only() -> None:
    positions = {CAT: 1}
    locked = {1: {CAT: ["A", "B", "C"]}, 2: {CAT: ["A", "B", "C"]}}
    # A withdrew before round 1: R3 offered B in round 1, then C in round 2.
    withdrawn = {1: {"A": Availability.WITHDRAWN}, 2: {"A": Availability.WITHDRAWN}}
    assert unrecorded_offers(locked, [], positions, 3, withdrawn) == (out("B", CAT, 1, OFFERED),
                                                                      out("C", CAT, 2, OFFERED))
    # A withdrew only during round 2: R3 had offered A in round 1, and B in round 2.
    late = {1: {}, 2: {"A": Availability.WITHDRAWN}}
    assert unrecorded_offers(locked, [], positions, 3, late) == (out("A", CAT, 1, OFFERED),
                                                                 out("B", CAT, 2, OFFERED))
