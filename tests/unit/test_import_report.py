"""What the coordinator reads after an import: the counts, and when posted cards show the new data."""

from __future__ import annotations

import pytest

from bot.domain.import_result import ImportResult
from bot.messages.candidate_lists import import_lines, import_text


@pytest.mark.parametrize(("cards", "expected"), [
    (0, None),
    (1, "1 card already in the war room will be redrawn with the new data within a minute."),
    (45, "45 cards already in the war room will be redrawn with the new data within a minute."),
    (100, "100 cards already in the war room will be redrawn with the new data within about 3 minutes."),
])
def test_the_report_says_how_soon_posted_cards_show_the_new_data(cards: int, expected: str | None) -> None:
    text = import_text(ImportResult("tuesday.csv", new=2, updated=cards + 1, unchanged=5, cards_to_redraw=cards))
    assert text.startswith(f"Imported tuesday.csv: 2 new, {cards + 1} updated, 5 unchanged")
    if expected is None:
        assert "redrawn" not in text
    else:
        assert expected in text


def test_a_dry_run_promises_no_redraw() -> None:
    text = import_text(ImportResult("tuesday.csv", updated=3, cards_to_redraw=3, dry_run=True))
    assert "Would import" in text and "redrawn" not in text


def test_in_slack_what_the_file_could_not_tell_comes_before_a_long_list_of_ignored_columns() -> None:
    ignored = [f"Count of Thing {n}" for n in range(60)]
    result = ImportResult("monday.csv", new=412, ignored_columns=ignored, honor_phrases=["Alpha Omega Alpha: 'Odd'"],
                          rules_off=["Not in this export: graduation date, so the years-since-graduation rule is off "
                                     "for these 412 applicants."])
    text = import_text(result)
    assert text.index("years-since-graduation rule is off") < text.index("Known ERAS columns the bot does not use")
    assert "Count of Thing 19, Count of Thing 20" not in text and "…and 40 more" in text
    assert "Honor-society values not recognised (kept as text on the card): Alpha Omega Alpha: 'Odd'" in text
    every = "\n".join(import_lines(result, max_errors=None, esc=str))  # soapbot import lists them all
    assert "Count of Thing 59" in every


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 new applicant in the pre-SOAP plan starts in the plan's bucket"),
    (3, "3 new applicants in the pre-SOAP plan start in the plan's bucket"),
])
def test_the_plan_line_agrees_with_its_count(count: int, expected: str) -> None:
    assert expected in import_text(ImportResult("monday.csv", new=count, from_plan=count))


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 of them has applied in SOAP and starts in the plan's bucket"),
    (2, "2 of them have applied in SOAP and start in the plan's bucket"),
])
def test_the_plan_import_line_agrees_with_its_count(count: int, expected: str) -> None:
    from bot.domain.plan import PlanImportResult
    from bot.messages.plan import plan_import_text

    assert expected in plan_import_text(PlanImportResult("plan.csv", rows=3, in_soap=count))
