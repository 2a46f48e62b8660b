"""The App Home tab as members and outsiders see it: signed events and clicks, both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.console.payloads import app_home_opened_event
from bot.console.signing import SlackClientSim, state_values
from bot.messages.ids import CallbackId
from bot.messages.records import CONFIRM_ACTION, CONFIRM_BLOCK
from storage.models import Candidate, Program, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, OUTSIDER, Served
from tests.harness.slack_api import SlackStandIn

M1, M2 = MEMBERS[0], MEMBERS[1]


def _seed(served: Served, war_room: str, count: int) -> list[str]:
    ids = [f"{50000000 + n}" for n in range(1, count + 1)]
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for n, aamc in enumerate(ids, start=1):
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=f"Quinn{n}",
                                  last_name=f"Homeview{n}", tracks=["Categorical"], bucket="strong paper"))
    return ids


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    return standin.wait_for("response_url", count=before + 1)[-1].params


def open_home(slack: SlackClientSim, standin: SlackStandIn, user: str) -> dict[str, Any]:
    before = len(standin.calls_to("views.publish"))
    assert slack.event(app_home_opened_event(user)).status == 200
    call = standin.wait_for("views.publish", count=before + 1)[-1]
    assert call.params["user_id"] == user
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def waiting(view: dict[str, Any]) -> list[str]:
    return [b["block_id"].removeprefix("home.candidate.") for b in view["blocks"]
            if str(b.get("block_id", "")).startswith("home.candidate.")]


@pytest.fixture
def listed(served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> list[str]:
    """Five synthetic applicants, all on the list through the director's ordering."""
    ids = _seed(served, war_room, 5)
    command(slack, standin, DIRECTOR, war_room, "rank " + " ".join(ids))
    command(slack, standin, DIRECTOR, war_room, "positions set categorical=4")
    return ids


def test_member_home_lists_exactly_their_missing_votes(served: Served, slack: SlackClientSim,
                                                      standin: SlackStandIn, war_room: str, listed: list[str]) -> None:
    command(slack, standin, M1, war_room, f"vote {listed[1]} high")
    command(slack, standin, M1, war_room, f"vote {listed[3]} dnr")
    command(slack, standin, M2, war_room, f"rank {listed[0]}")

    mine = open_home(slack, standin, M1)
    assert waiting(mine) == [listed[0], listed[2], listed[4]]
    assert json.loads(mine["private_metadata"])["program"] > 0
    text = json.dumps(mine)
    assert "Waiting for your vote: 3 candidates" in text
    assert "categorical*: 4 positions \\u00b7 0 filled" in text
    assert "Round 1 preference-list deadline" in text
    assert "(in " in text
    assert "Top of the committee's current list" in text
    assert "Homeview1, Quinn1" in text
    # Where each round's list stands: locked here, then entered and certified in R3.
    assert "*Round 1:* The list: not locked" in text

    assert waiting(open_home(slack, standin, M2)) == listed[1:]
    assert waiting(open_home(slack, standin, DIRECTOR)) == []  # his ordering covers every candidate


def test_voting_from_home_records_the_vote_and_republishes(served: Served, slack: SlackClientSim,
                                                           standin: SlackStandIn, war_room: str,
                                                           listed: list[str]) -> None:
    view = open_home(slack, standin, M1)
    assert waiting(view) == listed
    stored = standin.views()[-1]
    assert stored["type"] == "home"
    before = len(standin.calls_to("views.publish"))
    response = slack.block_action(M1, "", "vote.rank_high", value=listed[2], view=stored)
    assert response.status == 200
    again = standin.wait_for("views.publish", count=before + 1)[-1].params
    assert again["user_id"] == M1
    fresh = json.loads(again["view"]) if isinstance(again["view"], str) else again["view"]
    assert waiting(fresh) == [listed[0], listed[1], listed[3], listed[4]]
    assert f"Your vote on Homeview3, Quinn3 ({listed[2]}): *Rank high*" in json.dumps(fresh)
    with served.room.database.reading() as session:
        votes = session.execute(select(Vote.user_id, Candidate.aamc_id, Vote.choice)
                                .join(Candidate, Candidate.id == Vote.candidate_id)).all()
    assert [tuple(v) for v in votes] == [(M1, listed[2], "rank high")]
    assert standin.calls_to("chat.postEphemeral") == []  # the answer is on the Home tab, not an error


def test_a_home_click_after_leaving_the_war_room_is_refused(served: Served, slack: SlackClientSim,
                                                            standin: SlackStandIn, war_room: str,
                                                            listed: list[str]) -> None:
    open_home(slack, standin, M1)
    stored = standin.views()[-1]
    standin.set_members(war_room, [DIRECTOR, M2])
    served.room.directory.forget()
    before = len(standin.calls_to("views.publish"))
    slack.block_action(M1, "", "vote.rank", value=listed[0], view=stored)
    after = standin.wait_for("views.publish", count=before + 1)[-1].params
    text = json.dumps(after["view"])
    assert "Only members of this program's war-room channel" in text
    assert "Homeview" not in text
    assert listed[0] not in text
    with served.room.database.reading() as session:
        assert session.scalars(select(Vote)).all() == []


