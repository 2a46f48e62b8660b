"""A typed note's words give it a sentiment, the card shows it, and the check before a lock uses it:
signed `/soap ref` commands and thread replies, on both databases."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from bot.console.payloads import new_ts
from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import Candidate, Program, ReferenceNote
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

M1, M2 = MEMBERS[0], MEMBERS[1]
WORRY, FINE = aamc_id(1), aamc_id(2)


def ask(slack: SlackClientSim, standin: SlackStandIn, text: str, user: str, channel: str) -> str:
    standin.reset()
    slack.command(text, user, channel)
    return str(standin.wait_for("response_url")[-1].params["text"])


def _sentiments(served: Served) -> dict[tuple[str, str], str | None]:
    with served.room.database.reading() as session:
        return {(source, aamc): sentiment for source, aamc, sentiment in session.execute(
            select(ReferenceNote.source, Candidate.aamc_id, ReferenceNote.sentiment)
            .join(Candidate, Candidate.id == ReferenceNote.candidate_id))}


def test_a_typed_concern_after_the_votes_is_on_the_card_and_in_the_lock_check_and_no_concerns_is_not(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    assert import_export(served.room.database, program_id, eras_csv([applicant_row(1), applicant_row(2)]),
                         actor=DIRECTOR, today=date(2027, 3, 16), filename="export.csv").new == 2
    for member in MEMBERS:
        for aamc in (WORRY, FINE):
            ask(slack, standin, f"vote {aamc} high", member, war_room)
    served.clock.advance(minutes=20)  # the reference calls come in after the votes

    concern = ask(slack, standin, f"ref {WORRY} Called her PD: a real concern about reliability on nights",
                  M1, war_room)
    assert "Its words read as *Concern*" in concern
    card = standin.wait_for("chat.update")[-1].params  # the card redrawn with the note
    assert ":warning: _Concern_" in json.dumps(card["blocks"])
    assert "1 concern" in json.dumps(card["blocks"])

    reassured = ask(slack, standin, f"ref {FINE} Spoke to the clerkship director: no concerns at all", M2, war_room)
    assert "read as" not in reassured
    with served.room.database.reading() as session:
        thread = session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == FINE))
    assert thread is not None
    slack.event(slack.message_event(war_room, M1, "Second reference: no red flags, would not hesitate to recommend",
                                    new_ts(), thread_ts=thread))
    eventually(lambda: ("thread", FINE) in _sentiments(served))
    assert _sentiments(served) == {("command", WORRY): "concern", ("command", FINE): None,
                                   ("thread", FINE): "positive"}

    check = ask(slack, standin, "list lock 1", DIRECTOR, war_room)
    warned = [line for line in check.splitlines() if line.startswith("• ")]
    assert len(warned) == 1, check
    assert f"({WORRY}): a concern note newer than the last vote" in warned[0]
    assert FINE not in "\n".join(warned)
