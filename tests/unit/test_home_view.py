"""The App Home builders with plain values: Slack's limits, escaping, and what an outsider sees."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.access import ProgramRef, Role
from bot.console.blockkit import validate_view
from bot.domain.dashboard import Dashboard
from bot.domain.offers import CodeStatus
from bot.domain.soap_calendar import CalendarEvent, EventKind
from bot.messages.home import home_view, outsider_view
from bot.services.preference_list import ListLine
from tests.harness.slack_text import fallback

NOW = datetime(2027, 3, 17, 13, 0, tzinfo=UTC)
PROGRAM = ProgramRef(id=7, name="IM <Riverside> & Co", channel_id="G1", team_id="T1", timezone="America/Chicago")
METADATA = '{"program":7}'


def _line(n: int, name: str | None = None) -> ListLine:
    return ListLine(rank=n, candidate_id=n, aamc_id=f"{40000000 + n}", name=name or f"Synthlast{n}, Synthfirst{n}",
                    bucket="strong paper", track="categorical", tied=False, tie_group=n, pinned=False,
                    support=("U1",), dissent=(), not_voted=("U2",))


def _board(missing: int, listed: int | None = None, role: Role = Role.MEMBER, name: str | None = None) -> Dashboard:
    lines = tuple(_line(n, name) for n in range(1, (listed if listed is not None else missing) + 1))
    deadline = CalendarEvent(EventKind.LIST_DEADLINE, 1, NOW + timedelta(hours=19, minutes=55),
                             "Round 1 preference-list deadline")
    return Dashboard(program_name=PROGRAM.name, timezone=PROGRAM.timezone, votes=role is not Role.OBSERVER,
                     tracks=(CodeStatus("categorical", "", 4, 2, 1, 1, 0),
                             CodeStatus("preliminary", "", 2, 0, 0, 2, 0)),
                     next_deadline=deadline, next_event=deadline, missing=lines[:missing], top=lines[:10],
                     list_size=len(lines), locked_lists=((1, None),))


def _votes_shown(view: dict) -> list[str]:
    return [b["block_id"].removeprefix("home.candidate.") for b in view["blocks"]
            if str(b.get("block_id", "")).startswith("home.candidate.")]


def test_three_hundred_missing_votes_fit_in_a_home_view() -> None:
    view = home_view(_board(300), NOW, METADATA, notice="Your vote on X: *Rank*.")
    assert len(view["blocks"]) <= 100
    assert validate_view(view) == []
    shown = _votes_shown(view)
    assert shown == [f"{40000000 + n}" for n in range(1, len(shown) + 1)]  # list order, from the top
    assert "+280 more waiting for your vote" in json.dumps(view)
    assert view["private_metadata"] == METADATA
    assert view["type"] == "home"


@settings(max_examples=40, deadline=None)
@given(missing=st.integers(0, 400), name=st.text(min_size=1, max_size=300))
def test_any_dashboard_is_a_valid_view(missing: int, name: str) -> None:
    view = home_view(_board(missing, name=name), NOW, METADATA)
    assert len(view["blocks"]) <= 100
    assert validate_view(view) == []


def test_every_vote_button_carries_the_aamc_id_and_the_card_actions() -> None:
    view = home_view(_board(2), NOW, METADATA)
    actions = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [[e["action_id"] for e in a["elements"]] for a in actions] == [
        ["vote.rank_high", "vote.rank", "vote.if_needed", "vote.do_not_rank"]] * 2
    assert [{e["value"] for e in a["elements"]} for a in actions] == [{"40000001"}, {"40000002"}]


def test_deadline_in_the_program_time_zone_with_a_countdown() -> None:
    text = json.dumps(home_view(_board(0, listed=3), NOW, METADATA))
    assert "Thu 18 Mar 03:55 CDT (in 19 h 55 min)" in fallback(text)
    assert "<!date^1805360100^{date_short_pretty} {time}|Thu 18 Mar 03:55 CDT>" in text  # the reader's own zone
    assert "nothing is waiting for you" in text
    assert "categorical*: 4 positions" in text


def test_names_are_escaped() -> None:
    view = home_view(_board(2, name="<!channel> Pingworth"), NOW, METADATA)
    text = json.dumps(view)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; Pingworth" in text
    assert "Rank high: ‹!channel› Pingworth" in json.dumps(view, ensure_ascii=False)  # a screen reader's label


def test_the_header_is_plain_text_so_the_program_name_pings_no_one() -> None:
    header = home_view(_board(0), NOW, METADATA)["blocks"][0]
    assert header["type"] == "header"
    assert header["text"] == {"type": "plain_text", "text": "SOAP war room: IM <Riverside> & Co", "emoji": True}


def test_observers_get_no_vote_buttons() -> None:
    view = home_view(_board(0, listed=5, role=Role.OBSERVER), NOW, METADATA)
    assert not [b for b in view["blocks"] if b["type"] == "actions"]
    assert "observers read everything and do not vote" in json.dumps(view)


def test_outsider_view_says_what_to_do_and_holds_no_program_data() -> None:
    view = outsider_view()
    assert validate_view(view) == []
    text = json.dumps(view)
    assert "ask a program director to invite you" in text
    assert "private_metadata" not in view or not view["private_metadata"]
    assert not [b for b in view["blocks"] if b["type"] == "actions"]


def test_with_program_codes_home_shows_each_code_list_with_its_own_ranks() -> None:
    from dataclasses import replace

    from bot.domain.lists import CodeList
    first, second, third = _line(1), _line(2), _line(3)
    categorical = CodeList("1234140C0", "Categorical", "Internal Medicine",
                           (replace(first, rank=1), replace(third, rank=2)))
    preliminary = CodeList("1234140P0", "Preliminary", "Internal Medicine",
                           (replace(second, rank=1, tied=True, tie_group=9), replace(third, rank=2, tied=True,
                                                                                  tie_group=9)))
    board = replace(_board(3), code_lists=(categorical, preliminary))
    text = json.dumps(home_view(board, NOW, METADATA))
    assert "*Top of 1234140C0 Categorical* (2 listed)" in text
    assert "*Top of 1234140P0 Preliminary* (2 listed)" in text
    assert "1= Synthlast2, Synthfirst2" in text and "1= Synthlast3, Synthfirst3" in text  # one tie group: 1=, 1=
    # Beside a missing vote, the applicant's rank on each list they are on, as /soap list numbers it.
    assert "(40000003) \\u00b7 1234140C0 rank 2 \\u00b7 1234140P0 rank 2" in text
    assert "(40000002) \\u00b7 1234140P0 rank 1" in text


def test_locked_lists_name_each_round_once_with_its_codes() -> None:
    from bot.messages.home import locked_lists_text

    shown = locked_lists_text([(1, "1234140P0"), (1, "1234140C0"), (2, "1234140C0"), (2, "1234140P0")])
    assert shown == "round 1 (1234140C0, 1234140P0), round 2 (1234140C0, 1234140P0)"
    assert locked_lists_text([(1, None)]) == "round 1"
