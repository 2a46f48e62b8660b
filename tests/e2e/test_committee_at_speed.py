"""What a tired committee runs into at speed: typos, names for every command, filters, stale copies.

Signed requests to the served app on both databases; the applicants are synthetic.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import Candidate, Program, Ranking, ReferenceNote, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv, img_row
from tests.harness.slack_api import SlackStandIn

M1, M2 = MEMBERS[0], MEMBERS[1]
TODAY = date(2027, 3, 17)

ROWS = [  # synthetic applicants, each with a name or score a test below leans on
    applicant_row(1, first_name="Inés", last_name="Núñez", step2ck="251",
                  tracks=["Internal Medicine|1234140C0 (Categorical)"]),
    applicant_row(2, first_name="Avery", last_name="Demohurst", step2ck="238"),
    applicant_row(3, first_name="Blake", last_name="Okafor-Lind", step2ck="240", grad_date="05/15/2023"),
    applicant_row(4, first_name="Casey", last_name="Demohurst", step2ck="262"),
    applicant_row(5, first_name="Devon", last_name="Fictional", school_type="Osteopathic School", degree="DO",
                  step1=None, step2ck=None, comlex1="Pass", comlex2ce="560"),
    img_row(6, "J-1", first_name="Emery", last_name="Placeholder", step2ck="245",
            tracks=["Internal Medicine|1234140P0 (Preliminary)"]),
]


@pytest.fixture
def applicants(served: Served, war_room: str) -> str:
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == war_room))
    assert program_id is not None
    result = import_export(served.room.database, program_id, eras_csv(ROWS), filename="soap.csv",
                           actor=DIRECTOR, today=TODAY)
    assert result.ok and result.new == len(ROWS), result.errors
    return war_room


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict[str, Any]:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer


def everything(answer: dict[str, Any]) -> str:
    """The answer's text and every text in its blocks."""
    texts = [str(answer.get("text") or "")]
    for block in answer.get("blocks") or []:
        for part in (block.get("text"), *(block.get("elements") or []), *(block.get("fields") or [])):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return "\n".join(texts)


def votes_of(served: Served, user: str) -> dict[str, str]:
    with served.room.database.reading() as session:
        return {aamc: choice for aamc, choice in session.execute(
            select(Candidate.aamc_id, Vote.choice).join(Vote, Vote.candidate_id == Candidate.id)
            .where(Vote.user_id == user))}


def test_a_vote_by_last_name_is_recorded_for_that_applicant(served: Served, slack: SlackClientSim,
                                                             standin: SlackStandIn, applicants: str) -> None:
    answer = command(slack, standin, M1, applicants, "vote nunez high")
    assert "Núñez" in answer["text"]
    assert votes_of(served, M1) == {aamc_id(1): "rank high"}
    # Two Demohursts: nothing is stored, both are listed with their buckets.
    several = command(slack, standin, M1, applicants, "vote Demohurst rank")["text"]
    assert aamc_id(2) in several and aamc_id(4) in several
    assert "Avery Demohurst" in several and "Casey Demohurst" in several
    assert votes_of(served, M1) == {aamc_id(1): "rank high"}
    # A first name with the last name picks one of them; the vote may be two words.
    command(slack, standin, M1, applicants, "vote Casey Demohurst if needed")
    assert votes_of(served, M1) == {aamc_id(1): "rank high", aamc_id(4): "only if needed"}
    # The audit of one applicant by name shows that vote (stored under the AAMC ID).
    trail = everything(command(slack, standin, DIRECTOR, applicants, "audit nunez"))
    assert "Inés Núñez (20000001)" in trail and "vote.cast" in trail
    # A name that is nobody's gets the closest names, in plain English.
    refused = command(slack, standin, M1, applicants, "pin nunez")["text"]
    assert "Only a program director can pin candidates. Directors are listed by `/soap committee`." in refused
    missing = command(slack, standin, M1, applicants, "vote Demohurts high")["text"]
    assert "No candidate matches “Demohurts”" in missing
    assert "Demohurst" in missing


