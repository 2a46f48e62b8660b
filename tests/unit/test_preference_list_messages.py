"""The list, lock and vote messages as the committee reads them, and the CSV a coordinator opens."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from bot.console.blockkit import validate_blocks
from bot.domain.preference_list import Vote
from bot.domain.votes import RankingResult, VoteResult
from bot.messages import preference_list as messages
from bot.services.preference_list import (
    CurrentList,
    ListLine,
    LockedEntry,
    LockedList,
    LockInfo,
    Unlocked,
    list_csv,
)
from bot.spreadsheet import safe_cell

LONG = "<!channel> Wolfeschlegelsteinhausenbergerdorff-" * 4
MEMBERS = tuple(f"U0MEMBER{n:02d}" for n in range(15))
LOCKED_AT = datetime(2027, 3, 18, 12, 40, tzinfo=UTC)


def line(rank: int, *, name: str = "Doe, Jane", tied: bool = False, pinned: bool = False,
         bucket: str | None = "interviewed", not_voted: tuple[str, ...] = (), group: int | None = None) -> ListLine:
    return ListLine(rank=rank, candidate_id=rank, aamc_id=f"{10000000 + rank}", name=name, bucket=bucket,
                    track="categorical", tied=tied, tie_group=group or rank, pinned=pinned,
                    support=MEMBERS[:3], dissent=MEMBERS[3:4], not_voted=not_voted)


def current(lines: list[ListLine], excluded: list[ListLine] | None = None, **kw: object) -> CurrentList:
    return CurrentList(program_id=1, lines=tuple(lines), excluded=tuple(excluded or ()), members=MEMBERS,
                       ballots=kw.get("ballots", 5),  # type: ignore[arg-type]
                       tie_breaker="U0DIRECTOR", locks=tuple(kw.get("locks", ())))  # type: ignore[arg-type]


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def test_a_line_shows_rank_name_bucket_support_dissent_and_who_has_not_voted() -> None:
    text = messages.list_line(line(3, not_voted=("U0MEMBER07", "U0MEMBER08")))
    assert text.startswith("*3.* Doe, Jane (10000003) · _interviewed_")
    assert "support 3 · dissent 1" in text
    assert "not voted: <@U0MEMBER07> <@U0MEMBER08>" in text


def test_ties_are_marked_with_equals_and_explained_and_pins_are_marked() -> None:
    _text, blocks = messages.list_page(current([line(1, pinned=True), line(2, tied=True), line(3, tied=True)]),
                                      1, "America/New_York")
    body = "\n".join(section_texts(blocks))
    assert "*1.* :pushpin:" in body
    assert "*2=* Doe" in body
    assert "*3=* Doe" in body
    footer = blocks[-1]["elements"][0]["text"]
    assert "`n=` marks a tie" in footer
    assert "<@U0DIRECTOR>'s ballot" in footer


def test_each_tie_group_is_marked_from_its_first_rank_and_the_footer_names_each_group() -> None:
    groups = [1, 1, 2, 2, 2, 3, 3, 3, 3]  # three separate tie groups: ranks 1–2, 3–5 and 6–9
    lines = [line(n, tied=True, group=g) for n, g in enumerate(groups, start=1)] + [line(10, group=4)]
    _text, blocks = messages.list_page(current(lines), 1, "America/New_York")
    marks = [text.split("*")[1] for text in "\n".join(section_texts(blocks)).splitlines()]
    assert marks == ["1=", "1=", "3=", "3=", "3=", "6=", "6=", "6=", "6=", "10."]
    footer = blocks[-1]["elements"][0]["text"]
    assert "3 separate tie groups: `1=` ranks 1–2, `3=` ranks 3–5, `6=` ranks 6–9" in footer
    # A group that starts on the previous page keeps its first rank on the next one.
    _text, second = messages.list_page(current(lines), 2, "America/New_York", page_size=4)
    assert "\n".join(section_texts(second)).startswith("*3=* Doe")


def test_a_long_list_is_paginated_within_slack_limits_and_names_are_escaped() -> None:
    many = current([line(n, name=LONG, tied=n % 3 == 0, not_voted=MEMBERS) for n in range(1, 301)],
                   excluded=[line(0, name=LONG) for _ in range(40)],
                   locks=[LockInfo(1, "U0DIRECTOR", LOCKED_AT, 40)])
    assert messages.pages(many) == 15
    for page in (1, 7, 15):
        text, blocks = messages.list_page(many, page, "America/Chicago")
        assert validate_blocks(blocks) == []
        assert len(blocks) <= 50
        assert all(len(t) <= 3000 for t in section_texts(blocks))
        assert len(text) <= 4000
        dumped = json.dumps(blocks)
        assert "<!channel>" not in dumped
        assert "&lt;!channel&gt;" in dumped
        assert f"Page {page} of 15" in dumped
    first = json.dumps(messages.list_page(many, 1, "America/Chicago")[1])
    assert "`/soap list 2`" in first
    assert "*18=*" in first
    assert "*20.*" in first
    assert "*21=*" not in first
    last = json.dumps(messages.list_page(many, 99, "America/Chicago")[1])  # clamped to the last page
    assert "Page 15 of 15" in last
    assert "*299.*" in last
    assert "*300=*" in last
    assert "*280." not in last
    assert "Left off by a majority of do not rank: 40" in last
    assert "and 30 more" in last
    assert ":lock: Round 1 locked by <@U0DIRECTOR> (Thu 18 Mar 7:40 a.m. CDT, 40 candidates)" in last


def test_an_empty_list_says_how_to_vote() -> None:
    text, blocks = messages.list_page(current([]), 1, "America/New_York")
    assert "No one has voted yet" in text
    assert "/soap vote" in text
    assert validate_blocks(blocks) == []
    assert "Left off by a majority of do not rank: none." in json.dumps(blocks)


def test_the_locked_post_lists_every_candidate_or_points_to_the_csv() -> None:
    entries = tuple(LockedEntry(n, f"{20000000 + n}", LONG, "Preliminary", tied=False) for n in range(1, 201))
    locked = LockedList(1, 2, 7, "U0DIRECTOR", LOCKED_AT, entries)
    text, blocks = messages.locked_post(locked, "Internal Medicine <!here>", "America/New_York")
    assert validate_blocks(blocks) == []
    assert len(blocks) <= 50
    dumped = json.dumps(blocks)
    assert "<!here>" not in dumped
    assert "<!channel>" not in dumped
    assert "Round 2 preference list locked" in text
    assert "200 candidates" in text
    assert "*1.* &lt;!channel&gt; Wolfe" in dumped
    assert "*200.*" in dumped
    assert "see the CSV" not in dumped
    assert "Thu 18 Mar 8:40 a.m. EDT" in dumped
    huge = LockedList(1, 1, 8, "U0DIRECTOR", LOCKED_AT, entries * 10)
    _, huge_blocks = messages.locked_post(huge, "IM", "America/New_York")
    assert validate_blocks(huge_blocks) == []
    assert len(huge_blocks) <= 50
    assert "more: see the CSV" in json.dumps(huge_blocks)


def test_vote_answers_say_what_changed() -> None:
    tally = {Vote.RANK_HIGH: 2, Vote.RANK: 1, Vote.IF_NEEDED: 0, Vote.DO_NOT_RANK: 1}
    new = VoteResult(1, "12345678", "Doe, <b>Jane", None, Vote.RANK_HIGH, tally)
    assert messages.vote_answer(new).startswith("You voted *rank high* on Doe, &lt;b&gt;Jane (12345678).")
    assert "Rank high 2 · Rank 1 · Only if needed 0 · Do not rank 1" in messages.vote_answer(new)
    changed = VoteResult(1, "12345678", "Doe, Jane", Vote.RANK, Vote.DO_NOT_RANK, tally)
    assert "from rank to *do not rank*" in messages.vote_answer(changed)
    same = VoteResult(1, "12345678", "Doe, Jane", Vote.RANK, Vote.RANK, tally)
    assert "already voted *rank*" in messages.vote_answer(same)
    assert "nothing changed" in messages.vote_answer(same)


def test_a_ranking_answer_warns_about_an_ordering_that_contradicts_the_votes() -> None:
    result = RankingResult((("111", "A, A"), ("222", "B, B")), (), (("111", "222"),))
    text = messages.ranking_answer(result)
    assert "Your ordering of 2 candidates is saved." in text
    assert "1. A, A (111)\n2. B, B (222)" in text
    assert "puts 111 above 222" in text


def test_the_unlock_post_names_who_why_and_escapes_the_reason() -> None:
    unlocked = Unlocked(1, "U0DIRECTOR", LOCKED_AT, "U0MEMBER01", LOCKED_AT, "applicant <!channel> withdrew")
    text = messages.unlocked_post(unlocked, "America/New_York")
    assert "<@U0MEMBER01> unlocked round 1" in text
    assert "<!channel>" not in text
    assert "applicant &lt;!channel&gt; withdrew" in text


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised() -> None:
    assert [safe_cell(x) for x in ("=1+1", "+A", "-2", "@SUM(A1)", "\tX", "Doe, Jane")] == [
        "'=1+1", "'+A", "'-2", "'@SUM(A1)", "'\tX", "Doe, Jane"]
    data = list_csv([LockedEntry(1, "12345678", "=HYPERLINK(\"x\"), Eve", "categorical", False),
                     LockedEntry(2, "23456789", "Muñoz, José", "Preliminary", True)])
    assert data.startswith("\ufeff".encode())
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["Rank", "AAMC ID", "Name", "Track"],
                    ["1", "12345678", "'=HYPERLINK(\"x\"), Eve", "categorical"],
                    ["2", "23456789", "Muñoz, José", "Preliminary"]]


def test_names_off_every_list_are_counted_when_more_than_ten_are_cut() -> None:
    lines = [line(n, name=f"Offlist{n}, Synth") for n in range(1, 15)]
    listing = CurrentList(program_id=1, lines=tuple(lines), excluded=(), members=MEMBERS, ballots=5,
                          tie_breaker="U0DIRECTOR", locks=(), without_code=tuple(lines[:12]),
                          gone=tuple((x, "withdrawn") for x in lines[12:]))
    _text, blocks = messages.list_page(listing, 1, "America/New_York")
    footer = blocks[-1]["elements"][0]["text"]
    assert "so on no list: 12*" in footer
    assert "Offlist10, Synth" in footer and "Offlist11, Synth" not in footer
    assert "and 2 more" in footer  # never a silent cut: 12 named as 10 would read as all of them
    assert "their SOAP is over: 2*" in footer


def test_the_certification_post_names_one_list_or_several_lists() -> None:
    from bot.domain.reminders import ListState
    both = messages.certified_post(1, (ListState("1234140C0", "Categorical", True, True),
                                       ListState("1234140P0", "Preliminary", True, True)), "U0DIRECTOR")
    assert "round 1's lists 1234140C0 Categorical and 1234140P0 Preliminary as entered and certified" in both
    one = messages.certified_post(2, (ListState("1234140P0", "Preliminary", True, True),), "U0DIRECTOR")
    assert "round 2's list 1234140P0 Preliminary as entered" in one
    single = messages.certified_post(1, (ListState(None, "The list", True, True),), "U0DIRECTOR")
    assert "round 1's list as entered" in single
