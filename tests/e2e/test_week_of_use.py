"""What a week of real use found, checked as the committee meets it: signed commands, both databases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console.signing import SlackClientSim
from bot.messages.ids import ActionId
from storage.database import Database
from storage.models import (
    ApplicantAvailability,
    Candidate,
    Interview,
    ListSnapshot,
    Program,
    Ranking,
    ReferenceNote,
    Vote,
)
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import aamc_id, applicant_rows, eras_csv
from tests.harness.processes import SOAPBOT, soapbot_env
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

M1, M2, _, _ = MEMBERS
APPLICANTS = {  # synthetic: AAMC ID -> (first, last)
    "29000001": ("Chloé", "O'Brien"),
    "29000002": ("Ana", "O’Brien"),
    "29000003": ("Arjun", "Nguyen"),
    "29000004": ("Arjun", "Kowalski"),
    "29000005": ("Chloe", "Kowalski"),
    "29000006": ("Arjun", "Okafor"),
}


@pytest.fixture
def applicants(served: Served, war_room: str) -> str:
    with served.room.database.transaction() as session:
        program = session.scalars(select(Program).where(Program.channel_id == war_room)).one()
        for aamc, (first, last) in APPLICANTS.items():
            session.add(Candidate(program_id=program.id, aamc_id=aamc, first_name=first, last_name=last,
                                  bucket="strong paper", tracks=["Categorical"],
                                  profile={"aamc_id": aamc, "first_name": first, "last_name": last}))
    return war_room


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


def test_a_straight_apostrophe_in_a_name_reads_like_a_curly_one(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    voted = command(slack, standin, M1, applicants, "vote Chloé O'Brien high")
    assert "quotation" not in voted and "Could not read" not in voted
    ranked = command(slack, standin, M1, applicants, "rank Chloé O'Brien, Arjun Nguyen")
    assert "Could not read" not in ranked
    withdrawn = command(slack, standin, DIRECTOR, applicants, "status Ana O'Brien withdrawn")
    assert "Could not read" not in withdrawn
    with served.room.database.reading() as session:
        vote = session.scalars(select(Vote).join(Candidate).where(Candidate.aamc_id == "29000001")).one()
        assert vote.user_id == M1
        ranking = session.scalars(select(Candidate.aamc_id).join(Ranking, Ranking.candidate_id == Candidate.id)
                                  .where(Ranking.user_id == M1).order_by(Ranking.position)).all()
        assert ranking == ["29000001", "29000003"]
        out = session.scalars(select(ApplicantAvailability).join(Candidate)
                              .where(Candidate.aamc_id == "29000002")).one()
        assert out.status == "withdrawn"


def test_an_unclosed_double_quote_is_named(slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    answer = command(slack, standin, M1, applicants, 'vote "Chloé O\'Brien high')
    assert "double quote" in answer


def _console(cwd: Path, database_url: str, script: str) -> str:
    done = subprocess.run([SOAPBOT, "console"], cwd=cwd, input=script, capture_output=True, text=True,
                          encoding="utf-8", env=soapbot_env(DATABASE_URL=database_url, PYTHONIOENCODING="utf-8"),
                          timeout=150, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.timeout(300)
def test_a_second_console_session_never_reuses_a_thread_so_notes_reach_their_applicant(
        tmp_path: Path, database_url: str) -> None:
    """Each console session used to start Slack timestamps again, so a card posted in a second
    session took the thread of an older card, and its notes were saved on the older applicant."""
    first, second = aamc_id(0), aamc_id(1)
    (tmp_path / "export.csv").write_bytes(eras_csv(applicant_rows(3)))
    _console(tmp_path, database_url, f"/soap setup Internal Medicine – Test\nshare export.csv import\n"
                                     f"/soap candidate {first}\n")
    # Three plain messages first, so the new card would land on the ts the first session's card has.
    shown = _console(tmp_path, database_url, f"say one\nsay two\nsay three\n/soap candidate {second}\n"
                                             "reply 4 ref: Spoke with her program director, strong and reliable.\n")
    assert "message 4" in shown
    database = Database(database_url)
    with database.reading() as session:
        threads = dict(session.execute(select(Candidate.aamc_id, Candidate.thread_ts)
                                       .where(Candidate.thread_ts.is_not(None))).all())
        noted = session.scalars(select(Candidate.aamc_id).join(ReferenceNote)).all()
    assert len(set(threads.values())) == 2, threads
    assert noted == [second]


def test_a_card_given_another_applicants_thread_never_takes_it(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str,
        caplog: pytest.LogCaptureFixture) -> None:
    def threads() -> dict[str, str]:
        with served.room.database.reading() as session:
            return dict(session.execute(select(Candidate.aamc_id, Candidate.thread_ts)
                                        .where(Candidate.thread_ts.is_not(None))).all())

    slack.command("candidate 29000003", M1, applicants)
    taken = eventually(lambda: threads().get("29000003"))
    standin.repeat_ts(taken)
    slack.command("candidate 29000004", M1, applicants)
    linked = eventually(lambda: threads().get("29000004"))
    assert linked != taken
    assert threads()["29000003"] == taken
    assert any("ts of another candidate's card" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


def _share_export(slack: SlackClientSim, standin: SlackStandIn, channel: str, user: str, name: str,
                  content: bytes) -> None:
    file = standin.share_file(name, content, user)
    event = slack.message_event(channel, user, "import")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    assert slack.event(event, event_id=f"Ev{event['ts'].replace('.', '')}").status == 200


# A real PDWS field list without `Medical School Type`, a country or a degree column (DOMAIN.md §4).
NO_SCHOOL_TYPE = (
    "\ufeffAAMC ID,First Name,Last Name,Medical School of Graduation,COMLEX-USA Level 1 Status,"
    "USMLE Step 2 CK Score\r\n"
    "29100001,Dana,Osteotest,Example Heritage College of Osteopathic Medicine,Pass,\r\n"
    "29100002,Robin,Unknownton,Example State University College of Medicine,,241\r\n").encode()


def test_a_graduate_of_unknown_school_type_is_never_called_an_img(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _share_export(slack, standin, war_room, M1, "soap.csv", NO_SCHOOL_TYPE)
    served.idle()
    with served.room.database.reading() as session:
        kinds = dict(session.execute(select(Candidate.aamc_id, Candidate.degree_type)).all())
    assert kinds == {"29100001": "US DO", "29100002": None}
    slack.command("candidate 29100002", M1, war_room)
    card = eventually(lambda: next((json.dumps(m) for m in standin.messages(war_room) if "29100002" in json.dumps(m)
                                    and "Committee votes" in json.dumps(m)), None))
    assert "IMG" not in card.replace("IMG rules", "")
    assert "school type not in the export" in card
    assert "school type (US, Canadian or international) (IMG rules off)" in card


def test_help_for_one_command_and_a_bare_soap_answer_briefly(
        slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    one = command(slack, standin, M1, war_room, "help vote")
    assert one.startswith("`/soap vote ")
    assert "/soap list" not in one and len(one.splitlines()) <= 3
    bare = command(slack, standin, M1, war_room, "")
    assert "`/soap help vote`" in bare and "`candidate`" in bare and "`vote`" in bare
    assert len(bare.splitlines()) == 2
    unknown = command(slack, standin, M1, war_room, "help vot")
    assert "Did you mean `/soap vote`" in unknown
    whole = command(slack, standin, M1, war_room, "help")
    assert "/soap list" in whole and "/soap vote" in whole


def _lock_button(answer: dict) -> str:
    for block in answer.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == ActionId.LIST_LOCK_CONFIRM.value:
                return str(element["value"])
    raise AssertionError(f"no Lock button in {answer!r}")


def test_a_lock_button_acts_only_on_the_check_it_was_shown_with(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    command(slack, standin, M1, applicants, "vote 29000003 high")
    before = len(standin.calls_to("response_url"))
    slack.command("list lock 1", DIRECTOR, applicants)
    first_check = standin.wait_for("response_url", count=before + 1)[-1].params
    old_lock = _lock_button(first_check)
    command(slack, standin, M2, applicants, "vote 29000004 high")  # a list the director has not seen

    before = len(standin.calls_to("response_url"))
    slack.block_action(DIRECTOR, applicants, ActionId.LIST_LOCK_CONFIRM.value, value=old_lock)
    again = standin.wait_for("response_url", count=before + 1)[-1].params
    assert "Nothing was locked" in json.dumps(again["blocks"])
    with served.room.database.reading() as session:
        assert session.scalars(select(ListSnapshot)).all() == []

    before = len(standin.calls_to("response_url"))
    slack.block_action(DIRECTOR, applicants, ActionId.LIST_LOCK_CONFIRM.value, value=_lock_button(again))
    standin.wait_for("response_url", count=before + 1)
    with served.room.database.reading() as session:
        assert session.scalars(select(ListSnapshot)).all() != []


def test_every_applicant_taking_command_takes_a_two_word_name(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, applicants: str) -> None:
    """`Arjun` matches three applicants; `Arjun Kowalski` one. Each command reads the name alike."""
    referenced = command(slack, standin, M1, applicants, "ref Arjun Kowalski called his PD: reliable and kind")
    assert "matches" not in referenced
    with served.room.database.reading() as session:
        noted = session.execute(select(Candidate.aamc_id, ReferenceNote.text).join(ReferenceNote)).all()
    assert [(aamc, text) for aamc, text in noted] == [("29000004", "called his PD: reliable and kind")]

    listed = command(slack, standin, M1, applicants, "notes Arjun Kowalski")
    assert "Reference notes for *Arjun Kowalski* (29000004): 1 reference note" in listed
    assert "Use `/soap notes" not in command(slack, standin, M1, applicants, "notes Chloe Kowalski")

    proposed = command(slack, standin, M1, applicants, "interview Arjun Okafor")
    assert "is not something an interview can do" not in proposed
    with served.room.database.reading() as session:
        interviewed = session.scalars(select(Candidate.aamc_id).join(Interview)).all()
    assert interviewed == ["29000006"]

    scored = command(slack, standin, M1, applicants, "scorecard Arjun Okafor")  # read as that applicant
    assert "the interview with Arjun Okafor (29000006)" in scored

    overridden = command(slack, standin, DIRECTOR, applicants,
                         "triage Arjun Kowalski strong known to us from a rotation")
    assert "unknown bucket" not in overridden and "*strong paper*" in overridden
    with served.room.database.reading() as session:
        reason = session.scalar(select(Candidate.override_reason).where(Candidate.aamc_id == "29000004"))
    assert reason == "known to us from a rotation"
