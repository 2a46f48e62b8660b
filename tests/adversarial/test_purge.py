"""The purge leaves nothing behind: a whole session through signed requests, then `/soap purge` or
`soapbot purge --yes` (a real process), then everything searched.

The session posts every kind of bot message there is: the import report, cards, notes by command
(posted in the thread) and by reply, interview posts, pins, the lock post with its uploaded CSV,
an offer post, a reminder from the clock. After the purge, the Web API stand-in's record (what is
still in Slack) holds no bot message and no file in the war room; the audit trail and the database
(every table; on SQLite the file's raw bytes, WAL included) hold no applicant name, AAMC ID or note text.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from bot.console.payloads import new_event_id
from bot.console.signing import SlackClientSim, state_values
from bot.messages.ids import CallbackId
from bot.messages.records import CONFIRM_ACTION, CONFIRM_BLOCK
from bot.services import reminders
from storage.models import AuditEvent, Candidate, Program, ReferenceNote
from tests.adversarial.conftest import AdversarialServed
from tests.e2e.conftest import BOT_TOKEN, DIRECTOR, MEMBERS, SIGNING_SECRET, WAR_ROOM
from tests.factories import aamc_id, applicant_row, eras_csv
from tests.harness.processes import SOAPBOT, soapbot_env
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

M1, M2, M3, _ = MEMBERS
NAMES = [("Perpetua", "Quillfeather"), ("Osric", "Vantablack"), ("Melisande", "Thornquist")]
IDS = [aamc_id(n) for n in (71, 72, 73)]
COMMAND_NOTE = "Dr Hollowmere said she stayed all night for a crashing patient"
REPLY_NOTE = "Clerkship director Ambervale: top five percent"
UNLOCK_REASON = f"Quillfeather withdrew, Vantablack {IDS[1]} moved up"
OVERRIDE_REASON = "Osric Vantablack rotated with us"
SECRETS = [*(part for name in NAMES for part in name), *IDS, COMMAND_NOTE, REPLY_NOTE, "Hollowmere", "Ambervale"]


def _ask(slack: SlackClientSim, standin: SlackStandIn, user: str, words: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(words, user, WAR_ROOM)
    answer = standin.wait_for("response_url", count=before + 1, timeout=15)[-1].params
    return str(answer.get("text"))


def _thread(served: AdversarialServed, aamc: str) -> str:
    def stored() -> str | None:
        with served.room.database.reading() as session:
            return session.scalar(select(Candidate.thread_ts).where(Candidate.aamc_id == aamc))
    return str(eventually(stored))


def _session(served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn) -> None:
    """A committee's SOAP week in small: everything the bot posts, through signed requests."""
    rows = [applicant_row(n, **{"First Name": first, "Last Name": last, "AAMC ID": aamc})
            for n, ((first, last), aamc) in enumerate(zip(NAMES, IDS, strict=True))]
    share = slack.message_event(WAR_ROOM, DIRECTOR, "import the SOAP export")
    share.update({"subtype": "file_share", "upload": False, "display_as_bot": False,
                  "files": [standin.share_file("soap.csv", eras_csv(rows), DIRECTOR)]})
    stored = standin.user_posts(WAR_ROOM, DIRECTOR, share["text"], files=share["files"])
    share["ts"] = stored["ts"]
    assert slack.event(share, event_id=new_event_id()).status == 200
    eventually(lambda: any("3 new" in str(c.params.get("text")) for c in standin.calls_to("chat.postMessage")))
    for aamc in IDS:
        slack.command(f"candidate {aamc}", M1, WAR_ROOM)  # the card is the answer
        _thread(served, aamc)
    thread = _thread(served, IDS[0])
    assert "Saved" in _ask(slack, standin, M1, f"ref {IDS[0]} {COMMAND_NOTE}")
    reply = standin.user_posts(WAR_ROOM, M2, REPLY_NOTE, thread_ts=thread)
    assert slack.event(reply, event_id=new_event_id()).status == 200
    eventually(lambda: _note_count(served) == 2)
    _ask(slack, standin, M1, f"interview {IDS[0]}")
    _ask(slack, standin, M2, f"interview {IDS[0]} claim 14:30")
    for member, choice in ((M1, "high"), (M2, "high"), (M3, "rank")):
        _ask(slack, standin, member, f"vote {IDS[0]} {choice}")
        _ask(slack, standin, member, f"vote {IDS[1]} rank")
    _ask(slack, standin, M1, f"rank {IDS[1]} {IDS[0]}")
    _ask(slack, standin, DIRECTOR, f"pin {IDS[0]}")
    with served.room.database.reading() as session:
        candidate_id = session.scalar(select(Candidate.id).where(Candidate.aamc_id == IDS[1]))
    _ask(slack, standin, DIRECTOR, f"triage {IDS[1]} interviewed {OVERRIDE_REASON}")
    _ask(slack, standin, DIRECTOR, "positions set categorical=2")
    _ask(slack, standin, DIRECTOR, "list lock 1 confirm")
    eventually(lambda: any(u.completed for u in standin.uploads))
    _ask(slack, standin, DIRECTOR, f"list unlock 1 {UNLOCK_REASON}")
    _ask(slack, standin, DIRECTOR, "list lock 1 confirm")
    eventually(lambda: len([u for u in standin.uploads if u.completed]) >= 2)
    _ask(slack, standin, DIRECTOR, f"offer {IDS[0]} 1 accepted")
    with served.room.database.reading() as session:
        program = session.scalars(select(Program).where(Program.channel_id == WAR_ROOM)).one()
    reminders.sync_all(served.room.database, served.clock())
    served.clock.set(datetime(2027, 3, 18, 12, 40, tzinfo=UTC))  # 15 minutes before round 1's deadline
    assert reminders.run_due_reminders(served.room, served.clock(), "purge-test-clock")
    served.idle()
    # Before the purge, `/soap audit <AAMC ID>` finds every row about the applicant, whatever its key.
    audit = _audit_answer(slack, standin, IDS[1])
    for action in ("triage.override", "ranking.set", "list.lock", "list.unlock", "vote.cast"):
        assert action in audit, action
    assert candidate_id is not None and program.id


