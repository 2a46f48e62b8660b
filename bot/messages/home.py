"""The App Home tab (pure builders): a member's dashboard, or a short explanation for anyone else.

Slack allows 100 blocks in a Home view whatever the data: the dashboard shows at most
`MISSING_SHOWN` missing votes (two blocks each: the applicant, then the four vote buttons) and
says how many more there are, and the top of the list is one section. The view carries the
program id in `private_metadata` so that a vote clicked here finds its war room (a Home click has
no channel).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.dashboard import Dashboard, PurgedRoom
from bot.domain.lists import CodeList, ListLine
from bot.domain.soap_calendar import CalendarEvent, format_countdown
from bot.domain.when import format_local
from bot.domain.wording import plural_s
from bot.messages.blocks import button_label, context, section
from bot.messages.clock_health import reminders_stopped_line
from bot.messages.ids import ActionId, BlockId, CallbackId
from bot.messages.mrkdwn import clip, escape
from bot.messages.offers import code_line
from bot.messages.preference_list import rank_mark
from bot.messages.schedule import list_state_line
from bot.messages.times import local_time

MAX_BLOCKS = 100
MISSING_SHOWN = 20
SECTION_TEXT = 2900
NAME_CHARS = 80
HOME_VOTE_BUTTONS: tuple[tuple[ActionId, str, str | None], ...] = (
    (ActionId.VOTE_RANK_HIGH, "Rank high", "primary"),
    (ActionId.VOTE_RANK, "Rank", None),
    (ActionId.VOTE_IF_NEEDED, "Only if needed", None),
    (ActionId.VOTE_DO_NOT_RANK, "Do not rank", "danger"),
)
NOT_A_MEMBER = (
    "This is the SOAP War Room app. It works for a program's selection committee, in the program's private "
    "war-room channel. You are not in a war room of this workspace, so there is nothing to show here.\n"
    "If you are on the committee, ask a program director to invite you to the war-room channel; this page then "
    "shows the positions, the next deadline and the candidates waiting for your vote."
)




def locked_lists_text(locked: Sequence[tuple[int, str | None]]) -> str:
    """`round 1 (1234140C0, 1234140P0), round 2 (1234140C0)`: each round once, with its codes."""
    codes: dict[int, list[str]] = {}
    for number, code in sorted(locked, key=lambda lock: (lock[0], lock[1] or "")):
        codes.setdefault(number, [])
        if code and code not in codes[number]:
            codes[number].append(escape(code))
    return ", ".join(f"round {n} ({', '.join(c)})" if c else f"round {n}" for n, c in codes.items())


def _when(event: CalendarEvent, now: datetime, tz: ZoneInfo) -> str:
    return f"*{escape(event.label)}*: {local_time(event.at, tz)} ({format_countdown(event.at - now)})"


def _where(line: ListLine, lists: tuple[CodeList, ...]) -> str:
    """The applicant's rank on each list as `/soap list` numbers it: `list rank 3` with one list,
    `1234140C0 rank 1 · 1234140P0 rank 3` with one per program code."""
    if not lists:
        return f"list rank {line.rank}"
    ranks = [(listed, on.rank) for listed in lists for on in listed.lines if on.aamc_id == line.aamc_id]
    if len(lists) == 1 and lists[0].code is None:
        return " · ".join(f"list rank {rank}" for _, rank in ranks)
    return " · ".join(f"{escape(listed.code or listed.title)} rank {rank}" for listed, rank in ranks)


def _candidate(line: ListLine, lists: tuple[CodeList, ...]) -> str:
    bucket = f" · {escape(line.bucket)}" if line.bucket else ""
    return f"*{escape(clip(line.name, NAME_CHARS))}* ({escape(line.aamc_id)}) · {_where(line, lists)}{bucket}"


def _top_line(line: ListLine, group_start: dict[int, int], hidden: frozenset[str]) -> str:
    pin = " :pushpin:" if line.pinned else ""
    votes = ("votes hidden until you vote" if line.aamc_id in hidden
             else f"support {len(line.support)}, dissent {len(line.dissent)}")
    name = escape(clip(line.name, NAME_CHARS))
    return f"{rank_mark(line, group_start)} {name} ({escape(line.aamc_id)}){pin} · {votes}"


def _top(title: str, lines: tuple[ListLine, ...], shown: int, listed: int, hidden: frozenset[str]) -> str:
    """The top of one list, ties marked as `/soap list` marks them (`1=` `1=` `3=`)."""
    group_start = {line.tie_group: line.rank for line in reversed(lines) if line.tied}
    top = "\n".join(_top_line(line, group_start, hidden) for line in lines[:shown])
    return f"*{title}* ({listed} listed)\n{top}"


def _vote_buttons(line: ListLine) -> ActionsBlock:
    return ActionsBlock(block_id=f"{BlockId.HOME_VOTE}.{line.aamc_id}"[:255], elements=[
        ButtonElement(text=text, action_id=action.value, value=line.aamc_id, style=style,
                      accessibility_label=button_label(text, line.name))
        for action, text, style in HOME_VOTE_BUTTONS])


def home_view(board: Dashboard, now: datetime, metadata: str, notice: str | None = None) -> dict[str, Any]:
    """The member's dashboard as a Home view (within 100 blocks whatever the data)."""
    tz = ZoneInfo(board.timezone)
    blocks: list[Block] = [HeaderBlock(text=clip(f"SOAP war room: {board.program_name}", 150)),
                           context(f"Times in your own time zone (the program's is {escape(tz.key)}) · "
                                   f"updated {local_time(now, tz)}")]
    if notice:
        blocks.append(section(notice))
    stopped = reminders_stopped_line(board.clock, board.timezone)
    if stopped:
        blocks.append(section(stopped))
    if board.tracks:
        filled = sum(min(t.filled, t.total) for t in board.tracks)
        total = sum(t.total for t in board.tracks)
        status = f"*Positions*: {filled} of {total} filled\n" + "\n".join(code_line(t) for t in board.tracks)
    else:
        status = "*Positions*: not set yet (a director sets them with `/soap positions set categorical=4`)."
    blocks.append(section(status))
    if board.next_deadline is not None:
        when = "*Next deadline* · " + _when(board.next_deadline, now, tz)
        if board.next_event is not None and board.next_event != board.next_deadline:
            when += "\nNext on the calendar · " + _when(board.next_event, now, tz)
    elif board.next_event is not None:
        when = "*No preference-list deadline left.* Next on the calendar · " + _when(board.next_event, now, tz)
    else:
        when = "*No deadline left* on this program's SOAP calendar (`/soap schedule`)."
    if board.lists:
        when += "\n" + "\n".join(list_state_line(number, states) for number, states in board.lists)
    elif board.locked_lists:
        when += "\nLocked lists: " + locked_lists_text(board.locked_lists)
    blocks.append(section(when))
    blocks.append(DividerBlock())

    if not board.votes:
        blocks.append(section("*Your votes*: observers read everything and do not vote."))
    elif not board.missing:
        blocks.append(section("*Your votes*: nothing is waiting for you. Every candidate on the committee's list "
                               "has your vote or your ordering."))
    else:
        count = len(board.missing)
        blocks.append(section(f"*Waiting for your vote: {count} candidate{plural_s(count)}* on the committee's list "
                               "(rank high, rank, only if needed or do not rank; you can change it any time)."))
        room = MAX_BLOCKS - len(blocks) - 6  # keep room for the list and the notes below
        shown = board.missing[: max(0, min(MISSING_SHOWN, room // 2))]
        for line in shown:
            blocks.append(SectionBlock(block_id=f"{BlockId.HOME_CANDIDATE}.{line.aamc_id}"[:255],
                                       text=MarkdownTextObject(text=_candidate(line, board.code_lists))))
            blocks.append(_vote_buttons(line))
        if count > len(shown):
            blocks.append(context(f"+{count - len(shown)} more waiting for your vote: they appear here as you vote, "
                                   "or use `/soap vote <AAMC ID> high|rank|if-needed|dnr`."))
    blocks.append(DividerBlock())
    per_code = [listed for listed in board.code_lists if listed.code is not None and listed.lines]
    if per_code:
        each = max(3, len(board.top) // len(per_code))
        blocks.append(section("\n".join(_top(f"Top of {escape(listed.title)}", listed.lines, each, len(listed.lines),
                                              board.tallies_hidden) for listed in per_code)[:SECTION_TEXT]))
    elif board.top:
        lines = board.code_lists[0].lines if board.code_lists else board.top
        blocks.append(section(_top("Top of the committee's current list", lines, len(board.top),
                                   board.list_size, board.tallies_hidden)[:SECTION_TEXT]))
    else:
        blocks.append(section("*The committee's list is empty*: nobody has voted or been pinned yet."))
    blocks.append(context("`/soap list` shows the whole order, `/soap next` who the next round would offer to, "
                           "`/soap help` everything else."))
    view = View(type="home", blocks=blocks[:MAX_BLOCKS], private_metadata=metadata,
                callback_id=CallbackId.HOME_DASHBOARD.value)
    return view.to_dict()


def outsider_view(notice: str | None = None, purged: PurgedRoom | None = None) -> dict[str, Any]:
    """For someone who is not in any war room of the workspace: what the app is, nothing about applicants.
    A member of a purged war room is told that, not asked to get invited."""
    blocks: list[Block] = [HeaderBlock(text="SOAP War Room")]
    if notice:
        blocks.append(section(notice))
    if purged is not None:
        tz = ZoneInfo(purged.timezone)
        blocks.append(section(
            f"The war room of *{escape(purged.name)}* was purged on {format_local(purged.purged_at, tz)}: its "
            "applicants, notes, votes and lists are deleted, so there is nothing to show here. A program director "
            "can start again in that channel with `/soap setup <program name>`."))
    else:
        blocks.append(section(NOT_A_MEMBER))
    return View(type="home", blocks=blocks, callback_id=CallbackId.HOME_OUTSIDER.value).to_dict()
