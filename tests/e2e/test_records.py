"""Audit and purge as a director and a member would use them, through signed requests."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.console.signing import SlackClientSim, state_values
from bot.messages.ids import CallbackId
from bot.messages.records import CONFIRM_ACTION, CONFIRM_BLOCK
from storage.models import Candidate, Program, ReferenceNote
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.harness.slack_api import SlackStandIn


def _add_candidate(served: Served, war_room: str) -> None:
    with served.room.database.transaction() as session:
        program = session.scalar(select(Program).where(Program.channel_id == war_room))
        assert program is not None
        candidate = Candidate(program_id=program.id, aamc_id="55501234", first_name="Orrin", last_name="Talvask",
                              thread_ts="1711000000.000900")
        session.add(candidate)
        session.flush()
        session.add(ReferenceNote(program_id=program.id, candidate_id=candidate.id, author=MEMBERS[0],
                                  source="command", text="strong"))


def _metadata(standin: SlackStandIn) -> str:
    view = standin.wait_for("views.open")[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    return str(view["private_metadata"])


def test_purge_asks_for_the_name_then_deletes_and_says_so(served: Served, slack: SlackClientSim,
                                                         standin: SlackStandIn, war_room: str) -> None:
    _add_candidate(served, war_room)
    slack.command("purge", DIRECTOR, war_room)
    opened = standin.wait_for("views.open")[0].params["view"]
    text = json.dumps(opened)
    assert "1 applicant (every imported field" in text and "1 reference note" in text
    assert "1 applicants" not in text and "1 reference notes" not in text
    metadata = _metadata(standin)

    wrong = slack.view_submission(DIRECTOR, CallbackId.PURGE_MODAL.value,
                                  state_values({CONFIRM_BLOCK: {CONFIRM_ACTION: "Surgery"}}), private_metadata=metadata)
    assert wrong.status == 200
    assert wrong.body["response_action"] == "errors"
    assert "Internal Medicine – Test" in wrong.body["errors"][CONFIRM_BLOCK]
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1

    done = slack.view_submission(DIRECTOR, CallbackId.PURGE_MODAL.value,
                                 state_values({CONFIRM_BLOCK: {CONFIRM_ACTION: "internal medicine-test"}}),
                                 private_metadata=metadata)
    assert done.status == 200  # a hyphen typed for the en dash, no spaces, any case
    # The report goes to the director alone: a post in the war room would be a bot message left behind.
    summary = standin.wait_for("chat.postEphemeral")[0].params
    assert summary["channel"] == war_room and summary["user"] == DIRECTOR and "Purged" in summary["text"]
    assert standin.calls_to("chat.delete")[0].params["ts"] == "1711000000.000900"
    assert standin.calls_to("chat.postMessage") == []
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 0
        assert session.scalar(select(func.count()).select_from(ReferenceNote)) == 0


def test_a_member_can_neither_purge_nor_submit_a_forged_purge(served: Served, slack: SlackClientSim,
                                                              standin: SlackStandIn, war_room: str) -> None:
    _add_candidate(served, war_room)
    slack.command("purge", DIRECTOR, war_room)
    metadata = _metadata(standin)
    standin.reset()
    slack.command("purge", MEMBERS[0], war_room)
    assert "Only a program director" in standin.wait_for("response_url")[0].params["text"]
    assert standin.calls_to("views.open") == []
    forged = slack.view_submission(MEMBERS[0], CallbackId.PURGE_MODAL.value,
                                   state_values({CONFIRM_BLOCK: {CONFIRM_ACTION: "Internal Medicine – Test"}}),
                                   private_metadata=metadata)
    assert forged.status == 200
    assert forged.body["response_action"] == "update"
    assert "Only a program director" in json.dumps(forged.body["view"])
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 1
    assert standin.calls_to("chat.postMessage") == []


def test_audit_shows_directors_who_did_what(slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    slack.command(f"observer add <@{MEMBERS[2]}>", DIRECTOR, war_room)
    standin.wait_for("response_url")
    standin.reset()
    slack.command("audit", DIRECTOR, war_room)
    answer = standin.wait_for("response_url")[0].params
    assert answer["response_type"] == "ephemeral"
    content = json.dumps(answer["blocks"])
    assert "role.set" in content and "program.setup" in content and "observer" in content
    # Stamped by the app's clock (the test's, 09:00 in New York), the person and the values in words.
    shown = "\n".join(block["text"]["text"] for block in answer["blocks"] if block.get("text"))
    assert f"Wed 17 Mar 09:00 <@{DIRECTOR}> `role.set` <@{MEMBERS[2]}>: role: member → role: observer" in shown
    standin.reset()
    slack.command("audit", MEMBERS[0], war_room)
    assert "Only a program director" in standin.wait_for("response_url")[0].params["text"]
