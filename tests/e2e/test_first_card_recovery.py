"""A first card that Slack received but whose thread the bot never stored (the request died between
Slack's answer and its write: a database fault there, or the process killed) is found again, not posted
twice: the card's intent is stored with its claim, with a marker that travels in the message, and the
next request for that candidate, once the claim has run out, looks the card up by it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.console.signing import SlackClientSim
from bot.services import candidate_cards
from bot.services.candidate_import import import_export
from storage.models import BotPost, Candidate, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn


def _cards(standin: SlackStandIn) -> list[Any]:
    return [call for call in standin.calls_to("chat.postMessage")
            if call.params.get("thread_ts") is None and call.response and call.response.get("ok")]


def test_a_card_whose_thread_was_never_stored_becomes_the_thread_instead_of_a_second_card(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    assert import_export(served.room.database, program_id, eras_csv([applicant_row(1)]), actor=DIRECTOR,
                         today=date(2027, 3, 17), filename="export.csv").ok
    take_thread = candidate_cards._take_thread

    def database_gone(*_args: Any, **_kwargs: Any) -> bool:
        raise OperationalError("UPDATE candidates", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(candidate_cards, "_take_thread", database_gone)
    slack.command(f"candidate {aamc_id(1)}", MEMBERS[0], war_room)
    served.idle()
    assert len(_cards(standin)) == 1  # Slack has the card; the bot stored nothing after it
    posted = _cards(standin)[0].response["ts"]
    with served.room.database.reading() as session:
        assert session.scalars(select(Candidate.thread_ts)).one() is None

    monkeypatch.setattr(candidate_cards, "_take_thread", take_thread)
    served.clock.advance(candidate_cards.FIRST_CARD_CLAIM)  # the dead request's claim runs out
    served.clock.advance(seconds=1)
    slack.command(f"candidate {aamc_id(1)}", MEMBERS[1], war_room)
    served.idle()

    assert len(_cards(standin)) == 1, "a second card was posted"
    with served.room.database.reading() as session:
        assert session.scalars(select(Candidate.thread_ts)).one() == posted
        recorded = session.scalars(select(BotPost.ref).where(BotPost.kind == "message")).all()
    assert posted in recorded  # the purge deletes it
    assert any(call.params.get("ts") == posted for call in standin.calls_to("chat.update"))  # redrawn
