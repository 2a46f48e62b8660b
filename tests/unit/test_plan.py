"""The pre-SOAP plan's rows and what the committee reads about it (plain values)."""

from __future__ import annotations

import json

import pytest

from bot.domain.plan import (
    PLAN_WORDS,
    PlanChoice,
    PlanImportResult,
    PlanOverview,
    PlanPerson,
    UnseenApplicant,
    plan_reason,
    read_plan_rows,
)
from bot.domain.triage import Bucket
from bot.messages.ids import ActionId
from bot.messages.plan import plan_import_lines, plan_overview, unseen_list, unseen_reminder_line

HEADER = ["AAMC ID", "Applicant Name", "Pre-SOAP", "Interviewed", "Rotated Here", "Home Student", "Note"]


def test_each_choice_starts_in_its_bucket() -> None:
    assert PlanChoice.THRILLED.bucket is Bucket.INTERNAL
    assert PlanChoice.SOAP_ONLY.bucket is Bucket.BACKUP
    assert PlanChoice.NO.bucket is Bucket.DO_NOT_RANK


@pytest.mark.parametrize(("word", "choice"), [
    ("Thrilled", PlanChoice.THRILLED), ("top choice", PlanChoice.THRILLED), ("A", PlanChoice.THRILLED),
    ("SOAP-only", PlanChoice.SOAP_ONLY), ("Only in SOAP", PlanChoice.SOAP_ONLY), ("backup", PlanChoice.SOAP_ONLY),
    ("No way", PlanChoice.NO), ("not even in SOAP", PlanChoice.NO), ("DNR", PlanChoice.NO),
])
def test_the_programs_own_words_are_understood(word: str, choice: PlanChoice) -> None:
    report = read_plan_rows([HEADER, ["12345678", "DOE, JANE", word, "", "", "", ""]], "plan.csv")
    assert report.ok and report.rows[0].choice is choice


def test_rows_read_names_flags_notes_and_excel_ids() -> None:
    report = read_plan_rows([
        ["Pre-SOAP plan, IM, March 2027"],
        HEADER,
        [1234567.0, "NÚÑEZ, JOSÉ MARIE", "thrilled", "Yes", "", "x", "strong interview, no rank"],
        ["23456789", "Ana Lima", "no", "N", "Y", "", ""],
        ["", "", "", "", "", "", ""],
    ], "plan.xlsx")
    assert report.ok and report.data_rows == 2
    first, second = report.rows
    assert (first.aamc_id, first.first_name, first.last_name) == ("01234567", "José", "Núñez")
    assert (first.interviewed, first.rotated_here, first.home_student) == (True, False, True)
    assert first.note == "strong interview, no rank" and first.row_number == 3
    assert (second.name, second.rotated_here, second.note) == ("Ana Lima", True, None)


def test_first_and_last_name_columns_serve_as_well() -> None:
    report = read_plan_rows([["AAMC ID", "First Name", "Last Name", "Pre-SOAP"], ["12345678", "Ana", "Lima", "no"]],
                            "p.csv")
    assert report.ok and report.rows[0].name == "Ana Lima"


def test_every_bad_row_is_named_and_none_is_kept() -> None:
    report = read_plan_rows([
        HEADER,
        ["12345678", "DOE, JANE", "perhaps", "", "", "", ""],
        ["1234", "ROE, RICH", "no", "maybe", "", "", ""],
        ["23456789", "", "no", "", "", "", ""],
        ["12345678", "DOE, JANE", "no", "", "", "", ""],
        ["34567890", "GOOD, ONE", "no", "", "", "", "x" * 3001],
    ], "p.csv")
    assert not report.ok and report.rows == []
    assert [(e.row_number, e.column) for e in report.errors] == [
        (2, "Pre-SOAP"), (3, "AAMC ID"), (3, "Interviewed"), (4, "Applicant Name"), (5, "AAMC ID"), (6, "Note")]
    assert "thrilled, soap-only or no" in report.errors[0].reason


def test_missing_columns_are_named() -> None:
    assert read_plan_rows([["AAMC ID", "Note"], ["12345678", "x"]], "p.csv").missing_required == [
        "Pre-SOAP", "Applicant Name (or First Name and Last Name)"]
    assert read_plan_rows([["Name", "Pre-SOAP"]], "p.csv").missing_required == ["AAMC ID", "Pre-SOAP"]


def test_eras_names_and_reason_words() -> None:
    report = read_plan_rows([HEADER, ["12345678", "O'BRIEN-SMITH, MARY ANN", "no"], ["23456789", "Cher", "no"]],
                            "p.csv")
    assert (report.rows[0].first_name, report.rows[0].last_name) == ("Mary", "O'Brien-Smith")
    assert [(e.row_number, e.column) for e in report.errors] == [(3, "Applicant Name")]
    assert plan_reason(PlanChoice.THRILLED, "Thrilled") == "pre-SOAP plan: thrilled"
    assert plan_reason(PlanChoice.NO, "no way") == "pre-SOAP plan: no (no way)"
    assert all(key == key.strip().lower() for key in PLAN_WORDS)


