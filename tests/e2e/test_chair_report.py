"""The chair's report after a round with an accepted and a declined offer: `/soap report` through signed
requests (posted in the war room, Markdown and CSV), and `soapbot report --out -` as a process, on both
databases. It names the accepted applicant and the positions per code, and no other applicant."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.console.signing import SlackClientSim
from bot.messages.ids import ActionId
from bot.messages.records import CONFIRM_BLOCK
from bot.services.candidate_import import import_export
from storage.models import Candidate, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, Served
from tests.factories import applicant_row, eras_csv
from tests.harness.processes import SOAPBOT, soapbot_env
from tests.harness.slack_api import SlackStandIn

M1, M2 = MEMBERS[0], MEMBERS[1]
CAT, PRE = "1234140C0", "1234140P0"
CAT_TRACK, PRE_TRACK = f"Internal Medicine|{CAT} (Categorical)", f"Internal Medicine|{PRE} (Preliminary)"
ACCEPTS, DECLINES, NEVER_OFFERED = "62000001", "62000002", "62000003"
APPLICANTS = {  # synthetic: AAMC ID -> (first, last, tracks)
    ACCEPTS: ("Ada", "Acceptwell", [CAT_TRACK]),
    DECLINES: ("Bo", "Declinesby", [CAT_TRACK, PRE_TRACK]),
    NEVER_OFFERED: ("Cy", "Neveroffered", [PRE_TRACK]),
}


def command(slack: SlackClientSim, standin: SlackStandIn, user: str, channel: str, text: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(text, user, channel)
    answer = standin.wait_for("response_url", count=before + 1)[-1].params
    assert answer["response_type"] == "ephemeral"
    return str(answer["text"])


@pytest.fixture
def round_one_over(served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> str:
    """Three applicants on two codes; round 1's lists locked and certified; R3 offered categorical to
    Acceptwell (accepted) and Declinesby (declined); a member wrote a note and the director voted."""
    rows = [applicant_row(n, tracks=tracks, **{"AAMC ID": aamc, "First Name": first, "Last Name": last})
            for n, (aamc, (first, last, tracks)) in enumerate(APPLICANTS.items(), start=1)]
    with served.room.database.reading() as session:
        program_id = session.scalars(select(Program.id).where(Program.channel_id == war_room)).one()
    assert import_export(served.room.database, program_id, eras_csv(rows), actor=DIRECTOR,
                         today=date(2027, 3, 16), filename="export.csv").problem is None
    assert "Saved" in command(slack, standin, DIRECTOR, war_room, "positions set categorical=2 preliminary=1")
    for user in (DIRECTOR, M1):
        command(slack, standin, user, war_room, "rank " + " ".join(APPLICANTS))
    command(slack, standin, M2, war_room, f"ref {ACCEPTS} Called her PD: strong, recommend")
    command(slack, standin, DIRECTOR, war_room, "list lock 1 confirm")
    assert "certified in R3" in command(slack, standin, DIRECTOR, war_room, "list certified 1")
    served.clock.advance(days=1, minutes=5)  # Thu 09:05 EDT: round 1's offers are out
    for aamc in (ACCEPTS, DECLINES):
        assert "Recorded" in command(slack, standin, M1, war_room, f"offer {aamc} 1 offered categorical")
    assert "Recorded" in command(slack, standin, M1, war_room, f"offer {ACCEPTS} 1 accepted categorical")
    assert "Recorded" in command(slack, standin, M1, war_room, f"offer {DECLINES} 1 rejected")
    return war_room


def assert_the_report(markdown: str) -> None:
    assert "# Chair's report: Internal Medicine – Test" in markdown
    assert f"| {CAT} Categorical | 2 | 1 | 1 |" in markdown
    assert f"| {PRE} Preliminary | 1 | 0 | 1 |" in markdown
    assert "1 of 3 filled." in markdown
    assert "### Round 1" in markdown
    assert f"- {CAT} Categorical: R3 used round 1's certified list (2 names); round's list locked (2 names), " \
           "certified in R3." in markdown
    assert "- Offers: 2 (1 accepted, 1 declined)." in markdown
    assert f"- Accepted: Acceptwell, Ada ({ACCEPTS}, {CAT})." in markdown
    assert "- Applicants imported: 3" in markdown
    assert f"| {M2} | 1 | 0 |" in markdown  # reference notes and interviews per member
    # No applicant data beyond the accepted applicant's name and AAMC ID.
    for other in ("Declinesby", DECLINES, "Neveroffered", NEVER_OFFERED, "Called her PD"):
        assert other not in markdown
    rows = list(csv.reader(io.StringIO(markdown.split("```csv\n", 1)[1].split("```", 1)[0])))
    assert rows == [["AAMC ID", "Name", "Program code", "Round"], [ACCEPTS, "Acceptwell, Ada", CAT, "1"]]


def test_soap_report_posts_the_report_and_the_accepted_csv_in_the_war_room(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, round_one_over: str) -> None:
    room = round_one_over
    assert "Only a program director" in command(slack, standin, M1, room, "report")
    before = len(standin.uploads)  # the lock's list CSVs
    assert "download both files before the purge" in command(slack, standin, DIRECTOR, room, "report")
    uploads = [u for u in standin.uploads[before:] if u.completed]
    assert [u.channel_id for u in uploads] == [room, room]
    markdown, accepted = uploads
    assert markdown.filename == "internal-medicine-test-chair-report-20270318.md"
    assert_the_report(markdown.text)
    assert "### Round 2 (list deadline Thu 18 Mar 11:55 EDT): not run yet" in markdown.text
    assert accepted.filename == "internal-medicine-test-accepted-20270318.csv"
    assert list(csv.reader(io.StringIO(accepted.text))) == [["AAMC ID", "Name", "Program code", "Round"],
                                                           [ACCEPTS, "Acceptwell, Ada", CAT, "1"]]
    post = standin.calls_to("chat.postMessage")[-1].params
    assert post["channel"] == room
    assert "1 of 3 positions filled, 1 applicant accepted" in post["text"]
    assert f"Accepted: Acceptwell, Ada ({ACCEPTS}, {CAT})" in post["text"]
    assert "Declinesby" not in post["text"]


def test_soapbot_report_writes_the_same_report_to_standard_output(
        served: Served, round_one_over: str) -> None:
    result = subprocess.run([SOAPBOT, "report", "--program", round_one_over, "--out", "-"], capture_output=True,
                            env=soapbot_env(DATABASE_URL=served.settings.database_url), timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert_the_report(result.stdout.decode("utf-8"))


def test_the_purge_confirmation_offers_the_report_first_and_posting_it_purges_nothing(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, round_one_over: str) -> None:
    room = round_one_over
    slack.command("purge", DIRECTOR, room)
    modal = standin.wait_for("views.open")[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    first = modal["blocks"][1]
    assert "Download the report before purging" in first["text"]["text"]
    assert first["accessory"]["action_id"] == ActionId.REPORT_POST.value
    assert [b.get("block_id") for b in modal["blocks"]].index(CONFIRM_BLOCK) > 1  # the report comes first

    before = len(standin.uploads)
    slack.block_action(DIRECTOR, room, ActionId.REPORT_POST.value, value="report",
                       view={"id": "VPURGE", "type": "modal", "callback_id": modal["callback_id"],
                             "private_metadata": modal["private_metadata"]})
    told = standin.wait_for("chat.postEphemeral")[-1].params
    assert told["user"] == DIRECTOR and "download both files, then purge" in told["text"]
    markdown = next(u for u in standin.uploads[before:] if u.completed and u.filename.endswith(".md"))
    assert_the_report(markdown.text)
    with served.room.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Candidate)) == 3  # nothing purged
