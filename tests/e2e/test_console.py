"""The console workspace as a person uses it: `soapbot console --demo < script` and `soapbot run` without Slack.

Each test runs the real command in a subprocess, in an empty directory (no .env, no Slack
variables), and reads what it printed. The scripted session (tests/e2e/console_script.txt) goes
through help, a candidate card, a vote by button, a reference note by modal (one answer refused),
a plain reply in the card's thread, another member's vote, the clock reaching a reminder, the
list, the round lock with its CSV, and the calendar.

Why no golden file: the transcript shows every feature's wording, which other features change
often; a byte-for-byte golden would fail for reasons that are not the console's. Instead the test
checks each step's visible effect, in order, and that two runs print the very same transcript
(the scripted clock and the seeded demo make it deterministic).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# `soapbot` as installed (`python -m bot.cli` would load bot.cli twice and miss the added commands).
SOAPBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
SCRIPT = Path(__file__).with_name("console_script.txt")
DEMO_CHANNEL = "G0DEMOWAR1"

pytestmark = pytest.mark.timeout(180)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith("SLACK_") and k.upper() not in ("DATABASE_URL", "LOG_LEVEL", "PORT")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _soapbot(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SOAPBOT, *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, encoding="utf-8", env=_env(), timeout=150, check=False)


def _in_order(text: str, *parts: str) -> None:
    """Each part appears in `text`, after the previous one."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} not found after position {position}:\n{text[position:position + 3000]}"
        position = found + len(part)


