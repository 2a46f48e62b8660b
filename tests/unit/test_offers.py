"""Next-round offer projection: who R3 offers to, per track, after earlier rounds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.offers import (
    ListedApplicant,
    OfferOutcome,
    OfferStatus,
    positions_summary,
    project_next_round,
)

CAT, PRELIM = "categorical", "preliminary"
OFFERED, ACCEPTED, REJECTED, EXPIRED = (
    OfferStatus.OFFERED,
    OfferStatus.ACCEPTED,
    OfferStatus.REJECTED,
    OfferStatus.EXPIRED,
)


def listed(track: str, *ids: str) -> list[ListedApplicant]:
    return [ListedApplicant(a, track) for a in ids]


def out(aamc_id: str, track: str, round_number: int, status: OfferStatus) -> OfferOutcome:
    return OfferOutcome(aamc_id, track, round_number, status)


def test_round_one_offers_to_the_top_of_the_list() -> None:
    proj = project_next_round(listed(CAT, "11", "12", "13", "14"), [], {CAT: 3}, round_number=1)
    cat = proj.tracks[CAT]
    assert cat.offers == ("11", "12", "13")
    assert (cat.total, cat.filled, cat.outstanding, cat.open, cat.unfilled_after) == (3, 0, 0, 3, 0)


def test_declined_applicants_are_skipped_even_if_still_listed() -> None:
    outcomes = [out("11", CAT, 1, REJECTED), out("12", CAT, 1, EXPIRED), out("13", CAT, 1, ACCEPTED)]
    proj = project_next_round(listed(CAT, "11", "12", "13", "14", "15", "16"), outcomes, {CAT: 3}, 2)
    assert proj.tracks[CAT].offers == ("14", "15")  # one of three filled, two open
    assert proj.ineligible == {"11": "rejected", "12": "expired", "13": "accepted"}


def test_positions_filled_in_earlier_rounds_are_not_offered_again() -> None:
    outcomes = [
        out("11", CAT, 1, ACCEPTED),
        out("12", CAT, 1, ACCEPTED),
        out("13", CAT, 1, REJECTED),
        out("14", CAT, 2, ACCEPTED),
    ]
    proj = project_next_round(listed(CAT, "11", "12", "13", "14", "15", "16"), outcomes, {CAT: 4}, 3)
    cat = proj.tracks[CAT]
    assert cat.filled == 3
    assert cat.open == 1
    assert cat.offers == ("15",)


def test_all_positions_filled_means_no_offers() -> None:
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, ACCEPTED)]
    proj = project_next_round(listed(CAT, "11", "12", "13"), outcomes, {CAT: 2}, 2)
    assert proj.tracks[CAT].offers == ()
    assert proj.tracks[CAT].unfilled_after == 0
    assert proj.total_offers == 0


def test_outstanding_offer_holds_its_position() -> None:
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 2, OFFERED)]
    proj = project_next_round(listed(CAT, "11", "12", "13", "14"), outcomes, {CAT: 3}, 3)
    cat = proj.tracks[CAT]
    assert (cat.filled, cat.outstanding, cat.open) == (1, 1, 1)
    assert cat.offers == ("13",)  # 12 is not offered twice
    assert proj.ineligible["12"] == "offer outstanding"


def test_unanswered_offer_from_an_older_round_counts_as_expired() -> None:
    stale = out("12", CAT, 1, OFFERED)
    proj = project_next_round(listed(CAT, "12", "13"), [stale], {CAT: 1}, 3)
    assert proj.tracks[CAT].outstanding == 0
    assert proj.tracks[CAT].offers == ("13",)
    assert proj.assumed_expired == (stale,)
    assert proj.ineligible["12"] == "expired"


def test_list_changed_between_rounds_uses_the_new_list() -> None:
    # Round 1 list was 11, 12, 13 with 2 positions: 11 accepted, 12 rejected.
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, REJECTED)]
    # Between rounds the committee drops 13, adds 21 and 22 and puts 22 first; 12 is re-added by mistake.
    new_list = listed(CAT, "22", "12", "21")
    proj = project_next_round(new_list, outcomes, {CAT: 2}, 2)
    assert proj.tracks[CAT].offers == ("22",)
    assert proj.tracks[CAT].filled == 1  # 11's acceptance still counts although 11 left the list


def test_more_positions_than_listed_applicants() -> None:
    outcomes = [out("11", CAT, 1, REJECTED)]
    proj = project_next_round(listed(CAT, "11", "12", "13"), outcomes, {CAT: 4}, 2)
    cat = proj.tracks[CAT]
    assert cat.offers == ("12", "13")
    assert cat.unfilled_after == 2
    assert proj.total_unfilled_after == 2


def test_tracks_are_counted_and_offered_separately() -> None:
    locked = [
        *listed(CAT, "11", "12", "13"),
        *listed(PRELIM, "31", "12", "32", "33"),
    ]
    outcomes = [
        out("11", CAT, 1, ACCEPTED),
        out("31", PRELIM, 1, ACCEPTED),
        out("32", PRELIM, 1, EXPIRED),
    ]
    proj = project_next_round(locked, outcomes, {CAT: 2, PRELIM: 3, "primary": 1}, 2)
    assert proj.tracks[CAT].offers == ("12",)
    assert proj.tracks[PRELIM].offers == ("12", "33")  # listed on both tracks: offered on both
    assert proj.tracks["primary"].offers == ()
    assert proj.tracks["primary"].unfilled_after == 1
    assert list(proj.tracks) == [CAT, PRELIM, "primary"]


def test_acceptance_on_one_track_removes_the_applicant_from_the_others() -> None:
    locked = [*listed(CAT, "12", "13"), *listed(PRELIM, "12", "14")]
    proj = project_next_round(locked, [out("12", PRELIM, 1, ACCEPTED)], {CAT: 1, PRELIM: 2}, 2)
    assert proj.tracks[CAT].offers == ("13",)
    assert proj.tracks[PRELIM].offers == ("14",)


def test_rejection_on_one_track_ends_offers_from_the_program() -> None:
    locked = [*listed(CAT, "12", "13"), *listed(PRELIM, "12", "14")]
    proj = project_next_round(locked, [out("12", CAT, 1, REJECTED)], {CAT: 1, PRELIM: 1}, 2)
    assert proj.tracks[CAT].offers == ("13",)
    assert proj.tracks[PRELIM].offers == ("14",)


def test_positions_summary_per_track() -> None:
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 2, OFFERED), out("31", PRELIM, 2, REJECTED)]
    summary = positions_summary({CAT: 4, PRELIM: 1}, outcomes, 3)
    assert (summary[CAT].filled, summary[CAT].outstanding, summary[CAT].open) == (1, 1, 2)
    assert summary[PRELIM].open == 1


def test_more_acceptances_than_positions_are_reported_not_hidden() -> None:
    outcomes = [out("11", CAT, 1, ACCEPTED), out("12", CAT, 1, ACCEPTED)]
    summary = positions_summary({CAT: 1}, outcomes, 2)
    assert summary[CAT].open == 0
    assert summary[CAT].over_filled == 1


@pytest.mark.parametrize(
    ("locked", "outcomes", "round_number", "message"),
    [
        (listed("advanced", "11"), [], 1, "unknown track"),
        (listed(CAT, "11", "11"), [], 1, "twice"),
        ([], [out("11", "advanced", 1, ACCEPTED)], 2, "unknown track"),
        ([], [out("11", CAT, 2, ACCEPTED)], 2, "has not run yet"),
        ([], [out("11", CAT, 1, ACCEPTED), out("11", CAT, 1, REJECTED)], 2, "two outcomes"),
        ([], [], 0, "round number"),
    ],
)
def test_inconsistent_input_is_refused(
    locked: list[ListedApplicant], outcomes: list[OfferOutcome], round_number: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        project_next_round(locked, outcomes, {CAT: 2}, round_number)


# --------------------------------------------------------------------------- properties

APPLICANTS = [str(10_000_000 + i) for i in range(12)]
TRACKS = [CAT, PRELIM]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[ListedApplicant], list[OfferOutcome], dict[str, int], int]:
    round_number = draw(st.integers(min_value=1, max_value=4))
    positions = {t: draw(st.integers(min_value=0, max_value=5)) for t in TRACKS}
    locked = [
        ListedApplicant(a, t)
        for t in TRACKS
        for a in draw(st.lists(st.sampled_from(APPLICANTS), unique=True, max_size=10))
    ]
    outcomes: list[OfferOutcome] = []
    if round_number > 1:
        for a in draw(st.lists(st.sampled_from(APPLICANTS), unique=True, max_size=8)):
            outcomes.append(
                OfferOutcome(
                    a,
                    draw(st.sampled_from(TRACKS)),
                    draw(st.integers(min_value=1, max_value=round_number - 1)),
                    draw(st.sampled_from(list(OfferStatus))),
                )
            )
    return locked, outcomes, positions, round_number


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios())
def test_offers_never_exceed_open_positions_nor_reach_ineligible(
    scenario: tuple[list[ListedApplicant], list[OfferOutcome], dict[str, int], int],
) -> None:
    locked, outcomes, positions, round_number = scenario
    proj = project_next_round(locked, outcomes, positions, round_number)
    for track, t in proj.tracks.items():
        assert len(t.offers) + t.unfilled_after == t.open
        assert t.open == max(0, positions[track] - t.filled - t.outstanding)
        assert not set(t.offers) & set(proj.ineligible)
        listed_here = [e.aamc_id for e in locked if e.track == track]
        eligible = [a for a in listed_here if a not in proj.ineligible]
        assert list(t.offers) == eligible[: len(t.offers)]  # top of the list, in order
        assert t.unfilled_after == 0 or len(t.offers) == len(eligible)