def test_outsiders_see_an_explanation_and_no_applicant(served: Served, slack: SlackClientSim,
                                                       standin: SlackStandIn, war_room: str,
                                                       listed: list[str]) -> None:
    view = open_home(slack, standin, OUTSIDER)
    text = json.dumps(view)
    assert "You are not in a war room of this workspace" in text
    for aamc in listed:
        assert aamc not in text
    assert "Homeview" not in text
    assert "Internal Medicine" not in text
    assert not view.get("private_metadata")


def test_home_with_three_hundred_candidates_stays_within_slack_limits(served: Served, slack: SlackClientSim,
                                                                      standin: SlackStandIn, war_room: str) -> None:
    ids = _seed(served, war_room, 300)
    answer = command(slack, standin, DIRECTOR, war_room, "rank " + " ".join(ids))
    assert "300" in answer["text"]
    view = open_home(slack, standin, M1)
    assert len(view["blocks"]) <= 100
    assert standin.views()[-1]["blocks"] == view["blocks"]  # the stand-in (which refuses > 100) took it
    assert waiting(view) == ids[: len(waiting(view))]
    assert len(waiting(view)) >= 10
    assert "+" in json.dumps(view)
    assert "more waiting for your vote" in json.dumps(view)


def test_applicants_who_had_an_offer_no_longer_wait_for_a_vote(served: Served, slack: SlackClientSim,
                                                              standin: SlackStandIn, war_room: str,
                                                              listed: list[str]) -> None:
    command(slack, standin, DIRECTOR, war_room, "list lock 1 confirm")
    served.clock.advance(days=1, minutes=5)  # round 1's offers went out (Thu 9:00 a.m. ET)
    command(slack, standin, M1, war_room, f"offer {listed[2]} 1 accepted")
    view = open_home(slack, standin, M2)
    assert waiting(view) == [listed[0], listed[1], listed[3], listed[4]]
    assert "categorical*: 4 positions \\u00b7 1 filled" in json.dumps(view)


def test_home_counts_and_ranks_as_soap_list_does_once_an_applicant_withdraws(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, listed: list[str]) -> None:
    command(slack, standin, DIRECTOR, war_room, f"status {listed[0]} withdrawn")
    listing = json.dumps(command(slack, standin, DIRECTOR, war_room, "list"))
    assert f"*1.* Homeview2, Quinn2 ({listed[1]})" in listing

    view = open_home(slack, standin, M1)
    text = json.dumps(view)
    # The withdrawn applicant waits for nobody's vote; the others keep the ranks /soap list gives them.
    assert waiting(view) == listed[1:]
    assert "Waiting for your vote: 4 candidates" in text
    assert f"*Homeview2, Quinn2* ({listed[1]}) \\u00b7 list rank 1" in text
    assert f"1. Homeview2, Quinn2 ({listed[1]})" in text
    assert f"Homeview1, Quinn1 ({listed[0]}) \\u00b7 support" not in text
    assert "(4 listed)" in text


def test_a_purge_republishes_every_members_home_without_applicants(served: Served, slack: SlackClientSim,
                                                                   standin: SlackStandIn, war_room: str,
                                                                   listed: list[str]) -> None:
    """A published Home stays in Slack until published again: after `/soap purge` each member's Home is
    republished and names no applicant. Before: every member's Home still showed the names and AAMC IDs."""
    shown = json.dumps(open_home(slack, standin, M1))
    assert listed[0] in shown and "Homeview1" in shown
    before = len(standin.calls_to("views.publish"))
    slack.command("purge", DIRECTOR, war_room)  # opens the confirmation modal
    modal = standin.wait_for("views.open")[-1].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    slack.view_submission(DIRECTOR, CallbackId.PURGE_MODAL.value,
                          state_values({CONFIRM_BLOCK: {CONFIRM_ACTION: "Internal Medicine – Test"}}),
                          private_metadata=modal["private_metadata"])
    served.idle(timeout=60)
    published = {call.params["user_id"]: call.params["view"] for call in standin.calls_to("views.publish")[before:]}
    assert set(published) >= {DIRECTOR, *MEMBERS}
    for user, home in published.items():
        text = home if isinstance(home, str) else json.dumps(home)
        assert not any(aamc in text for aamc in listed) and "Homeview" not in text, user
        # The committee is told its war room was purged, not asked to get itself invited.
        assert "was purged on" in text and "ask a program director to invite you" not in text, user
    reopened = json.dumps(open_home(slack, standin, DIRECTOR), ensure_ascii=False)
    assert "war room of *Internal Medicine – Test* was purged on" in reopened


def test_repeated_vote_buttons_tell_a_screen_reader_whom_they_are_for(served: Served, slack: SlackClientSim,
                                                                      standin: SlackStandIn, war_room: str,
                                                                      listed: list[str]) -> None:
    with served.room.database.transaction() as session:
        first = session.scalars(select(Candidate).where(Candidate.aamc_id == listed[0])).one()
        first.first_name, first.last_name = "Sofía", "Núñez"
    view = open_home(slack, standin, M1)
    buttons = [e for b in view["blocks"] if b.get("type") == "actions" and str(b.get("block_id", "")).startswith(
        "home.vote.") for e in b["elements"]]
    assert len(buttons) == 4 * len(listed)
    labels = [b.get("accessibility_label") for b in buttons]
    assert labels[:4] == ["Rank high: Núñez, Sofía", "Rank: Núñez, Sofía", "Only if needed: Núñez, Sofía",
                          "Do not rank: Núñez, Sofía"]
    assert len(set(labels)) == len(labels)  # no two buttons read the same
