"""Who R3 offers next, as R3 decides it (scenarios A, B, F and G of docs/lists-and-offers.md), as the
committee sees it: signed requests to the served app, the Web API stand-in, both databases.

Synthetic applicants come in through an ERAS export in the PDWS shape (`../shared/DOMAIN.md` §4). The
fake clock starts Wed 17 Mar 2027 09:00 EDT; the default calendar (DOMAIN.md §1) puts round 1's offers
at Thu 09:00–11:00 EDT, round 2's at 12:00–14:00 and round 3's at 15:00–17:00, each list deadline 5
minutes before its offers.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.e2e.test_offers import command, text_of
from tests.factories import applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn

M1, M2 = MEMBERS[0], MEMBERS[1]
CAT, PRE = "1234140C0", "1234140P0"
CAT_TRACK, PRE_TRACK = f"Internal Medicine|{CAT} (Categorical)", f"Internal Medicine|{PRE} (Preliminary)"
# AAMC ID -> (first, last); the committee's order is this order.
PEOPLE = {"62000001": ("Ana", "Alvarez"), "62000002": ("Ben", "Brook"), "62000003": ("Cal", "Cruz"),
          "62000004": ("Dee", "Dunn"), "62000005": ("Eli", "Eads")}
A, B, C, D, E = PEOPLE


def _import(served: Served, war_room: str, tracks: dict[str, list[str]]) -> None:
    rows = [applicant_row(n, tracks=tracks[aamc], **{"AAMC ID": aamc, "First Name": first, "Last Name": last})
            for n, (aamc, (first, last)) in enumerate(PEOPLE.items(), start=1)]
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    imported = import_export(served.room.database, program_id, eras_csv(rows), actor=DIRECTOR,
                             today=date(2027, 3, 16), filename="export.csv")
    assert imported.problem is None


def _setup(served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, positions: int) -> None:
    """One categorical code, `positions` positions, the committee's order A, B, C, D, E, locked and
    certified for round 1 on Wednesday."""
    _import(served, war_room, {key: [CAT_TRACK] for key in PEOPLE})
    assert "Saved" in command(slack, standin, DIRECTOR, war_room, f"positions set categorical={positions}")["text"]
    for user in (DIRECTOR, M1, M2):
        command(slack, standin, user, war_room, "rank " + " ".join(PEOPLE))
    command(slack, standin, DIRECTOR, war_room, "list lock 1 confirm")
    assert "certified" in command(slack, standin, DIRECTOR, war_room, "list certified 1")["text"]


def _line(text: str, start: str) -> str:
    return text.split(start, 1)[1].splitlines()[0]


def _certain(answer: str) -> list[str]:
    """The people `/soap next` names as offered whatever the unanswered offers' answers are."""
    lines = answer.split(f"*{CAT} Categorical*", 1)[1].splitlines()[1:]
    numbered = [line for line in lines[:len(PEOPLE)] if line[:1].isdigit()]
    return [p for line in numbered for p in PEOPLE if f"({p})" in line]


