"""Real PDWS export shapes, imported as a coordinator does it on Monday afternoon.

The fixtures in tests/fixtures/eras/ hold synthetic people in the three shapes ERAS PDWS produces
(../shared/DOMAIN.md §4), saved as Excel saves "CSV UTF-8" (byte-order mark, CRLF):
(a) archive_applicant_name.csv: one `Applicant Name` column, `Medical Degree`, `Medical School Degree
    Date of Graduation`, `Alpha Omega Alpha` phrases, Y/N red flags, `Tracks Applied by Applicant` and `_1`;
(b) pdws_first_last_yes_no.csv: `First Name`/`Last Name`, `Alpha Omega Alpha (Yes/No)`, `_1` on tracks,
    schools and graduation dates, `E-mail`, `Preferred Phone`;
(c) pdws_both_names_cell_considered.csv: `Applicant Name` and `First`/`Middle`/`Last Name`, `Cell Phone #`,
    `Tracks Considered by Program` and `_1`, COMLEX columns, SOAP tracks, both AOA forms.
Each is imported by `soapbot import` run as a process and by a file shared in the war room.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.console.signing import SlackClientSim
from storage.models import Candidate, ReferenceNote, Vote
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM, Served
from tests.harness.logs import captured_logs
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "eras"
ARCHIVE = FIXTURES / "archive_applicant_name.csv"
FIRST_LAST = FIXTURES / "pdws_first_last_yes_no.csv"
BOTH_NAMES = FIXTURES / "pdws_both_names_cell_considered.csv"
SHAPES = {ARCHIVE: 6, FIRST_LAST: 5, BOTH_NAMES: 4}  # applicant rows in each
SOAPBOT = str(Path(sys.executable).with_name("soapbot"))
NUNEZ, OBRIEN = "31000001", "31000002"


def _share(slack: SlackClientSim, standin: SlackStandIn, path: Path) -> str:
    """Share the export in the war room with the word `import`; the bot's answer in the file's thread."""
    before = len(standin.calls_to("chat.postMessage"))
    file = standin.share_file(path.name, path.read_bytes(), MEMBERS[0])
    event = slack.message_event(WAR_ROOM, MEMBERS[0], "import please")
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    assert slack.event(event, event_id=f"Ev{event['ts'].replace('.', '')}").status == 200
    reply = standin.wait_for("chat.postMessage", count=before + 1)[-1].params
    assert reply["thread_ts"] == event["ts"]
    return str(reply["text"])


def _card(slack: SlackClientSim, standin: SlackStandIn, key: str) -> str:
    """`/soap candidate <key>`: the card's blocks as text (posted, or refreshed in place)."""
    posts, updates = len(standin.calls_to("chat.postMessage")), len(standin.calls_to("chat.update"))
    slack.command(f"candidate {key}", MEMBERS[1], WAR_ROOM)

    def drawn() -> list[Any]:
        new = standin.calls_to("chat.postMessage")[posts:] + standin.calls_to("chat.update")[updates:]
        return [call.params["blocks"] for call in new if call.params.get("blocks")]

    return json.dumps(eventually(drawn)[0], ensure_ascii=False)


def _candidate(served: Served, aamc: str) -> Candidate:
    with served.room.database.reading() as session:
        found = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc))
        assert found is not None
        session.expunge(found)
        return found


def _count(served: Served, model: Any = Candidate) -> int:
    with served.room.database.reading() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("path", list(SHAPES), ids=lambda p: p.stem)
