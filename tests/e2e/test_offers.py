"""Positions, offer outcomes and `/soap next` as the committee uses them: signed requests, both databases."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.console.signing import SlackClientSim
from bot.services import reminders
from storage.models import AuditEvent, Candidate, Offer, Position, Program, Reminder
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

M1, M2 = MEMBERS[0], MEMBERS[1]
IDS = [f"3000000{n}" for n in range(1, 9)]  # list order: IDS[0] best


@pytest.fixture
def listed(served: Served, war_room: str) -> str:
    """Eight synthetic categorical applicants, ordered by the director (his ordering is the whole list)."""
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for n, aamc in enumerate(IDS, start=1):
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=f"Rowan{n}",
                                  last_name=f"Exampleton{n}", tracks=["Categorical"], bucket="strong paper",
                                  profile={"aamc_id": aamc, "first_name": f"Rowan{n}",
                                           "last_name": f"Exampleton{n}", "tracks": ["Categorical"]}))
        session.add(Candidate(program_id=program.id, aamc_id="30000099", first_name="Sky", last_name="Twotrack",
                              tracks=["Transitional"]))
    return war_room


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return answer


def first_call(standin: SlackStandIn, method: str, needle: str) -> dict:
    """The first `method` call whose text holds `needle`, waiting for it (posts follow the answers)."""
    for count in range(1, 60):
        for call in standin.wait_for(method, count=count):
            if needle in str(call.params.get("text")):
                return call.params
    raise AssertionError(f"no {method} with {needle!r}")


def _offers(served: Served) -> list[tuple[str, int, str, str]]:
    with served.room.database.reading() as session:
        return sorted((c.aamc_id, o.round, o.track, o.status) for o, c in session.execute(
            select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)))


def test_positions_are_set_by_directors_and_shown_to_everyone(served: Served, slack: SlackClientSim,
                                                              standin: SlackStandIn, listed: str) -> None:
    refused = command(slack, standin, M1, listed, "positions set categorical=4")
    assert "Only a program director" in refused["text"]
    answer = command(slack, standin, DIRECTOR, listed, 'positions set categorical=4 "primary care"=1')
    assert "Saved" in answer["text"]
    assert "categorical*: 0 of 4 filled" in answer["text"]
    assert f"<@{DIRECTOR}> set the positions" in first_call(standin, "chat.postMessage", "set the positions")["text"]
    shown = command(slack, standin, M2, listed, "positions")["text"]
    assert "0 of 5 filled" in shown
    assert "primary care*: 0 of 1 filled · 1 open" in shown
    with served.room.database.reading() as session:
        assert dict(session.execute(select(Position.track, Position.total)).all()) == {"categorical": 4,
                                                                                       "primary care": 1}
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "positions.set")) == 1


def test_after_two_accepts_on_four_positions_next_names_the_next_two(served: Served, slack: SlackClientSim,
                                                                      standin: SlackStandIn, listed: str) -> None:
    command(slack, standin, DIRECTOR, listed, "positions set categorical=4")
    command(slack, standin, DIRECTOR, listed, "rank " + " ".join(IDS))
    command(slack, standin, DIRECTOR, listed, "list lock 1")
    first = command(slack, standin, M1, listed, "next")["text"]
    assert "Round 1" in first
    assert "locked list" in first
    for aamc in IDS[:4]:
        assert aamc in first
    assert IDS[4] not in first

    # Round 1: four offers; two accept (one by the card's button), one rejects, one lets it expire.
    for aamc in IDS[:4]:
        command(slack, standin, M1, listed, f"offer {aamc} 1 offered")
    accepted = command(slack, standin, M1, listed, f"offer {IDS[0]} 1 accepted")["text"]
    assert "Recorded" in accepted
    assert "1 of 4 filled" in accepted
    # The second acceptance comes from the button on the applicant's card.
    slack.command(f"candidate {IDS[1]}", M2, listed)
    card = first_call(standin, "chat.postMessage", f"Exampleton2 ({IDS[1]})")

    def card_has_thread() -> bool:
        with served.room.database.reading() as session:
            return session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == IDS[1])) is not None

    eventually(card_has_thread)  # the card's ts is stored just after Slack took the post
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"].startswith("offer.outcome.")]
    assert [b["action_id"] for b in buttons] == ["offer.outcome.accepted", "offer.outcome.rejected",
                                                 "offer.outcome.expired"]
    before = len(standin.calls_to("response_url"))
    slack.block_action(M2, listed, buttons[0]["action_id"], value=buttons[0]["value"])
    clicked = standin.wait_for("response_url", count=before + 1)[-1].params
    assert clicked["response_type"] == "ephemeral"
    assert "2 of 4 filled" in clicked["text"]
    redrawn = first_call(standin, "chat.update", IDS[1])  # the card now shows the outcome, without buttons
    assert "*accepted* (recorded by" in json.dumps(redrawn["blocks"])
    assert "offer.outcome." not in json.dumps(redrawn["blocks"])
    command(slack, standin, M1, listed, f"offer {IDS[2]} 1 rejected")
    command(slack, standin, M1, listed, "offer Rowan4 Exampleton4 1 expired")
    posted = first_call(standin, "chat.postMessage", f"<@{M2}> recorded:")["text"]
    assert f"Exampleton2, Rowan2 ({IDS[1]}) accepted the round-1 categorical offer (corrected from offered)" in posted

    command(slack, standin, DIRECTOR, listed, "list lock 2")
    answer = command(slack, standin, M2, listed, "next")
    text = answer["text"]
    assert "Round 2" in text
    assert "locked list" in text
    assert "2 open (2 of 4 filled)" in text
    assert f"1. Exampleton5, Rowan5 ({IDS[4]})" in text
    assert f"2. Exampleton6, Rowan6 ({IDS[5]})" in text
    for aamc in (*IDS[:4], *IDS[6:]):
        assert aamc not in text.split("would offer to:")[1].split("\n\n")[0]
    assert len(answer["blocks"]) <= 50

    # A declined applicant gets no further offer: the round-2 entry is refused and nothing is stored.
    stored = _offers(served)
    refusal = command(slack, standin, M1, listed, f"offer {IDS[2]} 2 offered")["text"]
    assert "rejected an offer" in refusal
    assert "Nothing was changed" in refusal
    assert _offers(served) == stored


def test_filling_every_position_cancels_reminders_and_posts_a_summary(served: Served, slack: SlackClientSim,
                                                                       standin: SlackStandIn, listed: str) -> None:
    command(slack, standin, DIRECTOR, listed, "positions set categorical=2")
    with served.room.database.reading() as session:
        pending = session.scalar(select(func.count()).select_from(Reminder).where(Reminder.state == "pending"))
    assert pending, "the war room's calendar planned reminders at setup"
    command(slack, standin, M1, listed, f"offer {IDS[0]} 1 accepted")
    full = command(slack, standin, M1, listed, f"offer {IDS[6]} 1 accepted")["text"]
    assert "2 of 2 filled" in full
    summary = first_call(standin, "chat.postMessage", "Every position of")
    assert summary["channel"] == listed
    assert "Every position of Internal Medicine – Test is filled" in summary["text"]
    assert f"Exampleton1, Rowan1 ({IDS[0]}) (round 1)" in summary["text"]
    assert f"remaining reminders are cancelled ({pending})" in summary["text"]
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reminder).where(Reminder.state == "pending")) == 0
    # The clock's next tick re-plans from the calendar: a filled program stays quiet.
    reminders.sync_all(served.room.database, served.clock())
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Reminder).where(Reminder.state == "pending")) == 0

    refused = command(slack, standin, M1, listed, f"offer {IDS[1]} 1 accepted")["text"]
    assert "Every categorical position is already filled" in refused


def test_track_is_asked_for_when_it_cannot_be_told(served: Served, slack: SlackClientSim,
                                                   standin: SlackStandIn, listed: str) -> None:
    command(slack, standin, DIRECTOR, listed, "positions set categorical=2 preliminary=1")
    asked = command(slack, standin, M1, listed, "offer 30000099 1 offered")["text"]
    assert "Which track?" in asked
    assert "`categorical`, `preliminary`" in asked
    assert _offers(served) == []
    done = command(slack, standin, M1, listed, "offer 30000099 1 offered preliminary")["text"]
    assert "offered a preliminary position in round 1" in done
    usage = command(slack, standin, M1, listed, "offer 30000099 accepted")["text"]
    assert "/soap offer <AAMC ID> <round>" in usage
    observer = command(slack, standin, DIRECTOR, listed, f"observer add <@{M2}|m2>")
    assert "observer" in observer["text"]
    read_only = command(slack, standin, M2, listed, f"offer {IDS[0]} 1 offered")["text"]
    assert "observer" in read_only
    assert _offers(served) == [("30000099", 1, "preliminary", "offered")]


def test_next_says_when_the_list_is_not_locked(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                               listed: str) -> None:
    none_yet = command(slack, standin, M1, listed, "next")["text"]
    assert "No positions are set yet" in none_yet
    command(slack, standin, DIRECTOR, listed, "positions set categorical=1")
    command(slack, standin, DIRECTOR, listed, f"rank {IDS[3]} {IDS[0]}")
    text = command(slack, standin, M1, listed, "next")["text"]
    assert "*not locked*" in text
    assert "/soap list lock 1" in text
    assert f"1. Exampleton4, Rowan4 ({IDS[3]})" in text
    blocks = json.dumps(standin.calls_to("response_url")[-1].params["blocks"])
    assert "not locked" in blocks