def test_the_import_report_names_every_bad_row_or_the_counts() -> None:
    from bot.domain.plan import PlanRowError

    bad = PlanImportResult("plan.csv", errors=[PlanRowError(n, "Pre-SOAP", "nope") for n in range(2, 30)])
    lines = plan_import_lines(bad, max_errors=20)
    assert "Nothing imported from plan.csv, the plan is unchanged: 28 rows have problems" in lines[0]
    assert "…and 8 more problems;" in lines[-1]
    one = plan_import_lines(PlanImportResult("plan.csv", errors=[PlanRowError(2, "Pre-SOAP", "nope")]))
    assert "the plan is unchanged: 1 row has problems" in one[0]
    good = PlanImportResult("plan.csv", rows=5, in_soap=3, counts={"thrilled": 2, "soap-only": 2, "no": 1})
    assert plan_import_lines(good)[0] == ("Imported the pre-SOAP plan plan.csv: 5 applicants "
                                          "(2 thrilled, 2 soap-only, 1 no).")


def test_the_overview_shows_three_groups_and_the_nrmp_rule_for_those_not_applied() -> None:
    overview = PlanOverview(
        applied=(PlanPerson("12345678", "Jane <!channel> Doe", PlanChoice.THRILLED, "top", "internal", "do not rank",
                            True),),
        not_applied=(PlanPerson("23456789", "Ana Lima", PlanChoice.SOAP_ONLY, "soap-only"),),
        not_in_plan=412, plan_rows=2)
    text, blocks = plan_overview(overview)
    shown = json.dumps(blocks)
    assert "Applied in SOAP (1)" in shown and "Not applied (1)" in shown and "412 SOAP applicants" in shown
    assert "NRMP rules allow neither contacting them nor putting them on a preference list" in shown
    assert "deal-breaker in the export" in shown
    assert "<!channel>" not in shown and "1 applied in SOAP, 1 not applied" in text


def test_unseen_has_an_open_button_per_applicant_and_pages() -> None:
    items = [UnseenApplicant(i, f"{20000000 + i:08d}", f"Person {i}", "strong paper", "low", ("AOA",))
             for i in range(20)]
    _, blocks = unseen_list(items)
    buttons = [b["accessory"] for b in blocks if b.get("accessory")]
    assert len(buttons) == 15 and buttons[0]["action_id"] == ActionId.UNSEEN_OPEN and buttons[0]["value"] == "20000000"
    assert [b["accessibility_label"] for b in buttons[:2]] == ["Open card: Person 0", "Open card: Person 1"]
    assert any(b.get("type") == "actions" for b in blocks)
    _, last = unseen_list(items, page=2)
    assert len([b for b in last if b.get("accessory")]) == 5
    assert "Every eligible applicant" in unseen_list([])[0]
    assert unseen_reminder_line(0) is None and "3 eligible applicants still unseen" in (unseen_reminder_line(3) or "")


def test_deadline_reminders_say_how_many_remain_unseen_and_other_reminders_do_not() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.domain.reminders import ReminderKind, ReminderView
    from bot.messages.reminders import reminder_message

    now = datetime(2027, 3, 18, 14, 0, tzinfo=UTC)
    view = ReminderView(kind=ReminderKind.DEADLINE_LEAD, round=1, subject_at=now.replace(hour=15), now=now,
                        tz=ZoneInfo("America/New_York"), missing={}, candidates_total=4, unseen=7)
    text, blocks = reminder_message(view)
    assert "7 eligible applicants still unseen" in text and "/soap unseen" in json.dumps(blocks)
    offers = ReminderView(kind=ReminderKind.OFFERS_OPEN, round=1, subject_at=now, now=now,
                          tz=ZoneInfo("America/New_York"), unseen=7)
    assert "unseen" not in reminder_message(offers)[0]


def test_the_plans_note_reads_as_the_plans_on_the_card_and_in_the_thread() -> None:
    from datetime import UTC, datetime

    from bot.messages.notes import NoteLine, gist_line, note_post

    note = NoteLine(id=1, author="U0COORDIN8", source="plan", text="strong interview, no rank",
                    created_at=datetime(2027, 3, 15, tzinfo=UTC), sentiment=None)
    assert gist_line(note) == "• the pre-SOAP plan: “strong interview, no rank”"
    text, blocks = note_post(note, candidate_name="Jane Doe", aamc_id="12345678")
    assert text == "Note from the pre-SOAP plan"
    assert "Note from the pre-SOAP plan about *Jane Doe* (12345678) (imported by <@U0COORDIN8>)" in json.dumps(blocks)


def test_the_documented_plan_template_reads_without_a_problem() -> None:
    from pathlib import Path

    from bot.services.plan import read_plan

    report = read_plan(Path(__file__).parents[2] / "docs" / "plan-template.csv")
    assert not isinstance(report, str) and report.ok
    assert [row.choice.value for row in report.rows] == ["thrilled", "soap-only", "no"]