def _audit_answer(slack: SlackClientSim, standin: SlackStandIn, aamc: str) -> str:
    before = len(standin.calls_to("response_url"))
    slack.command(f"audit {aamc}", DIRECTOR, WAR_ROOM)
    return json.dumps(standin.wait_for("response_url", count=before + 1)[-1].params)


def _note_count(served: AdversarialServed) -> int:
    with served.room.database.reading() as session:
        return len(session.scalars(select(ReferenceNote.id)).all())


def _bot_posts_still_in_slack(standin: SlackStandIn) -> tuple[list[dict[str, Any]], list[str]]:
    messages = [m for m in standin.messages(WAR_ROOM) if m.get("bot_id") or m.get("user") == standin.bot_user_id]
    files = [u.filename for u in standin.uploads if u.channel_id == WAR_ROOM and u.completed and not u.deleted]
    return messages, files


def _purge_by_command(served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn) -> str:
    before = len(standin.calls_to("views.open"))
    slack.command("purge", DIRECTOR, WAR_ROOM)
    view = standin.wait_for("views.open", count=before + 1)[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    done = slack.view_submission(DIRECTOR, CallbackId.PURGE_MODAL.value,
                                 state_values({CONFIRM_BLOCK: {CONFIRM_ACTION: "Internal Medicine – Test"}}),
                                 private_metadata=view["private_metadata"])
    assert done.status == 200
    served.idle(timeout=120)
    report = [c.params for c in standin.calls_to("chat.postEphemeral") if "Purged" in str(c.params.get("text"))]
    assert report and report[-1]["user"] == DIRECTOR
    return str(report[-1]["text"])


def _purge_by_cli(served: AdversarialServed, standin: SlackStandIn, tmp_path: Path) -> str:
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=standin.url,
               DATABASE_URL=served.settings.database_url)
    done = subprocess.run([SOAPBOT, "purge", "--program", WAR_ROOM, "--yes"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _database_text(served: AdversarialServed) -> str:
    found: list[str] = []
    with served.room.database.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            found.extend(str(v) for row in connection.execute(text(f'SELECT * FROM "{table}"')) for v in row)
    return "\n".join(found)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("how", ["/soap purge", "soapbot purge --yes"], ids=["command", "cli"])
def test_a_purge_leaves_no_bot_post_in_slack_and_nothing_readable_in_the_database(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, war_room: str, tmp_path: Path,
        how: str) -> None:
    """Defences: bot.slack_gateway records every message and file the bot posts (bot_posts); the purge
    deletes each from Slack (bot.services.records.delete_bot_posts, honouring 429), blanks every audit
    value and target that could name an applicant, and compacts the database (SQLite secure_delete,
    VACUUM, WAL truncated; PostgreSQL VACUUM). Before: 12 bot posts and 2 CSV files stayed in Slack,
    `ranking.set`, `list.lock` and `list.unlock` kept AAMC IDs and a reason naming an applicant, and
    26 of 30 names were readable in the SQLite file."""
    _session(served, slack, standin)
    messages, files = _bot_posts_still_in_slack(standin)
    assert len(messages) >= 12 and len(files) == 2  # the session did post everything listed above
    standin.fail("chat.delete", times=6, status=429, retry_after=1)  # Slack's limit is about 50 a minute

    report = _purge_by_command(served, slack, standin) if how == "/soap purge" else \
        _purge_by_cli(served, standin, tmp_path)

    assert _bot_posts_still_in_slack(standin) == ([], [])
    assert [c for c in standin.calls_to("chat.delete") if c.status == 429]  # the 429s were waited out
    people = [m for m in standin.messages(WAR_ROOM) if not m.get("bot_id")]
    assert people  # the import message and the reply stay: the bot cannot delete people's messages
    assert "remain" in report and "retention" in report.lower()
    with served.room.database.reading() as session:
        audit = json.dumps([[e.target, e.before, e.after] for e in session.scalars(select(AuditEvent))])
    leaks = [s for s in SECRETS if s in audit or s in _database_text(served)]
    assert leaks == []
    if served.room.database.backend == "sqlite":
        path = Path(served.settings.database_url.removeprefix("sqlite:///"))
        raw = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                                   if path.with_name(path.name + "-wal").exists() else b"")
        assert [s for s in SECRETS if s.encode() in raw] == []


def test_an_interrupted_purge_is_finished_by_running_it_again(
        served: AdversarialServed, slack: SlackClientSim, standin: SlackStandIn, stocked: str) -> None:
    """Defence: bot_posts keeps what is still in Slack; a purge that Slack stopped (5xx past every retry)
    says how many posts are left and how to finish, and the next purge deletes them."""
    for aamc in (aamc_id(1), aamc_id(2)):
        _ask(slack, standin, M1, f"ref {aamc} Called the dean: dependable.")
    served.idle()
    assert len(_bot_posts_still_in_slack(standin)[0]) >= 4
    standin.fail("chat.delete", times=10_000, status=500)
    first = _purge_by_command(served, slack, standin)
    assert "could not be deleted yet" in first and "run the purge again" in first
    assert len(_bot_posts_still_in_slack(standin)[0]) >= 4
    standin.reset()  # Slack answers again
    second = _purge_by_command(served, slack, standin)
    assert _bot_posts_still_in_slack(standin) == ([], [])
    assert "could not be deleted yet" not in second


@pytest.mark.timeout(240)
def test_a_purge_that_could_not_empty_the_sqlite_wal_says_so_and_a_second_run_finishes(
        served: AdversarialServed, standin: SlackStandIn, stocked: str, tmp_path: Path) -> None:
    """Defence: storage.database.Database.compact checks the checkpoint's answer (WalNotTruncated), the purge
    reports it (records.DatabaseFileNotClean) and `soapbot purge` exits 1. Before: with another reader
    holding a snapshot the purge reported success, and soap.db-wal kept every name until all processes
    stopped."""
    if served.room.database.backend != "sqlite":
        pytest.skip("the write-ahead log kept by a reader is SQLite's; PostgreSQL's WAL is the server's")
    import sqlite3

    path = Path(served.settings.database_url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    with served.room.database.reading() as session:
        names = [n for c in session.scalars(select(Candidate)) for n in (c.first_name, c.last_name)]
    env = soapbot_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=standin.url, DATABASE_URL=served.settings.database_url)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM candidates").fetchone()[0] == 2  # a snapshot before the purge
        held = subprocess.run([SOAPBOT, "purge", "--program", WAR_ROOM, "--yes"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert held.returncode == 1, held.stdout + held.stderr
        assert "Not finished" in held.stderr and "soap.db-wal" in held.stderr and "run the purge again" in held.stderr
        assert any(name.encode() in wal.read_bytes() for name in names)  # what the warning is about
    finally:
        reader.close()
    again = subprocess.run([SOAPBOT, "purge", "--program", WAR_ROOM, "--yes"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    raw = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert [name for name in names if name.encode() in raw] == []
