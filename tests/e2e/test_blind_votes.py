"""Blind votes as the committee meets them: signed commands, clicks and App Home events, both databases.

With `/soap policy set blind_votes=yes` the card in the channel says how many voted, not how; a member
sees the tally with `/soap votes` only after voting; a director sees everything; switching redraws the
posted cards; `/soap list` is unchanged."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.console.payloads import app_home_opened_event
from bot.console.signing import SlackClientSim
from bot.services.candidate_cards import redraw_stale_cards
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn

M1, M2, M3, OBSERVER = MEMBERS
APPLICANT, OTHER = aamc_id(1), aamc_id(2)


def ask(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def click(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, action: str, ts: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.block_action(user, channel, action, value=APPLICANT, message_ts=ts)
    return str(standin.wait_for("response_url", count=before + 1)[-1].params["text"])


def card_votes(blocks: list[dict[str, Any]]) -> str:
    """The card's Committee votes section as text."""
    texts = [b["text"]["text"] for b in blocks if b.get("type") == "section" and "text" in b]
    at = next(i for i, text in enumerate(texts) if "Committee votes" in text)
    return "\n".join(texts[at:at + 2])


def open_home(slack: SlackClientSim, standin: SlackStandIn, user: str) -> str:
    before = len(standin.calls_to("views.publish"))
    assert slack.event(app_home_opened_event(user)).status == 200
    view = standin.wait_for("views.publish", count=before + 1)[-1].params["view"]
    return json.dumps(json.loads(view) if isinstance(view, str) else view, ensure_ascii=False)


def test_blind_votes_hide_the_tally_until_a_member_votes_and_directors_see_everything(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    import_export(served.room.database, program_id, eras_csv([applicant_row(1), applicant_row(2)]),
                  actor=DIRECTOR, today=date(2027, 3, 16), filename="export.csv")
    ask(slack, standin, DIRECTOR, war_room, f"observer add <@{OBSERVER}>")
    slack.command(f"candidate {APPLICANT}", M1, war_room)
    card = next(c for c in standin.wait_for("chat.postMessage", count=2) if APPLICANT in c.params["text"])
    ts = card.response["ts"]
    click(slack, standin, M1, war_room, "vote.rank_high", ts)
    assert "Rank high: *1*" in card_votes(standin.wait_for("chat.update")[-1].params["blocks"])

    assert "blind votes: no, the card shows the tally (blind_votes) _(default)_" in ask(
        slack, standin, M2, war_room, "policy")
    assert "Only a program director" in ask(slack, standin, M2, war_room, "policy set blind_votes=yes")
    updates = len(standin.calls_to("chat.update"))
    posts = len(standin.calls_to("chat.postMessage"))
    assert "posted in the war room" in ask(slack, standin, DIRECTOR, war_room, "policy set blind_votes=yes")
    switched = standin.wait_for("chat.postMessage", count=posts + 1)[-1].params["text"]
    assert "blind votes: no, the card shows the tally → yes, a member sees the tally only after voting" in switched
    assert "The 1 posted card is redrawn within 1 minute to show only how many voted." in switched
    assert redraw_stale_cards(served.room) == 1  # the clock's cards.redraw job
    redrawn = standin.wait_for("chat.update", count=updates + 1)[-1].params
    assert redrawn["ts"] == ts
    shown = card_votes(redrawn["blocks"])
    assert "*1 vote* · blind votes: the tally is hidden until you vote" in shown
    assert "Rank high" not in shown

    # A second member votes: the channel's card says how many, not how.
    updates = len(standin.calls_to("chat.update"))
    click(slack, standin, M2, war_room, "vote.do_not_rank", ts)
    shown = card_votes(standin.wait_for("chat.update", count=updates + 1)[-1].params["blocks"])
    assert "*2 votes*" in shown and "Do not rank" not in shown and "Rank high" not in shown

    before_vote = ask(slack, standin, M3, war_room, f"votes {APPLICANT}")
    assert "2 votes so far. Blind votes are on" in before_vote
    assert "Rank high" not in before_vote and "Do not rank" not in before_vote
    voted = click(slack, standin, M3, war_room, "vote.rank", ts)
    assert "Committee so far: Rank high 1 · Rank 1 · Only if needed 0 · Do not rank 1" in voted
    after_vote = ask(slack, standin, M3, war_room, f"votes {APPLICANT}")
    assert "Rank high 1 · Rank 1 · Only if needed 0 · Do not rank 1 (3 votes)" in after_vote
    assert M1 not in after_vote and M2 not in after_vote  # no names for a member

    everything = ask(slack, standin, DIRECTOR, war_room, f"votes {APPLICANT}")
    assert f"*Rank high* (1): <@{M1}>" in everything and f"*Do not rank* (1): <@{M2}>" in everything
    assert "Rank high 1 · Rank 1" in ask(slack, standin, OBSERVER, war_room, f"votes {APPLICANT}")  # never votes

    # App Home: the top of the list hides the support of applicants the member has not voted on.
    ask(slack, standin, M1, war_room, f"vote {OTHER} high")
    home = open_home(slack, standin, M3)
    assert f"({OTHER}) · votes hidden until you vote" in home
    assert f"({APPLICANT}) · support 2, dissent 1" in home
    assert f"({OTHER}) · support 1, dissent 0" in open_home(slack, standin, DIRECTOR)

    listed_blind = ask(slack, standin, M3, war_room, "list")

    # Switching it off redraws the card with the tally again.
    updates = len(standin.calls_to("chat.update"))
    posts = len(standin.calls_to("chat.postMessage"))
    assert "posted in the war room" in ask(slack, standin, DIRECTOR, war_room, "policy set blind_votes=no")
    assert "to show the tallies again" in standin.wait_for("chat.postMessage", count=posts + 1)[-1].params["text"]
    assert redraw_stale_cards(served.room) == 1
    shown = card_votes(standin.wait_for("chat.update", count=updates + 1)[-1].params["blocks"])
    assert "Rank high: *1* · Rank: *1* · Only if needed: *0* · Do not rank: *1*" in shown
    # `/soap list` is the committee's output: blind votes leave it as it is.
    assert ask(slack, standin, M3, war_room, "list") == listed_blind
    assert APPLICANT in listed_blind and OTHER in listed_blind
    with served.room.database.reading() as session:
        changes = session.scalars(select(AuditEvent).where(AuditEvent.action == "triage.policy")).all()
    assert [(e.before or {}).get("blind_votes") for e in changes] == [False, True]
