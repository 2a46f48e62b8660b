"""The foundation, as Slack and a committee would see it: signed requests, help, setup, the gate."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from bot.console.signing import SlackClientSim, sign
from storage.models import AuditEvent, CommitteeRole, Program
from tests.e2e.conftest import (
    DIRECTOR,
    MEMBERS,
    OTHER_CHANNEL,
    OUTSIDER,
    PUBLIC_CHANNEL,
    SIGNING_SECRET,
    WAR_ROOM,
    Served,
)
from tests.harness.slack_api import SlackStandIn


def _last_response(standin: SlackStandIn) -> dict:
    return standin.wait_for("response_url", count=1)[-1].params


def _row_counts(served: Served) -> tuple[int, int, int]:
    with served.room.database.reading() as session:
        return (session.scalar(select(func.count()).select_from(Program)) or 0,
                session.scalar(select(func.count()).select_from(CommitteeRole)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.timing
def test_signed_help_is_acknowledged_fast_and_answered_ephemerally(slack: SlackClientSim,
                                                                  standin: SlackStandIn) -> None:
    response = slack.command("help", MEMBERS[0], WAR_ROOM)
    assert response.status == 200
    assert response.elapsed < 3.0
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert "/soap setup" in answer["text"] and "/soap help" in answer["text"]
    assert standin.calls_to("chat.postMessage") == []


def test_unknown_subcommand_names_it_and_points_to_help(slack: SlackClientSim, standin: SlackStandIn) -> None:
    slack.command("frobnicate now", MEMBERS[0], WAR_ROOM)
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert "Unknown subcommand `frobnicate`" in answer["text"]
    assert "/soap help" in answer["text"]
    assert "Did you mean" not in answer["text"]  # nothing is close: no guess
    assert "\n" not in answer["text"] and not answer.get("blocks")


def test_a_typo_answers_one_short_line_suggesting_the_subcommand(slack: SlackClientSim,
                                                                 standin: SlackStandIn) -> None:
    slack.command("lsit", MEMBERS[0], WAR_ROOM)
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert "Did you mean `/soap list`" in answer["text"]
    assert "`/soap help`" in answer["text"]
    assert "\n" not in answer["text"] and len(answer["text"]) < 160


def test_bad_signatures_get_401_and_cause_no_web_api_call(served: Served, slack: SlackClientSim,
                                                          standin: SlackStandIn) -> None:
    body = "token=x&team_id=T0WARROOM&channel_id=G0WARROOM1&user_id=U0MEMBER01&command=%2Fsoap&text=help"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    standin.reset()
    unsigned = slack.raw_post(body, form)
    wrong = slack.raw_post(body, {**form, **sign(body, "not-the-secret")})
    stale = slack.raw_post(body, {**form, **sign(body, SIGNING_SECRET, timestamp=int(time.time()) - 6 * 60)})
    tampered_headers = sign(body, SIGNING_SECRET)
    tampered = slack.raw_post(body.replace("help", "setup+Evil"), {**form, **tampered_headers})
    assert [r.status for r in (unsigned, wrong, stale, tampered)] == [401, 401, 401, 401]
    served.idle()  # a (wrongly) dispatched listener has finished, and called out or not; none may
    assert standin.calls == []


def test_setup_binds_the_channel_and_makes_the_caller_director(served: Served, slack: SlackClientSim,
                                                               standin: SlackStandIn) -> None:
    slack.command("setup Internal Medicine – Riverside", DIRECTOR, WAR_ROOM)
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert "you are its director" in answer["text"]
    announcement = standin.wait_for("chat.postMessage")[0].params
    assert announcement["channel"] == WAR_ROOM
    assert "Internal Medicine – Riverside" in announcement["text"]
    with served.room.database.reading() as session:
        program = session.scalar(select(Program))
        assert program is not None and program.channel_id == WAR_ROOM
        roles = session.scalars(select(CommitteeRole)).all()
        assert [(r.user_id, r.role) for r in roles] == [(DIRECTOR, "director")]
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "program.setup" in actions


def test_setup_refuses_a_public_channel_with_the_reason(served: Served, slack: SlackClientSim,
                                                        standin: SlackStandIn) -> None:
    slack.command("setup Internal Medicine", DIRECTOR, PUBLIC_CHANNEL)
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert "public" in answer["text"] and "private channel" in answer["text"]
    assert _row_counts(served) == (0, 0, 0)
    assert standin.calls_to("chat.postMessage") == []


def test_member_uses_the_war_room_and_outsiders_are_refused(served: Served, slack: SlackClientSim,
                                                             standin: SlackStandIn, war_room: str) -> None:
    slack.command("committee", MEMBERS[1], war_room)
    answer = _last_response(standin)
    assert answer["response_type"] == "ephemeral"
    assert f"<@{DIRECTOR}>: director" in answer["text"]

    before = _row_counts(served)
    standin.reset()
    slack.command("committee", OUTSIDER, war_room)
    refusal = _last_response(standin)
    assert refusal["response_type"] == "ephemeral"
    assert "Only members of this program's war-room channel" in refusal["text"]

    standin.reset()
    slack.command("director add <@U0MEMBER01|m1>", DIRECTOR, OTHER_CHANNEL)
    elsewhere = _last_response(standin)
    assert elsewhere["response_type"] == "ephemeral"
    assert "not a SOAP war room" in elsewhere["text"]
    assert _row_counts(served) == before
    assert standin.calls_to("chat.postMessage") == []


def test_help_needs_no_war_room_and_setup_twice_by_a_member_is_refused(served: Served, slack: SlackClientSim,
                                                                        standin: SlackStandIn,
                                                                        war_room: str) -> None:
    slack.command("help", OUTSIDER, OTHER_CHANNEL)
    assert "/soap setup" in _last_response(standin)["text"]
    standin.reset()
    before = _row_counts(served)
    slack.command("setup Hijacked Program", MEMBERS[0], war_room)
    answer = _last_response(standin)
    assert "already the war room" in answer["text"]
    assert _row_counts(served) == before


def test_directors_add_and_remove_directors_and_members_cannot(served: Served, slack: SlackClientSim,
                                                               standin: SlackStandIn, war_room: str) -> None:
    slack.command(f"director add <@{MEMBERS[0]}|m1>", MEMBERS[1], war_room)
    assert "Only a program director" in _last_response(standin)["text"]
    standin.reset()

    slack.command(f"director add <@{MEMBERS[0]}|m1>", DIRECTOR, war_room)
    assert "is now a director" in _last_response(standin)["text"]
    post = standin.wait_for("chat.postMessage")[0].params
    assert post["channel"] == war_room
    standin.reset()

    slack.command(f"director remove <@{DIRECTOR}>", MEMBERS[0], war_room)
    assert "is now a member" in _last_response(standin)["text"]
    standin.reset()
    slack.command(f"director remove <@{MEMBERS[0]}>", MEMBERS[0], war_room)
    assert "at least one director" in _last_response(standin)["text"]
    with served.room.database.reading() as session:
        audit = [(a.target, a.before, a.after) for a in
                 session.scalars(select(AuditEvent).where(AuditEvent.action == "role.set").order_by(AuditEvent.id))]
    assert audit == [
        (f"user:{MEMBERS[0]}", {"role": "member"}, {"role": "director"}),
        (f"user:{DIRECTOR}", {"role": "director"}, {"role": "member"}),
    ]


def test_observer_reads_but_cannot_write(slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    slack.command(f"observer add <@{MEMBERS[3]}>", DIRECTOR, war_room)
    assert "is now an observer" in _last_response(standin)["text"]
    standin.reset()
    slack.command("committee", MEMBERS[3], war_room)
    assert "observer" in _last_response(standin)["text"]
    standin.reset()
    slack.command(f"observer add <@{MEMBERS[2]}>", MEMBERS[3], war_room)
    assert "Only a program director" in _last_response(standin)["text"]


def test_mention_injection_in_a_program_name_pings_no_one(slack: SlackClientSim, standin: SlackStandIn) -> None:
    slack.command("setup <!channel> IM <https://evil.example|click>", DIRECTOR, WAR_ROOM)
    standin.wait_for("chat.postMessage")
    slack.command("setup Hijack", MEMBERS[0], WAR_ROOM)  # the refusal names the program
    assert "already the war room of &lt;!channel&gt; IM" in standin.wait_for("response_url", count=2)[-1].params["text"]
    everything = json.dumps([c.params for c in standin.calls])
    assert "<!channel>" not in everything
    assert "<https://evil.example|click>" not in everything
