"""The chair's report as Markdown, from plain values: what a chair reads, and names that stay text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.domain.chair_report import (
    AcceptedApplicant,
    ChairReport,
    CodeLine,
    CodeRound,
    MemberWork,
    RoundLine,
    WeekEvent,
)
from bot.messages.chair_report import md, report_markdown, report_post

MADE = datetime(2027, 3, 19, 16, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 3, 18, 12, 55, tzinfo=UTC)


def _report(accepted_name: str = "Acceptwell, Ada", program: str = "Internal Medicine", ran: bool = True,
            events: tuple[WeekEvent, ...] = ()) -> ChairReport:
    accepted = (AcceptedApplicant(accepted_name, "62000001", "1234140C0", 1),)
    rounds = (RoundLine(1, DEADLINE, (CodeRound("1234140C0 Categorical", 1, 12, True, True, 12),),
                        {"accepted": 1, "rejected": 1, "expired": 2}, accepted),
              RoundLine(2, DEADLINE.replace(hour=15), (CodeRound("1234140C0 Categorical", None, 0, True, False, 9),),
                        {}, (), ran=ran))
    return ChairReport(program, "America/New_York", MADE, (CodeLine("1234140C0 Categorical", 2, 1, 1),), rounds,
                       imported=300, reviewed=120, voted_on=80, interviewed=14, unseen=90,
                       members=(MemberWork("U0MEMBER01", 5, 3),), last_filled_at=None, events=events)


def test_the_report_reads_as_the_week_went() -> None:
    text = report_markdown(_report(), "AAMC ID,Name\r\n62000001,\"Acceptwell, Ada\"\r\n")
    assert "| 1234140C0 Categorical | 2 | 1 | 1 |" in text
    assert "Not every position is filled." in text
    assert "- 1234140C0 Categorical: R3 used round 1's certified list (12 names); round's list locked (12 names), " \
           "certified in R3." in text
    assert "- Offers: 4 (1 accepted, 1 declined, 2 expired)." in text
    assert "- Accepted: Acceptwell, Ada (62000001, 1234140C0)." in text
    assert "R3 had no list from the war room (none recorded as certified by the deadline); round's list locked " \
           "(9 names), not recorded as certified in R3." in text
    assert "| U0MEMBER01 | 5 | 3 |" in text
    assert "## Missed deadlines and alarms\n\nNone" in text
    assert text.endswith("```csv\nAAMC ID,Name\r\n62000001,\"Acceptwell, Ada\"\n```\n")


def test_a_round_still_ahead_says_so_and_what_r3_would_use() -> None:
    text = report_markdown(_report(ran=False), "")
    assert "### Round 2 (list deadline Thu 18 Mar 11:55 EDT): not run yet" in text
    assert "no list recorded as certified in R3 yet" in text


def test_missed_deadlines_and_alarms_are_listed_in_the_programs_time() -> None:
    events = (WeekEvent(DEADLINE, "Round 1 list deadline passed with no list recorded as certified in R3 for "
                                  "the round"),)
    text = report_markdown(_report(events=events), "")
    assert "- Thu 18 Mar 08:55 EDT: Round 1 list deadline passed with no list recorded as certified" in text


def test_names_from_files_stay_text_in_the_markdown_and_the_post() -> None:
    hostile = "<img src=x> [click](http://evil) | **Bold** `code` #1"
    text = report_markdown(_report(accepted_name=hostile, program="IM | <b>"), "")
    for raw in ("<img", "[click]", "](http", "**Bold", "`code`", "| *"):
        assert not re.search(r"(?<!\\)" + re.escape(raw), text), raw  # every special character escaped
    assert "\\<img src=x\\> \\[click\\](http://evil)" in text
    assert md("a|b") == "a\\|b" and md("[x](y)") == "\\[x\\](y)"
    assert "# Chair's report: IM \\| \\<b\\>" in text
    post = report_post(_report(accepted_name="<!channel> Ada"), uploaded=True)
    assert "<!channel>" not in post
    assert "Download them before the purge" in post
    assert "soapbot report" in report_post(_report(), uploaded=False)
