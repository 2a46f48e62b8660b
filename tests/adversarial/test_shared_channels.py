"""A war room must stay a private channel of the workspace: setup refuses a channel shared with another
organisation (Slack Connect), and a war room made public or shared later is closed on the next request,
with one message to its directors."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.console.signing import SlackClientSim
from storage.models import Program
from tests.adversarial.conftest import AdversarialServed, snapshot
from tests.e2e.conftest import DIRECTOR, MEMBERS, OTHER_CHANNEL, WAR_ROOM
from tests.factories import aamc_id
from tests.harness.slack_api import SlackStandIn

OTHER_ORG = "T0OTHERORG"


def _answer(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, words: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(words, user, channel)
    return str(standin.wait_for("response_url", count=before + 1, timeout=15)[-1].params.get("text"))


def test_setup_refuses_a_channel_shared_with_another_organisation(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn) -> None:
    """Defence: bot.services.programs.ChannelFacts (is_ext_shared, pending, or is_shared beyond the org).
    Before: setup bound a Slack Connect channel, whose other organisation's people became committee."""
    standin.set_channel(OTHER_CHANNEL, is_private=True, shared_with=[OTHER_ORG])
    answer = _answer(slack, standin, DIRECTOR, OTHER_CHANNEL, "setup Internal Medicine – Shared")
    assert "shared with another organisation" in answer
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Program)) == 0
    assert standin.calls_to("chat.postMessage") == []


def test_a_war_room_made_public_or_shared_is_closed_and_its_directors_told_once(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: bot.services.programs.war_room_members checks conversations.info with each membership refresh
    (at most a minute old) and resolve_actor refuses with the reason; the directors get one message."""
    assert "Saved" in _answer(slack, standin, MEMBERS[0], WAR_ROOM, f"ref {aamc_id(1)} Called: dependable.")
    served.idle()
    for change, why in (({"is_private": False}, "public"),
                        ({"is_private": True, "shared_with": [OTHER_ORG]}, "shared with another organisation")):
        standin.set_channel(WAR_ROOM, **change)
        served.room.directory.forget()  # as a minute passing does
        standin.reset()
        before = snapshot(served.room.database)
        for user, words in ((MEMBERS[0], f"ref {aamc_id(1)} More."), (DIRECTOR, f"candidate {aamc_id(2)}"),
                            (MEMBERS[1], "list")):
            answer = _answer(slack, standin, user, WAR_ROOM, words)
            assert "war room is closed" in answer and why in answer, answer
        slack.event(standin.user_posts(WAR_ROOM, MEMBERS[0], "ref: a long enough note about the applicant for "
                                       "the thread to keep it as a note"), )
        served.idle()
        told = standin.calls_to("chat.postMessage")
        assert len(told) == 1 and f"<@{DIRECTOR}>" in told[0].params["text"] and why in told[0].params["text"]
        assert aamc_id(1) not in json.dumps(told[0].params)
        after = snapshot(served.room.database)
        assert after["reference_notes"] == before["reference_notes"]
        # Private and unshared again: open as before.
        standin.set_channel(WAR_ROOM, is_private=True, shared_with=[])
        served.room.directory.forget()
        assert "Saved" in _answer(slack, standin, MEMBERS[0], WAR_ROOM, f"ref {aamc_id(1)} Back again.")
        served.idle()
