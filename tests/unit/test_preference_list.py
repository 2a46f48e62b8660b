"""Committee ballots -> preference list: Schulze examples, pins, exclusion, ties, tallies."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.preference_list import (
    Ballot,
    Vote,
    aggregate,
    pairwise_matrix,
    schulze_order,
)

H, R, IN, DNR = Vote.RANK_HIGH, Vote.RANK, Vote.IF_NEEDED, Vote.DO_NOT_RANK


def ranked_ballots(profile: list[tuple[int, str]]) -> list[Ballot]:
    """Full rankings, e.g. (5, "ACBED") = five voters ranking A > C > B > E > D."""
    ballots: list[Ballot] = []
    for count, order in profile:
        for _ in range(count):
            ballots.append(Ballot(member=f"U{len(ballots):03d}", ordering=tuple(order)))
    return ballots


# --------------------------------------------------------------------------- published examples


WIKIPEDIA_45 = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


def test_wikipedia_45_voter_example_pairwise_counts() -> None:
    d = pairwise_matrix(list("ABCDE"), ranked_ballots(WIKIPEDIA_45))
    expected = [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    assert d.tolist() == expected


def test_wikipedia_45_voter_example_ranking_is_e_a_c_b_d() -> None:
    assert schulze_order(list("ABCDE"), ranked_ballots(WIKIPEDIA_45)) == [["E"], ["A"], ["C"], ["B"], ["D"]]


def test_wikipedia_schwartz_set_example_30_voters() -> None:
    # Wikipedia "Schulze method" (Schwartz set heuristic section): winner C; full ranking C > D > B > A.
    ballots = ranked_ballots([(3, "ACDB"), (9, "BACD"), (8, "CDAB"), (5, "DABC"), (5, "DBCA")])
    assert schulze_order(list("ABCD"), ballots) == [["C"], ["D"], ["B"], ["A"]]


def pairwise_only(defeats: list[tuple[str, str, int]], candidates: str) -> list[Ballot]:
    """Ballots that each express exactly one pairwise preference x > y.

    The other candidates are marked do-not-rank on that ballot, which (per the
    partial-order rules) makes them incomparable with x and y and with each other.
    """
    ballots: list[Ballot] = []
    for x, y, strength in defeats:
        others = {c: DNR for c in candidates if c not in (x, y)}
        for _ in range(strength):
            ballots.append(Ballot(member=f"U{len(ballots):03d}", scale=others, ordering=(x, y)))
    return ballots


def test_schulze_example_with_tied_winners() -> None:
    # Example posted by M. Schulze (election-methods list, Nov 2011) for a non-unique winner:
    # defeats D>B 5, C>B 4, A>C 3, B>A 2, C>D 2, D>A 1. Strongest paths give A>B, A>C, C>B, D>B,
    # while A~D and C~D are tied (2 both ways): A and D are both potential winners.
    ballots = pairwise_only(
        [("D", "B", 5), ("C", "B", 4), ("A", "C", 3), ("B", "A", 2), ("C", "D", 2), ("D", "A", 1)], "ABCD"
    )
    d = pairwise_matrix(list("ABCD"), ballots)
    assert d[3, 1] == 5
    assert d[1, 3] == 0
    assert schulze_order(list("ABCD"), ballots) == [["A", "D"], ["C"], ["B"]]


def test_four_candidate_nine_voter_tie() -> None:
    # 3 ABCD, 2 DABC, 2 DBCA, 2 CBDA: links A>B 5, A>C 5, D>A 6, B>C 7, B>D 5, C>D 5.
    # p[B,D] = p[D,B] = 5 and p[A,C] = p[C,A] = 5; B beats C (7 vs 5), D beats A (6 vs 5).
    ballots = ranked_ballots([(3, "ABCD"), (2, "DABC"), (2, "DBCA"), (2, "CBDA")])
    assert schulze_order(list("ABCD"), ballots) == [["B", "D"], ["A", "C"]]


def test_an_even_pairwise_split_is_not_a_defeat() -> None:
    # C beats A 2-0, A and B split 1-1, B and C never compared. An even split must not become a
    # link (else C would reach B through A): B and C share the top, A comes last.
    ballots = pairwise_only([("C", "A", 2), ("A", "B", 1), ("B", "A", 1)], "ABC")
    assert schulze_order(list("ABC"), ballots) == [["B", "C"], ["A"]]


def test_condorcet_cycle_is_a_three_way_tie() -> None:
    ballots = ranked_ballots([(1, "ABC"), (1, "BCA"), (1, "CAB")])
    assert schulze_order(list("ABC"), ballots) == [["A", "B", "C"]]


# --------------------------------------------------------------------------- ballot partial order


def test_explicit_ordering_beats_scale_votes() -> None:
    b = Ballot("U1", scale={"1": IN, "2": H}, ordering=("1", "2"))
    assert b.prefers("1", "2")
    assert not b.prefers("2", "1")
    assert b.contradictions() == (("1", "2"),)


def test_scale_decides_when_not_both_ordered() -> None:
    b = Ballot("U1", scale={"1": H, "2": R, "3": IN, "4": DNR}, ordering=("3",))
    assert b.prefers("1", "2")
    assert b.prefers("2", "3")
    assert b.prefers("3", "4")
    assert not b.prefers("3", "1")


def test_equal_votes_express_no_preference() -> None:
    b = Ballot("U1", scale={"1": R, "2": R})
    assert not b.prefers("1", "2")
    assert not b.prefers("2", "1")


def test_unmentioned_candidates_sit_below_mentioned_ones_but_not_below_do_not_rank() -> None:
    b = Ballot("U1", scale={"1": IN, "2": DNR}, ordering=("5",))
    assert b.prefers("1", "9")  # if-needed beats someone the member never looked at
    assert b.prefers("5", "9")  # ordering-only candidates count as mentioned
    assert not b.prefers("2", "9")
    assert not b.prefers("9", "2")
    assert not b.prefers("8", "9")
    assert not b.prefers("9", "8")


def test_ordering_only_vs_scale_only_expresses_nothing() -> None:
    b = Ballot("U1", scale={"2": DNR}, ordering=("1",))
    assert not b.prefers("1", "2")
    assert not b.prefers("2", "1")


def test_ballot_rejects_a_repeated_candidate_in_ordering() -> None:
    with pytest.raises(ValueError, match="twice"):
        Ballot("U1", ordering=("1", "2", "1"))


def test_ballot_accepts_typed_votes() -> None:
    b = Ballot("U1", scale={"1": "dnr", "2": "rank-high"})  # type: ignore[dict-item]
    assert b.scale == {"1": DNR, "2": H}


@pytest.mark.parametrize(
    ("text", "vote"),
    [
        ("high", H),
        ("Rank-High", H),
        ("rank high", H),
        ("rank", R),
        ("if-needed", IN),
        ("Only if needed", IN),
        ("dnr", DNR),
        ("DNR", DNR),
        ("do not rank", DNR),
        ("don’t rank", DNR),
    ],
)
def test_vote_parse_accepts_common_spellings(text: str, vote: Vote) -> None:
    assert Vote.parse(text) is vote


def test_vote_parse_rejects_unknown_text() -> None:
    with pytest.raises(ValueError, match="not a vote"):
        Vote.parse("excellent")


# --------------------------------------------------------------------------- aggregate: pins, exclusion


CANDS = ["10000001", "10000002", "10000003", "10000004"]
A, B, C, D = CANDS


def test_pins_come_first_in_given_order_even_against_the_votes() -> None:
    ballots = [
        Ballot("U1", ordering=(A, B, C, D)),
        Ballot("U2", ordering=(A, B, C, D)),
        Ballot("U3", ordering=(A, B, C, D), scale={D: DNR}),
    ]
    result = aggregate(CANDS, ballots, pins=[D, C])
    assert result.order == (D, C, A, B)
    assert [e.pinned for e in result.entries] == [True, True, False, False]
    assert [e.rank for e in result.entries] == [1, 2, 3, 4]


def test_pinned_candidate_stays_even_if_majority_says_do_not_rank() -> None:
    ballots = [Ballot(f"U{i}", scale={A: DNR, B: R}) for i in range(3)]
    result = aggregate(CANDS[:2], ballots, pins=[A])
    assert result.order == (A, B)
    assert result.excluded == ()


def test_pin_must_be_a_candidate() -> None:
    with pytest.raises(ValueError, match="pinned"):
        aggregate(CANDS, [], pins=["99999999"])


def test_strict_majority_do_not_rank_is_excluded_but_half_is_not() -> None:
    ballots = [
        Ballot("U1", scale={A: DNR, B: DNR, C: R, D: R}),
        Ballot("U2", scale={A: DNR, B: DNR, C: R, D: R}),
        Ballot("U3", scale={A: DNR, B: R, C: R, D: R}),
        Ballot("U4", scale={A: R, B: R, C: R, D: R}),
    ]
    result = aggregate(CANDS, ballots)
    assert result.excluded == (A,)  # 3 of 4 said do not rank
    assert B in result.order  # 2 of 4 is not a strict majority
    assert len(result.entries) == 3


def test_duplicate_member_ballots_are_refused() -> None:
    with pytest.raises(ValueError, match="one per member"):
        aggregate(CANDS, [Ballot("U1"), Ballot("U1")])


# --------------------------------------------------------------------------- aggregate: ties


def tied_pair_ballots() -> list[Ballot]:
    # U1 prefers A to B, U2 prefers B to A; both put A and B above C.
    return [Ballot("U1", ordering=(A, B, C)), Ballot("U2", ordering=(B, A, C))]


def test_ties_are_shown_as_a_shared_group() -> None:
    result = aggregate([A, B, C], tied_pair_ballots())
    first, second, third = result.entries
    assert first.tied
    assert second.tied
    assert not third.tied
    assert first.tie_group == second.tie_group != third.tie_group
    assert result.tie_groups() == ((A, B),)
    assert third.candidate == C


def test_tie_broken_by_director_ballot_first() -> None:
    director = Ballot("UDIR", scale={A: R, B: H})
    result = aggregate([A, B, C], tied_pair_ballots(), director_ballot=director, bucket_rank={A: 1, B: 2})
    assert result.order == (B, A, C)
    assert result.entries[0].tied  # still displayed as a tie


def test_tie_broken_by_bucket_when_director_has_no_view() -> None:
    director = Ballot("UDIR", scale={A: R, B: R})
    result = aggregate([A, B, C], tied_pair_ballots(), director_ballot=director, bucket_rank={A: 3, B: 1})
    assert result.order == (B, A, C)


def test_candidate_without_bucket_sorts_after_bucketed() -> None:
    result = aggregate([A, B, C], tied_pair_ballots(), bucket_rank={B: 4})
    assert result.order == (B, A, C)


def test_tie_broken_by_aamc_id_last() -> None:
    ballots = [Ballot("U1", ordering=("20000000", "9000000")), Ballot("U2", ordering=("9000000", "20000000"))]
    result = aggregate(["20000000", "9000000"], ballots)
    assert result.order == ("9000000", "20000000")  # numeric ascending, not string order


def test_director_preference_through_a_chain() -> None:
    # All three tied for the committee (a 3-cycle); the director prefers C over A over B.
    ballots = [
        Ballot("U1", ordering=(A, B, C)),
        Ballot("U2", ordering=(B, C, A)),
        Ballot("U3", ordering=(C, A, B)),
    ]
    director = Ballot("UDIR", ordering=(C, A, B))
    result = aggregate([A, B, C], ballots, director_ballot=director)
    assert result.order == (C, A, B)
    assert result.tie_groups() == ((C, A, B),)


# --------------------------------------------------------------------------- tallies


def test_support_dissent_and_not_voted() -> None:
    ballots = [
        Ballot("U2", scale={A: H, B: DNR}),
        Ballot("U1", scale={A: R, B: IN}),
        Ballot("U3", ordering=(B,)),
    ]
    result = aggregate([A, B], ballots, committee=["U1", "U2", "U3", "U4"])
    assert result.support[A] == ("U1", "U2")
    assert result.dissent[B] == ("U2",)
    assert result.support[B] == ()  # if-needed and ordering-only are not support
    assert result.not_voted[A] == ("U3", "U4")
    assert result.not_voted[B] == ("U4",)  # U3 placed B in their ordering


def test_not_voted_defaults_to_ballot_authors() -> None:
    result = aggregate([A, B], [Ballot("U1", scale={A: R}), Ballot("U2", scale={B: R})])
    assert result.not_voted[A] == ("U2",)


# --------------------------------------------------------------------------- speed


def test_300_candidates_15_ballots_aggregate_quickly() -> None:
    rng = random.Random(7)
    cands = [str(10_000_000 + i) for i in range(300)]
    ballots = [
        Ballot(
            f"U{m}",
            scale={c: rng.choice(list(Vote)) for c in rng.sample(cands, 200)},
            ordering=tuple(rng.sample(cands, 40)),
        )
        for m in range(15)
    ]
    best = min(_timed(lambda: aggregate(cands, ballots)) for _ in range(3))
    assert best < 0.3


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --------------------------------------------------------------------------- properties

IDS = [str(10_000_000 + i) for i in range(8)]


@st.composite
def ballot_sets(draw: st.DrawFn, candidates: list[str] = IDS) -> list[Ballot]:
    n_ballots = draw(st.integers(min_value=0, max_value=6))
    ballots = []
    for m in range(n_ballots):
        scale = draw(st.dictionaries(st.sampled_from(candidates), st.sampled_from(list(Vote)), max_size=8))
        ordering = draw(st.lists(st.sampled_from(candidates), unique=True, max_size=8))
        ballots.append(Ballot(f"U{m}", scale=scale, ordering=tuple(ordering)))
    return ballots


@settings(max_examples=150, deadline=None)
@given(ballots=ballot_sets())
def test_vectorised_pairwise_matches_the_per_pair_rule(ballots: list[Ballot]) -> None:
    d = pairwise_matrix(IDS, ballots)
    expected = np.array([[sum(b.prefers(a, c) for b in ballots) for c in IDS] for a in IDS])
    assert (d == expected).all()


@settings(max_examples=150, deadline=None)
@given(data=st.data(), ballots=ballot_sets())
def test_everyone_first_means_listed_first(data: st.DataObject, ballots: list[Ballot]) -> None:
    winner = data.draw(st.sampled_from(IDS))
    others = [c for c in IDS if c != winner]
    forced = []
    for b in ballots or [Ballot("U0")]:
        # Put the winner first in the ordering and vote it rank-high; nobody else off-ordering is rank-high.
        scale = {c: (v if v is not H else R) for c, v in b.scale.items() if c != winner}
        scale[winner] = H
        ordering = (winner, *[c for c in b.ordering if c != winner])
        forced.append(Ballot(b.member, scale=scale, ordering=ordering))
    result = aggregate(IDS, forced)
    assert result.entries[0].candidate == winner
    assert not result.entries[0].tied
    assert set(others) - set(result.excluded) <= set(result.order)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), ballots=ballot_sets())
def test_output_is_a_permutation_of_the_non_excluded(data: st.DataObject, ballots: list[Ballot]) -> None:
    pins = data.draw(st.lists(st.sampled_from(IDS), unique=True, max_size=3))
    result = aggregate(IDS, ballots, pins=pins)
    assert sorted(result.order) == sorted(c for c in IDS if c not in result.excluded)
    assert not set(result.excluded) & set(pins)
    assert result.order[: len(pins)] == tuple(pins)
    assert [e.rank for e in result.entries] == list(range(1, len(result.entries) + 1))


@settings(max_examples=100, deadline=None)
@given(data=st.data(), ballots=ballot_sets())
def test_result_does_not_depend_on_ballot_or_candidate_order(data: st.DataObject, ballots: list[Ballot]) -> None:
    shuffled_ballots = data.draw(st.permutations(ballots))
    shuffled_cands = data.draw(st.permutations(IDS))
    director = ballots[0] if ballots else None
    buckets = {c: i % 3 for i, c in enumerate(IDS[:5])}
    one = aggregate(IDS, ballots, director_ballot=director, bucket_rank=buckets)
    two = aggregate(shuffled_cands, shuffled_ballots, director_ballot=director, bucket_rank=buckets)
    assert one == two
