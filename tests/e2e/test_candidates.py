"""Candidates as the committee meets them: importing the export, the card, flags and find."""

from __future__ import annotations

import io
import json
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.cli_commands.import_file import run_import
from bot.console.signing import SlackClientSim
from bot.services import candidate_cards
from bot.services.candidate_import import import_export
from storage.models import AuditEvent, Candidate, Program
from tests.e2e.conftest import DIRECTOR, MEMBERS, WAR_ROOM, Served
from tests.factories import applicant_row, applicant_rows, eras_csv, img_row, write_export
from tests.harness.slack_api import SlackStandIn
from tests.harness.waiting import eventually

TODAY = date(2027, 3, 17)


@pytest.fixture
def waiting_for_first_card(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a request has found another request posting the candidate's first card and waits for it."""
    waiting = threading.Event()
    real_time = candidate_cards.time

    def pause(seconds: float) -> None:
        waiting.set()
        real_time.sleep(seconds)

    monkeypatch.setattr(candidate_cards, "time", SimpleNamespace(monotonic=real_time.monotonic, sleep=pause))
    return waiting


def _program_id(served: Served) -> int:
    with served.room.database.reading() as session:
        program_id = session.scalar(select(Program.id).where(Program.channel_id == WAR_ROOM))
    assert program_id is not None
    return program_id


def _import(served: Served, rows: list[dict[str, Any]]) -> None:
    result = import_export(served.room.database, _program_id(served), eras_csv(rows), filename="export.csv",
                           actor=DIRECTOR, today=TODAY)
    assert result.ok, result.errors


def _count(served: Served) -> int:
    with served.room.database.reading() as session:
        return session.scalar(select(func.count()).select_from(Candidate)) or 0


def _candidate(served: Served, aamc: str) -> Candidate:
    with served.room.database.reading() as session:
        found = session.scalar(select(Candidate).where(Candidate.aamc_id == aamc))
        assert found is not None
        session.expunge(found)
        return found


def _reply(standin: SlackStandIn, count: int = 1) -> dict[str, Any]:
    return standin.wait_for("response_url", count=count)[count - 1].params


def _share(slack: SlackClientSim, standin: SlackStandIn, user: str, name: str, content: bytes,
           text: str = "import please") -> dict[str, Any]:
    file = standin.share_file(name, content, user)
    event = slack.message_event(WAR_ROOM, user, text)
    event.update({"subtype": "file_share", "files": [file], "upload": False, "display_as_bot": False})
    assert slack.event(event, event_id=f"Ev{event['ts'].replace('.', '')}").status == 200
    return event


def test_cli_imports_600_rows_then_reports_600_unchanged_and_a_bad_file_imports_nothing(
        served: Served, war_room: str, tmp_path: Path) -> None:
    url = served.settings.database_url
    export = write_export(tmp_path / "soap-monday.csv", applicant_rows(600))
    out = io.StringIO()
    assert run_import(url, str(export), war_room, out=out) == 0
    assert "600 new, 0 updated, 0 unchanged" in out.getvalue()
    assert _count(served) == 600

    out = io.StringIO()
    assert run_import(url, str(export), "internal medicine – test", out=out) == 0  # by name, any case
    assert "0 new, 0 updated, 600 unchanged" in out.getvalue()

    rows = applicant_rows(30, start=1000)
    rows[2]["AAMC ID"] = "ABC"
    rows[11]["Felony Conviction"] = "perhaps"
    rows[25]["USMLE Step 1 Score"] = "999"
    bad = write_export(tmp_path / "bad.xlsx", rows)
    out = io.StringIO()
    assert run_import(url, str(bad), war_room, out=out) == 1
    report = out.getvalue()
    assert "Nothing imported" in report
    for row, column in ((4, "AAMC ID"), (13, "Felony Conviction"), (27, "USMLE Step 1 Score")):
        assert f"row {row}, {column}" in report
    assert _count(served) == 600

    out = io.StringIO()
    assert run_import(url, str(tmp_path / "missing.csv"), war_room, out=out) == 1
    assert "could not read the file" in out.getvalue()
    out = io.StringIO()
    assert run_import(url, str(export), "No Such Program", out=out) == 1
    assert "No program" in out.getvalue()


def test_cli_dry_run_and_columns_mapping(served: Served, war_room: str, tmp_path: Path) -> None:
    rows = [{"Applicant ID": r["AAMC ID"], "Given": r["First Name"], "Surname": r["Last Name"], "Shoe Size": "9"}
            for r in applicant_rows(5)]
    export = write_export(tmp_path / "own-headers.csv", rows)
    mapping = tmp_path / "columns.csv"
    mapping.write_text("their header,our header\nApplicant ID,AAMC ID\nGiven,First Name\nSurname,Last Name\n")
    out = io.StringIO()
    assert run_import(served.settings.database_url, str(export), war_room, columns_file=str(mapping),
                      dry_run=True, out=out) == 0
    assert "Would import" in out.getvalue()
    assert "5 new" in out.getvalue()
    assert out.getvalue().count("Shoe Size") == 1
    assert _count(served) == 0
    out = io.StringIO()
    assert run_import(served.settings.database_url, str(export), war_room, out=out) == 1
    assert "AAMC ID" in out.getvalue()
    assert "missing" in out.getvalue()


def test_export_shared_in_the_war_room_is_imported_and_answered_in_its_thread(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    event = _share(slack, standin, MEMBERS[0], "soap.csv", eras_csv(applicant_rows(40)))
    reply = standin.wait_for("chat.postMessage")[0].params
    assert reply["channel"] == war_room
    assert reply["thread_ts"] == event["ts"]
    assert "40 new, 0 updated, 0 unchanged" in reply["text"]
    # Slack signs the redelivery when it sends it, after the first: a later timestamp.
    redelivered = slack.event(event, event_id=f"Ev{event['ts'].replace('.', '')}", retry_num=1,
                              timestamp=int(time.time()) + 1)
    assert redelivered.status == 200
    download = standin.calls_to("files.download")[0]
    assert download.headers.get("Authorization", "").startswith("Bearer xoxb-")
    assert _count(served) == 40
    with pytest.raises(AssertionError):  # the redelivery is not downloaded nor imported again
        standin.wait_for("files.download", count=2, timeout=1)
    assert len(standin.calls_to("chat.postMessage")) == 1
    with served.room.database.reading() as session:
        audit = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidates.import"))
        assert audit is not None
        assert (audit.actor, audit.after["new"]) == (MEMBERS[0], 40)


def test_every_export_shared_in_one_message_is_imported_each_on_its_own(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    bad = applicant_rows(5, start=100)
    bad[2]["Medical School Graduation Date"] = "someday"
    files = [standin.share_file("part1.csv", eras_csv(applicant_rows(30)), MEMBERS[0]),
             standin.share_file("part2.csv", eras_csv(applicant_rows(20, start=30)), MEMBERS[0]),
             standin.share_file("part3.csv", eras_csv(bad), MEMBERS[0]),
             standin.share_file("cover letter.pdf", b"%PDF-1.4", MEMBERS[0], mimetype="application/pdf")]
    event = slack.message_event(WAR_ROOM, MEMBERS[0], "import the three parts")
    event.update({"subtype": "file_share", "files": files, "upload": False, "display_as_bot": False})
    assert slack.event(event, event_id="EvSplitExport1").status == 200
    replies = [call.params for call in standin.wait_for("chat.postMessage", count=3)]
    served.idle()
    assert all(reply["thread_ts"] == event["ts"] for reply in replies)
    assert [reply["text"].split(":")[0] for reply in replies] == [
        "Imported part1.csv", "Imported part2.csv", "Nothing imported from part3.csv"]
    assert "30 new" in replies[0]["text"] and "20 new" in replies[1]["text"]
    assert "row 4, Medical School Graduation Date" in replies[2]["text"]
    skipped = standin.calls_to("chat.postEphemeral")[0].params
    assert skipped["user"] == MEMBERS[0]
    assert "cover letter.pdf" in skipped["text"]
    assert len(standin.calls_to("files.download")) == 3
    assert _count(served) == 50


def test_a_reimport_redraws_the_cards_already_posted_with_the_new_data(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    from bot import clock
    from bot.services.candidate_cards import redraw_stale_cards

    rows = [applicant_row(11, last_name="Amberline"), applicant_row(12, last_name="Birchwood"),
            applicant_row(13, last_name="Cobbleton")]
    _import(served, rows)
    for row in rows[:2]:  # two cards are posted; the third applicant has none
        slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    cards = standin.wait_for("chat.postMessage", count=2)
    parent = {call.response["ts"]: call for call in cards}
    served.idle()
    standin.reset()

    rows[0]["USMLE Step 2 CK Score"] = "251"  # new scores for a candidate with a card...
    rows[2]["USMLE Step 2 CK Score"] = "233"  # ...and for one without
    _share(slack, standin, DIRECTOR, "soap-tuesday.csv", eras_csv(rows))
    reply = standin.wait_for("chat.postMessage")[0].params["text"]
    assert "0 new, 2 updated, 1 unchanged" in reply
    assert "1 card already in the war room will be redrawn" in reply
    served.idle()
    assert standin.calls_to("chat.update") == []  # the import itself only answers; the clock redraws

    assert "cards.redraw" in [job_id for job_id, _, _ in clock.JOBS]
    assert redraw_stale_cards(served.room) == 1
    update = standin.calls_to("chat.update")[0].params
    assert update["ts"] == _candidate(served, rows[0]["AAMC ID"]).thread_ts
    assert update["ts"] in parent
    assert "251" in json.dumps(update["blocks"]) and "240" not in json.dumps(update["blocks"])
    assert redraw_stale_cards(served.room) == 0  # drawn once
    assert len(standin.calls_to("chat.update")) == 1


def test_the_clock_redraws_at_most_15_stale_cards_a_run(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    from bot.services.candidate_cards import REDRAW_PER_RUN, redraw_stale_cards

    _import(served, applicant_rows(20))
    with served.room.database.transaction() as session:
        for number, candidate in enumerate(session.scalars(select(Candidate)), start=1):
            candidate.thread_ts, candidate.card_stale = f"1711000000.{number:06d}", True
    redraw_stale_cards(served.room)
    assert len(standin.calls_to("chat.update")) == REDRAW_PER_RUN == 15
    redraw_stale_cards(served.room)
    assert len(standin.calls_to("chat.update")) == 20
    redraw_stale_cards(served.room)
    assert len(standin.calls_to("chat.update")) == 20


def test_a_shared_file_with_bad_rows_imports_nothing_and_lists_the_first_20(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    rows = applicant_rows(30)
    for row in rows[:25]:
        row["Medical School Graduation Date"] = "<!channel> soon"
    _share(slack, standin, MEMBERS[1], "bad.csv", eras_csv(rows))
    text = standin.wait_for("chat.postMessage")[0].params["text"]
    assert "Nothing imported" in text
    assert "row 2, Medical School Graduation Date" in text
    assert "row 21," in text
    assert "row 22," not in text
    assert "5 more problem" in text
    assert "<!channel>" not in standin.all_text()
    assert _count(served) == 0


def test_shared_files_are_ignored_without_the_word_and_refused_for_observers(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _share(slack, standin, MEMBERS[0], "notes.csv", eras_csv(applicant_rows(3)), text="here are my notes")
    slack.command(f"observer add <@{MEMBERS[3]}>", DIRECTOR, war_room)
    _reply(standin)
    _share(slack, standin, MEMBERS[3], "soap.csv", eras_csv(applicant_rows(3)), text="Import")
    refusal = standin.wait_for("chat.postEphemeral")[0].params
    assert refusal["user"] == MEMBERS[3]
    assert "observer" in refusal["text"]
    assert standin.calls_to("files.download") == []
    assert _count(served) == 0


def test_candidate_card_by_id_then_by_fragment_replies_in_its_thread_and_refreshes_the_parent(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    row = img_row(7, "J-1", first_name="Oriel", last_name="Brackenwhistle", step1="Fail, Pass",
                  misdemeanor="Yes", tracks=["Categorical", "Preliminary"], rotated_here="Yes")
    _import(served, [row, applicant_row(8)])
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    card = standin.wait_for("chat.postMessage")[0]
    assert card.params["channel"] == war_room
    assert "thread_ts" not in card.params
    shown = json.dumps(card.params, ensure_ascii=False)
    for expected in ("Oriel Brackenwhistle", row["AAMC ID"], "Fictional Institute of Medical Sciences",
                     "Non-US IMG", "2022 (4 years out)", "Step 1: Fail, then Pass", "1 failure",
                     "needs J-1; we sponsor J-1 only", "misdemeanor conviction", "rotated here", "Preliminary",
                     "Triage:", "risk"):
        assert expected in shown, expected
    parent_ts = card.response["ts"]
    assert eventually(lambda: _candidate(served, row["AAMC ID"]).thread_ts) == parent_ts

    standin.reset()
    slack.command("candidate brackenwhist", MEMBERS[1], war_room)
    again = standin.wait_for("chat.postMessage")[0].params
    assert again["thread_ts"] == parent_ts
    assert not again.get("blocks")  # a pointer to the card, never a copy that would go stale
    assert f"p{parent_ts.replace('.', '')}" in again["text"]
    update = standin.wait_for("chat.update")[0].params
    assert update["ts"] == parent_ts
    assert "Oriel Brackenwhistle" in json.dumps(update["blocks"])
    assert "already has a card" in _reply(standin)["text"]


def test_two_people_asking_for_a_new_candidate_at_once_get_one_card_and_one_reply_in_its_thread(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str,
        waiting_for_first_card: threading.Event) -> None:
    row = applicant_row(9, first_name="Perpetua", last_name="Quillfeather")
    _import(served, [row])
    slow_post = standin.hold("chat.postMessage")  # Slack takes its time with the first card
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    assert slow_post.arrived.wait(5), "the first request never posted the card"
    slack.command("candidate quillfeather", MEMBERS[1], war_room)
    assert waiting_for_first_card.wait(5), "the second request never waited for the first card"
    slow_post.release()
    standin.wait_for("chat.postMessage", count=2)
    served.idle()
    posts = standin.calls_to("chat.postMessage")
    parents = [call for call in posts if "thread_ts" not in call.params]
    assert len(parents) == 1, [call.params.get("thread_ts") for call in posts]
    parent_ts = parents[0].response["ts"]
    replies = [call for call in posts if call.params.get("thread_ts") == parent_ts]
    assert len(replies) == 1 and len(posts) == 2
    assert "asked for this candidate again" in replies[0].params["text"]
    assert not replies[0].params.get("blocks")
    stored = _candidate(served, row["AAMC ID"])
    assert (stored.thread_ts, stored.card_claimed_at) == (parent_ts, None)


def test_when_the_first_card_fails_to_post_the_waiting_request_posts_it(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str,
        waiting_for_first_card: threading.Event) -> None:
    row = applicant_row(14, first_name="Wilhelmina", last_name="Yarrowby")
    _import(served, [row])
    slow_post = standin.hold("chat.postMessage")
    standin.fail("chat.postMessage", times=1, status=200, error="not_in_channel")  # ...then refuses it
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    assert slow_post.arrived.wait(5)
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[1], war_room)
    assert waiting_for_first_card.wait(5), "the second request never waited for the first card"
    slow_post.release()
    card = eventually(lambda: next((c for c in standin.calls_to("chat.postMessage") if c.response.get("ok")), None))
    assert card is not None and "thread_ts" not in card.params
    served.idle()
    assert [c.response.get("ok") for c in standin.calls_to("chat.postMessage")] == [False, True]
    assert _candidate(served, row["AAMC ID"]).thread_ts == card.response["ts"]


def test_a_card_whose_parent_was_deleted_is_posted_again_and_becomes_the_thread(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    row = applicant_row(15)
    _import(served, [row])
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    first = standin.wait_for("chat.postMessage")[0].response["ts"]
    assert eventually(lambda: _candidate(served, row["AAMC ID"]).thread_ts) == first
    served.room.client.chat_delete(channel=war_room, ts=first)  # someone deleted the card
    standin.reset()
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[1], war_room)
    card = standin.wait_for("chat.postMessage")[0]
    served.idle()
    assert "thread_ts" not in card.params
    assert [call.response["error"] for call in standin.calls_to("chat.update")] == ["message_not_found"]
    assert len(standin.calls_to("chat.postMessage")) == 1
    assert _candidate(served, row["AAMC ID"]).thread_ts == card.response["ts"] != first


def test_a_first_card_claim_left_by_a_crashed_request_runs_out_after_30_seconds(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import candidate_cards

    row = applicant_row(10)
    _import(served, [row])
    monkeypatch.setattr(candidate_cards, "FIRST_CARD_WAIT_SECONDS", 0.5)

    def claimed(seconds_ago: int) -> None:
        with served.room.database.transaction() as session:
            candidate = session.scalar(select(Candidate).where(Candidate.aamc_id == row["AAMC ID"]))
            assert candidate is not None
            candidate.card_claimed_at = served.room.clock() - timedelta(seconds=seconds_ago)

    claimed(5)  # another request is posting the card right now (or died a moment ago)
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    answer = _reply(standin)
    assert answer["response_type"] == "ephemeral"
    assert "being posted by another request" in answer["text"]
    served.idle()
    assert standin.calls_to("chat.postMessage") == []

    claimed(31)  # nobody finished it: the claim has run out
    slack.command(f"candidate {row['AAMC ID']}", MEMBERS[0], war_room)
    card = standin.wait_for("chat.postMessage")[0]
    assert "thread_ts" not in card.params
    assert eventually(lambda: _candidate(served, row["AAMC ID"]).thread_ts) == card.response["ts"]


def test_several_matches_and_unknown_candidates_answer_ephemerally(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    _import(served, [applicant_row(1, first_name="Sunniva", last_name="Thornquist"),
                     applicant_row(2, first_name="Sunniva", last_name="Oakhaven")])
    slack.command("candidate sunniva", MEMBERS[0], war_room)
    answer = _reply(standin)
    assert answer["response_type"] == "ephemeral"
    assert "matches 2 candidates" in answer["text"]
    assert "Sunniva Thornquist" in answer["text"]
    assert "Sunniva Oakhaven" in answer["text"]
    standin.reset()
    slack.command("candidate Thornqvist", MEMBERS[0], war_room)
    unknown = _reply(standin)
    assert "No candidate matches “Thornqvist”" in unknown["text"]
    assert "Sunniva Thornquist" in unknown["text"]
    assert standin.calls_to("chat.postMessage") == []


def test_channel_mention_in_a_name_reaches_slack_only_escaped(
        served: Served, slack: SlackClientSim, standin: SlackStandIn, war_room: str) -> None:
    rows = [applicant_row(1, first_name="<!channel>", last_name="Hollowmere <https://evil.example|click>",
                          school="<!here> Medical School")]
    _share(slack, standin, MEMBERS[0], "export.csv", eras_csv(rows))
    standin.wait_for("chat.postMessage")
    slack.command("candidate hollowmere", MEMBERS[0], war_room)
    standin.wait_for("chat.postMessage", count=2)
    slack.command("find state:OH", MEMBERS[0], war_room)
    slack.command(f"flag {rows[0]['AAMC ID']} contact", MEMBERS[0], war_room)
    slack.command("triage", MEMBERS[0], war_room)
    standin.wait_for("response_url", count=3)
    standin.wait_for("chat.update")
    everything = standin.all_text()
    assert "&lt;!channel&gt;" in everything
    for raw in ("<!channel>", "<!here>", "<https://evil.example|click>"):
        assert raw not in everything


def test_flag_recomputes_triage_and_find_pages(served: Served, slack: SlackClientSim, standin: SlackStandIn,
                                               war_room: str) -> None:
    rows = [applicant_row(i, recent_months="0", aoa="No", school_state="TX", permanent_state="TX",
                          contact_state="TX") for i in range(20)]
    _import(served, rows)
    target = rows[0]["AAMC ID"]
    assert _candidate(served, target).bucket == "backup"
    slack.command(f"flag {target} interviewed", MEMBERS[2], war_room)
    assert "Bucket: backup → interviewed" in _reply(standin)["text"]
    assert _candidate(served, target).interviewed is True
    standin.reset()
    slack.command(f"flag {target} famous", MEMBERS[2], war_room)
    assert "unknown flag" in _reply(standin)["text"]
    standin.reset()

    slack.command("find flag:interviewed", MEMBERS[2], war_room)
    found = _reply(standin)
    assert found["response_type"] == "ephemeral"
    assert target in json.dumps(found["blocks"])
    assert "1 candidate" in found["text"]
    standin.reset()

    slack.command("find visa:no fails:0", MEMBERS[2], war_room)
    page_one = _reply(standin)
    assert "20 candidates" in page_one["text"]
    assert "page 1 of 2" in page_one["text"]
    button = next(e for b in page_one["blocks"] if b["type"] == "actions" for e in b["elements"])
    standin.reset()
    slack.block_action(MEMBERS[2], war_room, button["action_id"], button["value"], block_id="find.page")
    page_two = _reply(standin)
    assert "page 2 of 2" in page_two["text"]
    assert page_two.get("replace_original") is True
    standin.reset()
    slack.command("find visa:no page=2", MEMBERS[2], war_room)
    assert "page 2 of 2" in _reply(standin)["text"]
