"""Triage through signed requests: the policy, moving buckets, and the director's override."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Candidate, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM, Served
from tests.factories import applicant_row, eras_csv, img_row
from tests.harness.slack_api import SlackStandIn

TODAY = date(2027, 3, 17)


def _setup(served: Served, rows: list[dict[str, Any]]) -> int:
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == WAR_ROOM))
    assert program_id is not None
    assert import_export(served.room.database, program_id, eras_csv(rows), filename="e.csv", actor=DIRECTOR,
                         today=TODAY).ok
    return program_id


def _reply(standin: SlackStandIn) -> dict[str, Any]:
    return standin.wait_for("response_url")[-1].params


def _state(served: Served) -> tuple[dict[str, Any], dict[str, tuple[str | None, str | None]], int]:
    with served.room.database.reading() as session:
        program = session.scalar(select(Program))
        assert program is not None
        buckets = {c.aamc_id: (c.bucket, c.override_bucket) for c in session.scalars(select(Candidate))}
        audits = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return dict(program.policy), buckets, audits


def test_policy_shows_defaults_and_visas_none_to_j1_moves_j1_applicants(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    rows = [img_row(i, "J-1") for i in range(1, 6)] + [img_row(9, "H-1B"), applicant_row(10)]
    _setup(served, rows)
    slack.command("policy", MEMBERS[0], war_room)
    shown = _reply(standin)
    assert shown["response_type"] == "ephemeral"
    assert "visas sponsored: J-1 only (visas) _(default)_" in shown["text"]
    standin.reset()

    slack.command("policy set visas=none", DIRECTOR, war_room)
    assert "5 moved into do not rank" in standin.wait_for("chat.postMessage")[0].params["text"]
    assert "posted in the war room" in _reply(standin)["text"]
    standin.reset()
    slack.command("policy set visas=J-1", DIRECTOR, war_room)
    announcement = standin.wait_for("chat.postMessage")[0].params
    assert announcement["channel"] == war_room
    assert "5 moved out of do not rank" in announcement["text"]
    assert "visas sponsored: none (any visa need is a deal-breaker) → J-1 only" in announcement["text"]
    assert "visas_sponsored" not in announcement["text"]
    # Said once, in the channel: the director's own answer only points there.
    reply = _reply(standin)
    assert reply["response_type"] == "ephemeral"
    assert "moved out of do not rank" not in reply["text"] and "posted in the war room" in reply["text"]
    _, buckets, _ = _state(served)
    assert all(buckets[r["AAMC ID"]][0] != "do not rank" for r in rows[:5])
    assert buckets[rows[5]["AAMC ID"]][0] == "do not rank"

    standin.reset()
    slack.command("policy", MEMBERS[0], war_room)
    assert "home states: none set (home_states) _(default)_" in _reply(standin)["text"]
    standin.reset()
    slack.command("policy set visas=L-1 max_failures=lots", DIRECTOR, war_room)
    refused = _reply(standin)["text"]
    assert "Nothing changed" in refused
    assert "'L-1' is not a visa policy" in refused and "'lots' is not" in refused


def test_director_overrides_with_a_reason_shown_on_the_card_and_clears_it(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    row = img_row(3, "H-1B", first_name="Ysolde", last_name="Fernwright")
    _setup(served, [row, applicant_row(4)])
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    parent = standin.wait_for("chat.postMessage")[0]
    assert "do not rank" in json.dumps(parent.params["blocks"])
    standin.reset()

    slack.command(f"triage {row['AAMC ID']} interviewed she's cleared for an H-1B cap-exempt slot", DIRECTOR,
                  war_room)
    reply = _reply(standin)
    assert "is now *interviewed*" in reply["text"]
    assert "she's cleared" in reply["text"]
    card = standin.wait_for("chat.update")[0].params
    assert card["ts"] == parent.response["ts"]
    blocks = json.dumps(card["blocks"], ensure_ascii=False)
    assert f"Override by <@{DIRECTOR}>" in blocks
    assert "she's cleared for an H-1B cap-exempt slot" in blocks
    assert "computed: do not rank" in blocks
    standin.reset()

    slack.command("triage", MEMBERS[1], war_room)
    summary = _reply(standin)
    assert summary["response_type"] == "ephemeral"
    assert "interviewed 1" in summary["text"]
    assert "Ysolde Fernwright" in json.dumps(summary["blocks"])
    standin.reset()

    slack.command(f"triage {row['AAMC ID']} clear", DIRECTOR, war_room)
    assert "back in *do not rank*" in _reply(standin)["text"]
    _, buckets, _ = _state(served)
    assert buckets[row["AAMC ID"]] == ("do not rank", None)


def test_a_member_cannot_change_the_policy_or_override(served: Served, slack: SlackClientSim,
                                                         standin: SlackStandIn, war_room: str) -> None:
    row = img_row(5, "J-1")
    _setup(served, [row])
    before = _state(served)
    slack.command("policy set visas=none", MEMBERS[0], war_room)
    refusal = _reply(standin)
    assert refusal["response_type"] == "ephemeral"
    assert "Only a program director can change the triage policy" in refusal["text"]
    standin.reset()
    slack.command(f"triage {row['AAMC ID']} backup not for us", MEMBERS[0], war_room)
    refusal = _reply(standin)
    assert refusal["response_type"] == "ephemeral"
    assert "Only a program director can override triage" in refusal["text"]
    assert _state(served) == before
    assert standin.calls_to("chat.postMessage") == []
    assert standin.calls_to("chat.update") == []