def _section(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    stop = text.find(end, begin + len(start))
    return text[begin:stop if stop >= 0 else len(text)]


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    cwd = tmp_path_factory.mktemp("console")
    result = _soapbot(cwd, "console", "--demo", stdin=SCRIPT.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr[-3000:]
    return cwd, result.stdout


def test_first_screen_says_it_is_local_and_how_to_get_help(scripted: tuple[Path, str]) -> None:
    _, out = scripted
    first_screen = out.split("› ", 1)[0]
    _in_order(first_screen, "LOCAL CONSOLE. Nothing you type here reaches Slack.",
              "Database: var/demo.db", "synthetic", "Connecting to Slack", "`/soap help`", "`help`",
              "You are Dr. Ada Testwell (program director) in #soap-war-room-demo")
    assert "300 synthetic applicants imported" in first_screen
    assert "round 1's preference-list deadline is at 08:55 EDT, 16 minutes from now" in first_screen
    assert "\x1b" not in out, "no ANSI escapes when output is not a terminal"


def test_scripted_session_shows_each_step(scripted: tuple[Path, str]) -> None:
    _, out = scripted
    # Console keys, then the bot's help, answered only to the typist.
    _in_order(out, "› help", "Console keys", "press <n>", "› /soap help", "(only visible to you) · SOAP War Room",
              "`/soap candidate")
    # The card is posted in the channel as message 1, with numbered buttons.
    card = _section(out, "› /soap candidate 27000061", "› press 2")
    _in_order(card, "#soap-war-room-demo · SOAP War Room · message 1", "AAMC ID `27000061`", "*Triage:*",
              "[1 Add reference note]", "[2 Rank high]")
    # Pressing "Rank high" sends a real block_actions: an ephemeral confirmation and the card's new tally.
    vote = _section(out, "› press 2", "› press 1")
    _in_order(vote, "(only visible to you)", "You voted *rank high*", "✎ message 1 was updated",
              "- Rank high: *2*", "+ Rank high: *3*")
    # The modal is asked field by field; the 3,001-character note is refused and asked again.
    modal = _section(out, "› press 1", "reply 1 ")
    _in_order(modal, "┌ modal: Reference note", "Who was called", "Sentiment", "1) Strong advocate",
              "Note", "(3001 characters)", "At most 3000 characters", "> Note: Reliable", "└ [Save note]",
              "↳ reply in the thread of message 1 · SOAP War Room", "*Strong advocate*",
              "Dr. Pat Placeholder", "+ *1* reference note")
    assert "x" * 100 not in out, "a long answer is not echoed in full"
    # A plain reply typed in the card's thread becomes a note (the card's count changes).
    _in_order(_section(out, "› reply 1", "› as dev"), "✎ message 1 was updated", "+ *2* reference notes")
    # Another member votes by command; the clock reaches the 15-minute reminder, which names who is behind.
    _in_order(out, "› as dev", "You are now Dr. Dev Fakerson", "Dr. Dev Fakerson › /soap vote 27000061 dnr",
              "You voted *do not rank*", "+ Rank high: *3* · Rank: *1* · Only if needed: *0* · Do not rank: *1*",
              "› wait 1m", "it is now Thu 18 Mar 2027 08:40 EDT", "· message 2",
              "Round 1 preference-list deadline:* Thu 18 Mar 08:55 EDT (in 15 min)",
              "*Votes missing:* @Dr. Ada Testwell", "@Dr. Dev Fakerson", "· message 3", "*not locked*")
    # The list, then the lock: posted to the war room with the CSV.
    _in_order(out, "Dr. Ada Testwell › /soap list", "== Preference list (current order) ==",
              "*1.* Mockton, Proto (27000061)", "dissent 1",
              "› /soap list lock 1", "Before you lock round 1", "*Not voted yet:* @Dr. Ada Testwell",
              "[8 Lock]  [9 Cancel]", "› press 8", "· message 4", "Round 1 preference list locked",
              "SOAP War Room uploaded a file", "📎 ", "| Rank,AAMC ID,Name,Track", "| 1,27000061,\"Mockton, Proto\"",
              "› /soap schedule", "Round 1 preference-list deadline (in 15 min)", "› quit")
    assert "⚠" not in out, "no refused Web API call and no app error during the session"


def test_members_are_mentioned_by_handle_or_name_and_home_draws_what_the_app_published(
        scripted: tuple[Path, str]) -> None:
    _, out = scripted
    # `as @handle`, then the Home tab: the dashboard the app published for Eve with views.publish.
    home = _section(out, "› as @eve.demoray", "› as @Dr. Ada Testwell")
    _in_order(home, "You are now Eve Demoray", "Eve Demoray › home", "App Home · Eve Demoray",
              "== SOAP war room: Internal Medicine – Demo General Hospital (synthetic) ==",
              "Times in your own time zone (the program's is America/New_York) · updated Thu 18 Mar 08:40 EDT",
              "Top of the committee's current list",
              "Mockton, Proto (27000061)")
    # `@Full Name` in a command reaches the app as Slack's mention of that member.
    _in_order(out, "› as @Dr. Ada Testwell", "You are now Dr. Ada Testwell", "› /soap observer add @Eve Demoray",
              "@Dr. Ada Testwell made @Eve Demoray an observer (was a member)", "@Eve Demoray is now an observer")


def test_audit_trail_reads_in_words_on_the_console_clock(scripted: tuple[Path, str]) -> None:
    _, out = scripted
    audit = _section(out, "› /soap audit", "› quit")
    _in_order(audit, "*Audit trail*", "Thu 18 Mar 08:40 @Dr. Ada Testwell `role.set` @Eve Demoray: "
              "role: member → role: observer", "`list.lock`", "`vote.cast` candidate:27000061: – → choice: do not rank")
    assert "{" not in audit and '"' not in audit, "recorded values are shown in words, not as JSON"
    times = [line.strip()[:14] for line in audit.splitlines() if line.strip().startswith("• ")]
    assert times and set(times) <= {"• Thu 18 Mar 0"}, "every time is the console clock's (SOAP Thursday)"


def test_locked_csv_is_the_one_the_export_command_writes(scripted: tuple[Path, str]) -> None:
    cwd, _ = scripted
    saved = list((cwd / "var" / "console-files").glob("*round-1-preference-list.csv"))
    assert len(saved) == 1
    env = _env()
    env["DATABASE_URL"] = f"sqlite:///{cwd / 'var' / 'demo.db'}"
    exported = subprocess.run([*SOAPBOT, "export-list", "--program", DEMO_CHANNEL,
                               "--round", "1", "--out", "-"], cwd=cwd, capture_output=True, env=env,
                              timeout=60, check=False)
    assert exported.returncode == 0, exported.stderr.decode(errors="replace")
    assert exported.stdout == saved[0].read_bytes()
    assert exported.stdout.decode("utf-8-sig").splitlines()[1] == '1,27000061,"Mockton, Proto",Categorical'


def test_the_same_script_prints_the_same_transcript(scripted: tuple[Path, str], tmp_path: Path) -> None:
    _, first = scripted
    again = _soapbot(tmp_path, "console", "--demo", stdin=SCRIPT.read_text(encoding="utf-8"))
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout == first


def test_soapbot_run_without_credentials_opens_the_demo_console(tmp_path: Path) -> None:
    result = _soapbot(tmp_path, "run", stdin="/soap help\n")
    assert result.returncode == 0, result.stderr[-3000:]
    _in_order(result.stdout, "LOCAL CONSOLE. Nothing you type here reaches Slack.", "Connecting to Slack",
              "Help: type `/soap help`", "› /soap help", "(only visible to you)", "`/soap setup")
    assert (tmp_path / "var" / "demo.db").exists()
    assert not (tmp_path / "var" / "soap.db").exists(), "the demo never writes to the real database"


def test_console_without_demo_uses_the_real_database_and_sets_up_a_war_room(tmp_path: Path) -> None:
    script = "/soap setup Family Medicine – Console Test\n/soap committee\nas nobody\n"
    result = _soapbot(tmp_path, "console", stdin=script)
    assert result.returncode == 0, result.stderr[-3000:]
    _in_order(result.stdout, "LOCAL CONSOLE", "Database: var/soap.db", "No program yet",
              "› /soap setup", "This channel is now the SOAP war room of Family Medicine – Console Test",
              "you are its director", "› /soap committee", "@You: director", "› as nobody",
              "No committee member 'nobody'")
    assert (tmp_path / "var" / "soap.db").exists()
    assert not (tmp_path / "var" / "demo.db").exists()


def test_unknown_member_for_as_is_refused_with_the_names(tmp_path: Path) -> None:
    result = _soapbot(tmp_path, "console", "--demo", "--as", "Nobody Here")
    assert result.returncode == 2
    assert "No committee member 'Nobody Here'" in result.stderr
    assert "Dr. Cleo Mockford" in result.stderr


def test_an_export_shared_from_the_console_is_imported_and_a_reimport_redraws_its_card(tmp_path: Path) -> None:
    from tests.factories import applicant_rows, write_export

    rows = applicant_rows(3, start=7000)
    write_export(tmp_path / "monday.csv", rows, "csv")
    rows[0]["USMLE Step 2 CK Score"] = "251"
    write_export(tmp_path / "tuesday.xlsx", rows, "xlsx")
    script = ("share monday.csv import the monday export\n/soap candidate 20007000\nshare tuesday.xlsx\n"
              "wait 1m\nshare missing.csv\n")
    result = _soapbot(tmp_path, "console", "--demo", stdin=script)
    assert result.returncode == 0, result.stderr[-3000:]
    _in_order(result.stdout, "› share monday.csv", "with monday.csv", "reply in the thread of message",
              "Imported monday.csv: 3 new, 0 updated, 0 unchanged", "› /soap candidate 20007000", "Step 2 CK: 240",
              "› share tuesday.xlsx", "Imported tuesday.xlsx: 0 new, 1 updated, 2 unchanged",
              "1 card already in the war room will be redrawn", "› wait 1m", "was updated",
              "+   *Exams*  no failures  Step 1: Pass  Step 2 CK: 251", "› share missing.csv",
              "There is no file missing.csv on this computer.")


def test_a_schedule_change_inside_the_window_and_a_deadline_passing_unlocked_are_both_said(tmp_path: Path) -> None:
    # The demo starts at 08:39 EDT with round 1's deadline at 08:55.
    result = _soapbot(tmp_path, "console", "--demo", stdin="/soap schedule set leads=30\nwait 20m\n")
    assert result.returncode == 0, result.stderr
    _in_order(result.stdout,
              "Dr. Ada Testwell › /soap schedule set leads=30",
              "Sent now, because its time has passed and its deadline is still ahead: "
              "round 1's reminder 30 min before the deadline.",
              "Round 1 preference-list deadline:* Thu 18 Mar 08:55 EDT (in 16 min)",
              "wait 20m",
              "the round 1 list is *not locked*",  # the lock warning at 08:40, on time on the way
              "*round 1's preference-list deadline has passed* (Thu 18 Mar 08:55 EDT)",
              "The list: not locked")
    assert "This reminder is late" not in result.stdout
    assert "could not be sent in time" not in result.stdout
