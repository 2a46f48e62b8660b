"""A lock whose post Slack took while the bot lost the answer (a 500, then no way to look it up: as when the
process is killed between Slack's answer and its record) is finished by the director's next `lock`: the
post is found by its marker and recorded (never posted twice), the CSV is uploaded, and the purge's
record holds both. Signed requests, both databases."""

from __future__ import annotations

from sqlalchemy import select

from bot.console.signing import SlackClientSim
from storage.models import BotPost, Candidate, Program
from tests.e2e.conftest import DIRECTOR, Served
from tests.harness.slack_api import SlackStandIn

A = "20000001"
LOCK_POST = "Round 1 preference list locked"


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    return str(standin.wait_for("response_url", count=before + 1)[-1].params["text"])


def test_a_lock_post_whose_answer_was_lost_is_finished_by_the_next_lock_not_doubled(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        session.add(Candidate(program_id=program.id, aamc_id=A, first_name="Avery", last_name="Testperson",
                              bucket="interviewed", tracks=["Categorical"]))
    assert "You voted" in command(slack, standin, DIRECTOR, war_room, f"vote {A} high")
    standin.fail("chat.postMessage", times=1, status=500, processed=True)  # Slack posts it, the answer is lost
    standin.fail("conversations.history", times=100, status=503)  # and Slack cannot say so for now
    answer = command(slack, standin, DIRECTOR, war_room, "list lock 1 confirm")
    assert "Round 1 is locked" in answer and "Slack did not take" in answer
    served.idle()
    assert not [u for u in standin.uploads if u.completed]
    standin.reset()  # Slack answers again
    again = command(slack, standin, DIRECTOR, war_room, "list lock 1")
    assert "had not reached the war room" in again and "posted now" in again, again
    served.idle()
    posts = [m for m in standin.messages(war_room) if LOCK_POST in m.get("text", "")]
    assert len(posts) == 1, "the lock post Slack had is found, not posted again"
    csvs = [u.filename for u in standin.uploads if u.completed]
    assert csvs == ["internal-medicine-test-soap-round-1-preference-list.csv"]
    with served.room.database.reading() as session:
        kinds = {(k, r) for k, r in session.execute(select(BotPost.kind, BotPost.ref))}
    assert ("message", posts[0]["ts"]) in kinds
    assert any(k == "file" for k, _ in kinds)
    # Everything is in the war room now: a third `lock` says so, as before.
    assert "nothing to lock" in command(slack, standin, DIRECTOR, war_room, "list lock 1").lower()