def test_a_round_without_a_new_list_keeps_the_last_certified_one(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _setup(served, slack, standin, war_room, positions=2)
    served.clock.advance(days=1, minutes=5)  # Thu 09:05: round 1's offers are out
    for words in (f"{A} 1 offered", f"{A} 1 accepted", f"{B} 1 offered", f"{B} 1 rejected"):
        assert "Recorded" in command(slack, standin, M1, war_room, f"offer {words}")["text"]
    served.clock.advance(hours=3)  # 12:05: round 2's offers are out; nobody locked a list for round 2
    recorded = command(slack, standin, M1, war_room, f"offer {C} 2 offered")["text"]
    assert "Recorded" in recorded, recorded  # R3 offered from round 1's certified list
    served.clock.advance(hours=2, minutes=30)  # 14:35: round 2 is over, C's answer is not recorded
    answer = text_of(command(slack, standin, M2, war_room, "next"))
    assert "Round 3" in answer
    assert "round 1's certified list, which R3 keeps using" in answer
    assert "If they are accepted: nobody." in answer  # C accepting fills the second position
    assert f"({D})" in _line(answer, "If not: ") and f"({C})" not in _line(answer, "If not: ")
    assert f"({C}) (round 2, {CAT})" in _line(answer, "No answer recorded: ")


def test_b_availability_counts_from_the_round_it_names(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _setup(served, slack, standin, war_room, positions=1)
    served.clock.advance(days=1, minutes=5)
    for words in (f"{A} 1 offered", f"{A} 1 rejected"):
        assert "Recorded" in command(slack, standin, M1, war_room, f"offer {words}")["text"]
    served.clock.advance(hours=3, minutes=25)  # 12:30: round 2's offers went out at 12:00
    # Typed without a round, it counts from now: R3 still had B in round 2's offers.
    as_of_now = command(slack, standin, M1, war_room, f"status {B} accepted-elsewhere")["text"]
    assert "as of now" in as_of_now
    served.clock.advance(hours=2, minutes=5)  # 14:35
    before = command(slack, standin, M2, war_room, "next")["text"]
    assert _certain(before) == [C]  # B's round-2 offer could not be accepted: B had accepted elsewhere
    # B accepted elsewhere during round 1: out from round 2's offers on, so R3 offered C in round 2.
    with_round = command(slack, standin, M1, war_room, f"status {B} accepted-elsewhere round 1")["text"]
    assert "in round 1: out from round 2's offers on" in with_round
    after = text_of(command(slack, standin, M2, war_room, "next"))
    assert "Round 3" in after
    assert f"({D})" in _line(after, "If not: ")
    assert f"({C}) (round 2, {CAT})" in _line(after, "No answer recorded: ")
    bad = command(slack, standin, M1, war_room, f"status {B} withdrawn round 9")["text"]
    assert "There is no round 9" in bad


def test_f_during_a_round_its_offers_are_open(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _setup(served, slack, standin, war_room, positions=2)
    served.clock.advance(days=1, minutes=5)  # Thu 09:05, round 1 open until 11:00, nothing recorded
    answer = text_of(command(slack, standin, M1, war_room, "next"))
    assert "Round 2" in answer
    open_now = _line(answer, "Still open until Thu 18 Mar 11:00 EDT: ")
    assert f"({A}) (round 1, {CAT})" in open_now and f"({B}) (round 1, {CAT})" in open_now
    assert "No answer recorded" not in answer, answer
    assert "counted as expired" not in answer
    assert "If they are accepted: nobody." in answer
    assert [p for p in (A, B, C, D, E) if f"({p})" in _line(answer, "If not: ")] == [C, D]
    served.clock.advance(hours=2)  # 11:05: round 1 is over; the answers are unknown, not lapsed
    later = text_of(command(slack, standin, M1, war_room, "next"))
    assert "Still open" not in later
    assert f"({A}) (round 1, {CAT})" in _line(later, "No answer recorded: ")


@pytest.fixture
def two_codes(served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> str:
    """Every applicant applied to both codes; one categorical and one preliminary position; three
    members give the same general order A, B, C, D, E."""
    _import(served, war_room, {key: [CAT_TRACK, PRE_TRACK] for key in PEOPLE})
    command(slack, standin, DIRECTOR, war_room, "positions set categorical=1 preliminary=1")
    for user in (DIRECTOR, M1, M2):
        command(slack, standin, user, war_room, "rank " + " ".join(PEOPLE))
    return war_room


def test_g_a_ballot_per_program_code(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, two_codes: str) -> None:
    def code_list(code: str) -> tuple[list[str], str]:
        answer = text_of(command(slack, standin, M1, two_codes, f"list {code}"))
        part = answer.split(f"*{code}")[1].split("Page 1")[0]
        return sorted((p for p in PEOPLE if f"({p})" in part), key=lambda p: part.find(f"({p})")), part

    # Two of three members judge the preliminary year differently: Cal first, then Ana and Ben.
    saved = command(slack, standin, M1, two_codes, f"rank {PRE} {C} {A} {B}")["text"]
    assert f"Your ballot for {PRE} Preliminary of 3 candidates is saved" in saved
    command(slack, standin, M2, two_codes, f"rank preliminary {C}, {A}, {B}")
    pre, head = code_list(PRE)
    assert pre[:3] == [C, A, B]
    assert "ordered by 2 ballots for this code and 1 general ballot" in head
    cat, head = code_list(CAT)
    assert cat == [A, B, C, D, E]  # the categorical list keeps the general ballots
    assert "ordered by 3 general ballots" in head
    projection = command(slack, standin, M1, two_codes, "next")["text"]
    assert f"({C})" in projection.split(f"*{PRE}")[1].splitlines()[1]
    assert f"({A})" in projection.split(f"*{CAT}")[1].splitlines()[1]
    # M1 takes their ballot back: their general one counts on the preliminary list again.
    command(slack, standin, M1, two_codes, f"rank {PRE} clear")
    assert "ordered by 1 ballot for this code and 2 general ballots" in code_list(PRE)[1]
