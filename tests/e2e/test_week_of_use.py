"""What a week of real use found, checked as the committee meets it: signed commands, both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from storage.models import ApplicantAvailability, Candidate, Program, Ranking, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.harness.slack_api import SlackStandIn

M1, M2, _, _ = MEMBERS
APPLICANTS = {  # synthetic: AAMC ID -> (first, last)
    "29000001": ("Chloé", "O'Brien"),
    "29000002": ("Ana", "O’Brien"),
    "29000003": ("Arjun", "Nguyen"),
    "29000004": ("Arjun", "Kowalski"),
    "29000005": ("Chloe", "Kowalski"),
    "29000006": ("Arjun", "Okafor"),
}


@pytest.fixture
def applicants(served: Served, war_room: str) -> str:
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for aamc, (first, last) in APPLICANTS.items():
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=first, last_name=last,
                                  bucket="strong paper", tracks=["Categorical"]))
    return war_room


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def test_a_straight_apostrophe_in_a_name_reads_like_a_curly_one(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    voted = command(slack, standin, M1, applicants, "vote Chloé O'Brien high")
    assert "quotation" not in voted and "Could not read" not in voted
    ranked = command(slack, standin, M1, applicants, "rank Chloé O'Brien, Arjun Nguyen")
    assert "Could not read" not in ranked
    withdrawn = command(slack, standin, DIRECTOR, applicants, "status Ana O'Brien withdrawn")
    assert "Could not read" not in withdrawn
    with served.room.database.reading() as session:
        vote = session.scalars(select(Vote).join(Candidate).where(Candidate.aamc_id == "29000001")).one()
        assert vote.user_id == M1
        ranking = session.scalars(select(Candidate.aamc_id).join(Ranking, Ranking.candidate_id == Candidate.id)
                                  .where(Ranking.user_id == M1).order_by(Ranking.position)).all()
        assert ranking == ["29000001", "29000003"]
        out = session.scalars(select(ApplicantAvailability).join(Candidate)
                              .where(Candidate.aamc_id == "29000002")).one()
        assert out.status == "withdrawn"


def test_an_unclosed_double_quote_is_named(slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    answer = command(slack, standin, M1, applicants, 'vote "Chloé O\'Brien high')
    assert "double quote" in answer