def test_an_ordering_by_names_separated_by_commas(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                                 applicants: str) -> None:
    answer = command(slack, standin, M2, applicants, f"rank Núñez, Okafor-Lind, {aamc_id(5)}")
    assert "Núñez" in everything(answer)
    with served.room.database.reading() as session:
        stored = session.scalars(select(Candidate.aamc_id).join(Ranking, Ranking.candidate_id == Candidate.id)
                                 .where(Ranking.user_id == M2).order_by(Ranking.position)).all()
    assert stored == [aamc_id(1), aamc_id(3), aamc_id(5)]


def test_candidate_by_a_name_typed_without_accents(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                                  applicants: str) -> None:
    slack.command("candidate nunez", M1, applicants)
    card = standin.wait_for("chat.postMessage")[0].params
    assert "Núñez" in card["text"] + str(card.get("blocks"))
    assert aamc_id(1) in str(card.get("blocks"))


def test_a_hyphenated_name_typed_without_its_hyphen_or_apostrophe_is_found(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    answer = everything(command(slack, standin, M1, applicants, "vote okaforlind high"))
    assert "Okafor-Lind" in answer and "No candidate" not in answer
    with served.room.database.reading() as session:
        voted = session.scalars(select(Candidate.aamc_id).join(Vote, Vote.candidate_id == Candidate.id)
                                .where(Vote.user_id == M1)).all()
    assert voted == [aamc_id(3)]


def found(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, query: str) -> set[str]:
    answer = everything(command(slack, standin, user, channel, f"find {query}"))
    assert "Unknown filter" not in answer, answer
    return {aamc_id(i) for i in range(1, len(ROWS) + 1) if aamc_id(i) in answer}


def test_find_by_scores_graduation_type_track_and_own_votes(served: Served, slack: SlackClientSim,
                                                          standin: SlackStandIn, applicants: str) -> None:
    room = applicants
    assert found(slack, standin, M1, room, "step2>=240 type:md") == {aamc_id(1), aamc_id(3), aamc_id(4)}
    assert found(slack, standin, M1, room, "step2>=240 grad>=2024 type:md") == {aamc_id(1), aamc_id(4)}
    assert found(slack, standin, M1, room, "comlex2>=500") == {aamc_id(5)}
    assert found(slack, standin, M1, room, "step1:pass type:do") == set()
    assert found(slack, standin, M1, room, "type:img step2<250") == {aamc_id(6)}
    assert found(slack, standin, M1, room, "track:1234140C0") == {aamc_id(1)}
    assert found(slack, standin, M1, room, "track:preliminary") == {aamc_id(6)}
    command(slack, standin, M1, room, f"vote {aamc_id(4)} high")
    assert found(slack, standin, M1, room, "voted:no step2>=250") == {aamc_id(1)}
    assert found(slack, standin, M2, room, "voted:no step2>=250") == {aamc_id(1), aamc_id(4)}


def test_an_unknown_filter_is_an_error_naming_the_filters(served: Served, slack: SlackClientSim,
                                                         standin: SlackStandIn, applicants: str) -> None:
    for query in ("foo>=1", "step2>=240 colour:blue", "step2>=abc"):
        answer = command(slack, standin, M1, applicants, f"find {query}")["text"]
        assert answer.startswith(":no_entry:"), answer
        assert "candidates for" not in answer
    answer = command(slack, standin, M1, applicants, "find foo>=1")["text"]
    assert "Unknown filter `foo`" in answer
    for name in ("step2", "comlex2", "grad", "type", "track", "bucket", "voted"):
        assert f"`{name}`" in answer


def test_a_second_candidate_then_a_vote_leaves_no_message_with_an_outdated_count(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    room = applicants
    slack.command(f"candidate {aamc_id(3)}", M1, room)
    parent = standin.wait_for("chat.postMessage")[0].response["ts"]
    command(slack, standin, M1, room, f"vote {aamc_id(3)} high")
    slack.command("candidate okafor", M2, room)
    standin.wait_for("chat.postMessage", count=2)
    command(slack, standin, M2, room, f"vote {aamc_id(3)} rank")
    served.idle()
    card = standin.message(room, parent)
    assert card is not None and "(2 votes)" in json.dumps(card, ensure_ascii=False)
    for message in standin.messages(room):
        shown = json.dumps(message, ensure_ascii=False)
        assert "(1 vote)" not in shown and "no votes yet" not in shown, shown[:300]


def test_a_plus_one_reply_is_no_note_and_a_substantive_reply_is_one_shown_on_the_card(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    room = applicants
    slack.command(f"candidate {aamc_id(2)}", M1, room)
    parent = standin.wait_for("chat.postMessage")[0].response["ts"]
    for text in ("+1", "ok I will call his PD after lunch"):
        assert slack.event(slack.message_event(room, M2, text, thread_ts=parent)).status == 200
    served.idle()
    with served.room.database.reading() as session:
        assert session.scalars(select(ReferenceNote)).all() == []
    card = json.dumps(standin.message(room, parent), ensure_ascii=False)
    assert "No reference notes yet." in card
    updates = len(standin.calls_to("chat.update"))

    rule = everything(command(slack, standin, M2, room, "help"))
    assert "starts with `ref:`" in rule and "at least 12 words" in rule  # the rule is where people look
    said = "Called his PD at Example General: strong clinician, would rank him again"
    assert slack.event(slack.message_event(room, M2, said, thread_ts=parent)).status == 200
    standin.wait_for("chat.update", count=updates + 1)
    served.idle()
    card = json.dumps(standin.message(room, parent), ensure_ascii=False)
    assert "*1* reference note" in card
    assert f"<@{M2}>" in card and "Called his PD at Example General" in card


def test_a_policy_change_names_who_moved_and_flags_those_on_a_list(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    room = applicants
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == room))
    assert program_id is not None
    more = [img_row(100 + n, "J-1", first_name="Kai", last_name=f"Visacase{n:02d}") for n in range(18)]
    assert import_export(served.room.database, program_id, eras_csv(more), filename="more.csv", actor=DIRECTOR,
                         today=TODAY).ok
    command(slack, standin, M1, room, f"vote {aamc_id(117)} high")  # last by name: must not hide in "more"
    command(slack, standin, DIRECTOR, room, "policy set visas=none")
    post = standin.wait_for("chat.postMessage")[-1].params["text"]
    assert "visas sponsored: J-1 only → none (any visa need is a deal-breaker)" in post
    assert "visas_sponsored" not in post
    assert "19 candidates changed bucket" in post  # the 18 and Emery Placeholder
    named = [line for line in post.splitlines() if line.startswith("• ")]
    assert len(named) == 15
    assert named[0].startswith(f"• Kai Visacase17 ({aamc_id(117)}): ") and "on the current list" in named[0]
    assert "*do not rank*" in named[0]
    assert "…and 4 more" in post
    assert "1 of them is on a preference list" in post


def test_making_a_voter_an_observer_says_which_ballot_stops_counting_and_who_left_the_list(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    room = applicants
    command(slack, standin, M1, room, f"vote {aamc_id(1)} high")
    command(slack, standin, M2, room, f"vote {aamc_id(1)} rank")
    command(slack, standin, M2, room, f"vote {aamc_id(2)} high")  # only M2 has voted on Avery Demohurst
    command(slack, standin, M2, room, f"rank {aamc_id(2)}, {aamc_id(1)}")
    answer = command(slack, standin, DIRECTOR, room, f"observer add <@{M2}>")["text"]
    assert "is now an observer" in answer
    assert "Their 2 votes and an ordering of 2 candidates are kept but no longer count" in answer
    assert "left the list: Demohurst, Avery (20000002)" in answer
    post = standin.wait_for("chat.postMessage")[-1].params["text"]
    assert "left the list: Demohurst, Avery" in post and f"<@{DIRECTOR}> made <@{M2}> an observer" in post

    back = command(slack, standin, DIRECTOR, room, f"observer remove <@{M2}>")["text"]
    assert "count again" in back and "joined the list: Demohurst, Avery (20000002)" in back
    quiet = command(slack, standin, DIRECTOR, room, f"observer add <@{MEMBERS[3]}>")["text"]
    assert "has no votes or ordering" in quiet and "The preference list is unchanged." in quiet