def test_each_pdws_shape_imports_every_row_when_shared_in_the_war_room(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data  # as Excel writes "CSV UTF-8"
    text = _share(slack, standin, path)
    assert f"{SHAPES[path]} new, 0 updated, 0 unchanged" in text, text
    assert "not recognised" not in text.replace("Honor-society values not recognised", "")  # no unknown column
    assert _count(served) == SHAPES[path]


def test_soapbot_import_run_as_a_process_imports_each_shape(served: Served, war_room: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["DATABASE_URL"] = served.settings.database_url
    total = set()
    for path, rows in SHAPES.items():
        result = subprocess.run([SOAPBOT, "import", str(path), "--program", war_room], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        total |= {line for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]}
        assert f"({rows} applicants)" in result.stdout, result.stdout
        assert "Known ERAS columns the bot does not use:" in result.stdout
        assert "José" not in result.stderr and "555" not in result.stderr  # applicant data never logged
    assert _count(served) == 7  # six people in (a), one more in (b); (c) holds four of them again
    assert _candidate(served, NUNEZ).first_name == "José"


def test_the_card_shows_both_tracks_with_codes_the_phone_aoa_and_the_years_out_reason(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _share(slack, standin, ARCHIVE)
    card = _card(slack, standin, "nunez")  # the export wrote NÚÑEZ, JOSÉ MARIE; the search folds accents
    for expected in ("José Marie Núñez", "Internal Medicine · Categorical `1234140C0`",
                     "Internal Medicine · Preliminary `1234140P0`", "(555) 010-0101", "AOA"):
        assert expected in card, expected
    assert _candidate(served, NUNEZ).last_name == "Núñez"
    assert _candidate(served, NUNEZ).tracks == ["Internal Medicine|1234140C0 (Categorical)",
                                                "Internal Medicine|1234140P0 (Preliminary)"]

    card = _card(slack, standin, "o'brien-mcdonald")
    assert "Sean Patrick O'Brien-McDonald" in card
    assert "2016 (10 years out)" in card
    assert "graduated 10 years ago; the export holds no recent clinical work to waive it" in card
    assert _candidate(served, OBRIEN).bucket == "do not rank"  # outside the default 5-year policy
    assert "no AOA chapter at their school" in card
    assert "Not in the export: recent clinical work (recent-clinical waiver of the years limit off)" in card


def test_both_aoa_forms_import_and_the_report_names_unknown_phrases_and_the_rules_off(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    text = _share(slack, standin, BOTH_NAMES)
    assert "4 new" in text
    assert ("Honor-society values not recognised (kept as text on the card): Sigma Sigma Phi: "
            "'Sigma Sigma Phi (SSP) inducted pending'; Alpha Omega Alpha: 'Honorary mention (AOA)'") in text
    assert ("Not in this export: professionalism concern, so the professionalism rule is off for these 4 "
            "applicants.") in text
    assert "Known ERAS columns the bot does not use: Participating as a Couple in NRMP" in text
    assert "1 applicant had no SOAP track" in text
    obrien = _candidate(served, OBRIEN)
    assert obrien.profile["aoa"] is False and obrien.profile["ssp"] is True
    card = _card(slack, standin, "31000006")
    assert "AOA: Honorary mention (AOA)" in card
    assert "screened: licensure problem" in card
    assert "(555) 010-0126" in card


def test_reimporting_the_same_people_in_another_shape_updates_them_and_keeps_notes_votes_and_flags(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _share(slack, standin, ARCHIVE)
    slack.command(f"ref {NUNEZ} Called the clerkship director: dependable.", MEMBERS[2], WAR_ROOM)
    slack.command(f"vote {NUNEZ} high", MEMBERS[2], WAR_ROOM)
    slack.command(f"flag {NUNEZ} rotated", DIRECTOR, WAR_ROOM)
    standin.wait_for("response_url", count=3)
    served.idle()
    assert (_count(served, ReferenceNote), _count(served, Vote)) == (1, 1)
    before = _candidate(served, NUNEZ)
    assert before.rotated_here is True

    text = _share(slack, standin, FIRST_LAST)
    assert "1 new, 4 updated, 0 unchanged" in text, text
    after = _candidate(served, NUNEZ)
    assert (after.id, after.rotated_here) == (before.id, True)
    assert (_count(served, ReferenceNote), _count(served, Vote)) == (1, 1)
    assert (after.first_name, after.last_name) == ("José", "Núñez")
    assert after.profile["preferred_phone"] == "(555) 010-0111"  # the later export's phone
    assert after.profile["email"] == "jose.nunez@example.org"
    anna = _candidate(served, "31000003")
    assert anna.profile["medical_schools"] == ["Fictional Institute of Medical Sciences",
                                               "Example State University College of Medicine"]
    assert len(anna.tracks) == 3

    text = _share(slack, standin, FIRST_LAST)
    assert "0 new, 0 updated, 5 unchanged" in text, text


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Every log line at DEBUG, as `soapbot serve` writes them (bot.logs.JsonFormatter)."""
    with captured_logs(logging.DEBUG) as buffer:
        yield buffer


def test_contact_details_reach_only_the_card_never_the_logs_and_go_with_the_purge(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str, logged: io.StringIO) -> None:
    from sqlalchemy import MetaData, Table

    from bot.services.records import purge

    _share(slack, standin, FIRST_LAST)
    card = _card(slack, standin, NUNEZ)
    served.idle()
    contact = ("(555) 010-0111", "jose.nunez@example.org")
    assert all(value in card for value in contact)
    output = logged.getvalue()
    assert output and not [value for value in (*contact, "Núñez", "NÚÑEZ") if value in output]

    def tables_holding(value: str) -> set[str]:
        found: set[str] = set()
        with served.room.database.reading() as session:
            metadata = MetaData()
            metadata.reflect(bind=session.connection())
            for table in metadata.sorted_tables:
                assert isinstance(table, Table)
                rows = session.execute(table.select()).all()
                if any(value in str(cell) for row in rows for cell in row):
                    found.add(table.name)
        return found

    assert tables_holding(contact[0]) == {"candidates"}
    program_id = _candidate(served, NUNEZ).program_id
    purge(served.room.database, program_id=program_id, actor=DIRECTOR, now=served.clock())
    assert tables_holding(contact[0]) == set()
    assert tables_holding(contact[1]) == set()
