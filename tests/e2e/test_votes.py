"""Votes and the preference list as the committee uses them: signed clicks and commands, both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main as soapbot
from bot.console.signing import SlackClientSim
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Candidate, ListSnapshot, Program, Ranking, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.slack_api import RecordedCall, SlackStandIn
from tests.harness.waiting import eventually

M1, M2, M3, M4 = MEMBERS
A, B, C, E = "20000001", "20000002", "20000003", "20000005"
APPLICANTS = {  # synthetic: AAMC ID -> (first, last, bucket, tracks)
    A: ("Avery", "Testperson", "interviewed", ["Categorical"]),
    B: ("Blake", "<!channel> Sampleton", "strong paper", ["Preliminary"]),
    C: ("Casey", "=Fictional", "backup", []),
    E: ("Emery", "Placeholder", "do not rank", []),
}


@pytest.fixture
def candidates(served: Served, war_room: str) -> str:
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for aamc, (first, last, bucket, tracks) in APPLICANTS.items():
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=first, last_name=last,
                                  bucket=bucket, tracks=tracks))
    return war_room


def answers(standin: SlackStandIn, count: int) -> list[dict]:
    return [c.params for c in standin.wait_for("response_url", count=count)]


def click(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, action: str, aamc: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.block_action(user, channel, action, value=aamc)
    answer = answers(standin, before + 1)[-1]
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> dict:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = answers(standin, before + 1)[-1]
    assert answer["response_type"] == "ephemeral"
    return answer


def section_text(answer: dict) -> str:
    return "\n".join(b["text"]["text"] for b in answer.get("blocks") or [] if b["type"] == "section")


def export(served: Served, channel: str, round_number: int, out: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    monkeypatch.chdir(out.parent)
    monkeypatch.setenv("DATABASE_URL", served.settings.database_url)
    assert soapbot(["export-list", "--program", channel, "--round", str(round_number), "--out", str(out)]) == 0
    return out.read_bytes()


def test_five_members_vote_rank_list_lock_and_export(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                                     candidates: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    room = candidates
    assert click(slack, standin, DIRECTOR, room, "vote.rank_high", A).startswith(
        "You voted *rank high* on Testperson, Avery (20000001).")
    click(slack, standin, M1, room, "vote.rank_high", A)
    click(slack, standin, M2, room, "vote.rank", A)
    click(slack, standin, DIRECTOR, room, "vote.rank", B)
    click(slack, standin, M1, room, "vote.if_needed", B)
    changed = click(slack, standin, M1, room, "vote.rank", B)  # a changed mind
    assert "from only if needed to *rank*" in changed
    click(slack, standin, M2, room, "vote.do_not_rank", B)
    for user in (DIRECTOR, M1, M2):
        click(slack, standin, user, room, "vote.do_not_rank", E)
    click(slack, standin, M4, room, "vote.rank", E)
    text_vote = command(slack, standin, M2, room, "vote 20000003 if-needed")
    assert "You voted *only if needed* on =Fictional, Casey" in text_vote["text"]
    ranked = command(slack, standin, M3, room, f"rank {B} {A} {C}")
    assert "Your ordering of 3 candidates is saved." in ranked["text"]
    assert "&lt;!channel&gt; Sampleton" in ranked["text"]

    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Vote)) == 11
        assert session.scalar(select(func.count()).select_from(Ranking)) == 3

    listing = command(slack, standin, M4, room, "list")
    body = section_text(listing)
    lines = body.splitlines()
    assert lines[0].startswith("*1.* Testperson, Avery (20000001) · _interviewed_ · support 3 · dissent 0")
    assert f"not voted: <@{M4}>" in lines[0]
    assert lines[1].startswith("*2.* &lt;!channel&gt; Sampleton, Blake (20000002) · _strong paper_ · "
                               "support 2 · dissent 1")
    assert lines[2].startswith("*3.* =Fictional, Casey (20000003) · _backup_ · support 0 · dissent 0")
    assert len(lines) == 3
    footer = json.dumps(listing["blocks"][-1])
    assert "Left off by a majority of do not rank: 1" in footer
    assert "Ballots from 5 of 5 voting members" in footer

    standin.reset()
    refused = command(slack, standin, M1, room, "list lock 1")
    assert "Only a program director" in refused["text"]
    assert standin.calls_to("chat.postMessage") == []

    # The lock first shows the director what the list holds; nothing is locked until Lock is pressed.
    standin.reset()
    checked = command(slack, standin, DIRECTOR, room, "list lock 1")
    assert "Before you lock round 1" in checked["text"]
    assert f"*Not voted yet:* <@{M4}> (3 of 3), <@{DIRECTOR}> (1 of 3), <@{M1}> (1 of 3)" in checked["text"]
    assert "Lists: Preference list: 3 applicants." in checked["text"]
    assert [b["text"]["text"] for b in next(x for x in checked["blocks"] if x["type"] == "actions")["elements"]] \
        == ["Lock", "Cancel"]
    assert "Nothing was locked" in click(slack, standin, DIRECTOR, room, "list.lock_cancel", "1|")
    served.idle()
    assert standin.calls_to("chat.postMessage") == []
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(ListSnapshot)) == 0
    assert "Only a program director" in click(slack, standin, M1, room, "list.lock_confirm", "1|")
    locked = click(slack, standin, DIRECTOR, room, "list.lock_confirm", "1|")
    assert "Round 1 is locked with 3 candidates" in locked
    post = standin.wait_for("chat.postMessage")[0].params
    assert post["channel"] == room
    assert "Round 1 preference list locked" in post["text"]
    uploads = [u for u in standin.uploads if u.completed]
    assert len(uploads) == 1
    upload = uploads[0]
    assert upload.channel_id == room
    assert upload.filename.endswith("soap-round-1-preference-list.csv")
    rows = list(csv.reader(io.StringIO(upload.text)))
    assert rows == [["Rank", "AAMC ID", "Name", "Track"], ["1", A, "Testperson, Avery", "Categorical"],
                    ["2", B, "<!channel> Sampleton, Blake", "Preliminary"],  # a file: Slack renders no mrkdwn in it
                    ["3", C, "'=Fictional, Casey", "categorical"]]

    # Votes after the lock change the current order but not the locked list.
    for user in (DIRECTOR, M1, M2, M3, M4):
        click(slack, standin, user, room, "vote.rank_high", C)
    relisted = section_text(command(slack, standin, M1, room, "list"))
    assert relisted.splitlines()[0].startswith("*1.* =Fictional, Casey")
    exported = export(served, room, 1, tmp_path / "round1.csv", monkeypatch)
    assert exported == upload.content

    again = command(slack, standin, DIRECTOR, room, "list lock 1 confirm")
    assert "already locked" in again["text"]
    assert "every list with applicants is locked already" in command(slack, standin, DIRECTOR, room,
                                                                     "list lock 1")["text"]
    no_reason = command(slack, standin, DIRECTOR, room, "list unlock 1")
    assert "Say why" in no_reason["text"]
    standin.reset()
    command(slack, standin, DIRECTOR, room, "list unlock 1 Casey's interview went well")
    unlock_post = standin.wait_for("chat.postMessage")[0].params
    assert f"<@{DIRECTOR}> unlocked round 1" in unlock_post["text"]
    with served.room.database.reading() as session:
        unlock = session.scalars(select(AuditEvent).where(AuditEvent.action == "list.unlock")).one()
    assert unlock.actor == DIRECTOR
    assert unlock.after is not None
    assert unlock.after["reason"] == "Casey's interview went well"


def test_observers_cannot_vote_and_only_directors_see_who_voted_what(served: Served, slack: SlackClientSim,
                                                                     standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    command(slack, standin, DIRECTOR, room, f"observer add <@{M4}>")
    refused = click(slack, standin, M4, room, "vote.rank", A)
    assert "observer" in refused
    click(slack, standin, M1, room, "vote.rank", A)
    click(slack, standin, M2, room, "vote.do_not_rank", A)
    tally = command(slack, standin, M1, room, f"votes {A}")["text"]
    assert "Rank 1 · Only if needed 0 · Do not rank 1 (2 votes)" in tally
    assert M1 not in tally and M2 not in tally  # who voted what is for directors
    shown = command(slack, standin, DIRECTOR, room, f"votes {A}")
    assert f"*Rank* (1): <@{M1}>" in shown["text"]
    assert f"*Do not rank* (1): <@{M2}>" in shown["text"]
    with served.room.database.reading() as session:
        assert sorted(session.scalars(select(Vote.user_id))) == [M1, M2]


def test_bad_input_names_the_problem_and_stores_nothing(served: Served, slack: SlackClientSim,
                                                        standin: SlackStandIn, candidates: str) -> None:
    room = candidates
    unknown = command(slack, standin, M1, room, f"rank {A} 29999999 {B} 28888888")
    assert "29999999" in unknown["text"] and "28888888" in unknown["text"]
    assert "Nothing was stored" in unknown["text"]
    assert "not a vote" in command(slack, standin, M1, room, f"vote {A} perhaps")["text"]
    assert "No candidate has AAMC ID 21111111" in command(slack, standin, M1, room, "vote 21111111 high")["text"]
    assert "nothing to lock" in command(slack, standin, DIRECTOR, room, "list lock 1")["text"]
    assert "nothing to lock" in command(slack, standin, DIRECTOR, room, "list lock 1 confirm")["text"]
    assert "no round 9" in command(slack, standin, DIRECTOR, room, "list lock 9")["text"]
    assert "Only a program director" in command(slack, standin, M1, room, f"pin {A}")["text"]
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Vote)) == 0
        assert session.scalar(select(func.count()).select_from(Ranking)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action.like("vote.%") | AuditEvent.action.like("ranking.%") | AuditEvent.action.like("list.%")
        )) == 0


def test_a_director_pins_a_home_student_to_the_top(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                                    candidates: str) -> None:
    room = candidates
    click(slack, standin, M1, room, "vote.rank_high", A)
    click(slack, standin, M2, room, "vote.if_needed", C)
    answer = command(slack, standin, DIRECTOR, room, f"pin {C}")
    assert "is pinned" in answer["text"]
    announcement = standin.wait_for("chat.postMessage")[-1].params
    assert announcement["channel"] == room
    assert "pinned =Fictional, Casey (20000003)" in announcement["text"]
    lines = section_text(command(slack, standin, M1, room, "list")).splitlines()
    assert lines[0].startswith("*1.* :pushpin: =Fictional, Casey")
    assert lines[1].startswith("*2.* Testperson, Avery")
    everything = json.dumps([c.params for c in standin.calls if isinstance(c, RecordedCall)])
    assert "<!channel>" not in everything


def test_a_vote_button_on_the_card_records_the_vote_and_refreshes_the_tallies(served: Served, slack: SlackClientSim,
                                                                               standin: SlackStandIn,
                                                                               war_room: str) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    imported = import_export(served.room.database, program_id, eras_csv([applicant_row(1), applicant_row(2)]),
                             actor=DIRECTOR, today=date(2027, 3, 16), filename="export.csv")
    assert imported.new == 2
    aamc = aamc_id(1)
    slack.command(f"candidate {aamc}", M1, war_room)
    card = standin.wait_for("chat.postMessage")[0]
    buttons = [e for b in card.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons if b["action_id"].startswith("vote.")] == [
        ("vote.rank_high", aamc), ("vote.rank", aamc), ("vote.if_needed", aamc), ("vote.do_not_rank", aamc)]
    ts = card.response["ts"]

    before = len(standin.calls_to("response_url"))
    slack.block_action(M2, war_room, "vote.rank_high", value=aamc, message_ts=ts)
    assert "You voted *rank high*" in answers(standin, before + 1)[-1]["text"]
    update = standin.wait_for("chat.update")[-1].params
    assert update["ts"] == ts
    shown = json.dumps(update["blocks"])
    assert "Rank high: *1*" in shown
    assert M2 not in shown  # the channel sees tallies, not who voted what


def test_a_vote_cast_while_the_first_card_is_on_its_way_is_on_that_card(served: Served, slack: SlackClientSim,
                                                                         standin: SlackStandIn,
                                                                         war_room: str) -> None:
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    import_export(served.room.database, program_id, eras_csv([applicant_row(3)]), actor=DIRECTOR,
                  today=date(2027, 3, 16), filename="export.csv")
    aamc = aamc_id(3)
    slow_post = standin.hold("chat.postMessage")  # Slack takes its time with the first card
    slack.command(f"candidate {aamc}", M1, war_room)
    assert slow_post.arrived.wait(5), "the card was never posted"
    assert "You voted *rank high*" in command(slack, standin, M2, war_room, f"vote {aamc} high")["text"]

    def card_marked_stale() -> bool:
        with served.room.database.reading() as session:
            return bool(session.scalar(select(Candidate.card_stale).where(Candidate.aamc_id == aamc)))
    assert eventually(card_marked_stale)  # the vote is in while the card is still on its way
    slow_post.release()
    card = standin.wait_for("chat.postMessage")[0]
    assert "Rank high: *1*" not in json.dumps(card.params["blocks"])  # drawn before the vote
    update = standin.wait_for("chat.update")[-1].params
    assert update["ts"] == card.response["ts"]
    assert "Rank high: *1*" in json.dumps(update["blocks"])
    served.idle()
    with served.room.database.reading() as session:
        stored = session.scalars(select(Candidate).where(Candidate.aamc_id == aamc)).one()
        assert (stored.thread_ts, stored.card_stale, stored.card_claimed_at) == (card.response["ts"], False, None)


def test_the_lock_post_marks_each_tie_group_from_its_first_rank_as_soap_list_does(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    ids = [f"2100000{n}" for n in range(1, 6)]
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for n, aamc in enumerate(ids, start=1):
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=f"Tie{n}", last_name=f"Grouper{n}",
                                  bucket="strong paper", tracks=["Categorical"]))
    # Two tie groups: ranks 1–2 (rank high) and 3–4 (rank).
    for aamc, choice in zip(ids, ("high", "high", "rank", "rank"), strict=False):
        command(slack, standin, M1, war_room, f"vote {aamc} {choice}")
    command(slack, standin, DIRECTOR, war_room, f"vote {ids[4]} dnr")  # a ballot with no say on the four
    listing = json.dumps(command(slack, standin, DIRECTOR, war_room, "list")["blocks"])
    assert [listing.count(f"*{mark}*") for mark in ("1=", "3=", "2=", "4=")] == [2, 2, 0, 0]

    command(slack, standin, DIRECTOR, war_room, "list lock 1 confirm")
    post = next(c.params for c in standin.wait_for("chat.postMessage")
                if "preference list locked" in str(c.params.get("text", "")))
    blocks = json.dumps(post["blocks"])
    # The post the committee checks against R3 shows the same groups, never 1= 2= 3= 4=.
    assert [blocks.count(f"*{mark}*") for mark in ("1=", "3=", "2=", "4=")] == [2, 2, 0, 0]
    # The post names whose ballot broke the ties, as /soap list does.
    assert f"the order follows <@{DIRECTOR}>'s ballot" in listing
    assert f"broken by <@{DIRECTOR}>'s ballot" in blocks
