"""Block Kit and text for votes, orderings, pins and the preference list (pure builders).

Every name came from a file and is escaped; mentions come only from `mention`. Whatever the
data (a 300-line list, 80-character names, 15 members who have not voted), every message stays
within Slack's limits: at most 50 blocks, section texts under 3,000 characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain.cards import CardButton, CardSection
from bot.domain.lists import CodeList, CurrentList, ListLine, LockedEntry, LockedList, Placement, Unlocked
from bot.domain.preference_list import Vote
from bot.domain.reminders import ListState
from bot.domain.votes import (
    VOTE_LABELS,
    CandidateVotes,
    PinResult,
    RankingResult,
    TallyView,
    VoteResult,
    VotesSeen,
)
from bot.domain.wording import plural
from bot.messages.ids import ActionId, ListButton, button_value
from bot.messages.mrkdwn import clip, escape, mention

# The card's buttons, best first: (vote, action id, button text, style).
VOTE_BUTTONS: tuple[tuple[Vote, ActionId, str, str | None], ...] = (
    (Vote.RANK_HIGH, ActionId.VOTE_RANK_HIGH, "Rank high", "primary"),
    (Vote.RANK, ActionId.VOTE_RANK, "Rank", None),
    (Vote.IF_NEEDED, ActionId.VOTE_IF_NEEDED, "Only if needed", None),
    (Vote.DO_NOT_RANK, ActionId.VOTE_DO_NOT_RANK, "Do not rank", "danger"),
)
VOTE_BY_ACTION: dict[str, Vote] = {action.value: vote for vote, action, _, _ in VOTE_BUTTONS}
CARD_NAMES_LIMIT = 12  # names per scale step on a director's card

PAGE_SIZE = 20
SECTION_CHARS = 2800
MAX_BLOCKS = 50
NAME_CHARS = 60
MENTIONS_SHOWN = 8
LOCK_POST_BLOCKS = 40


def when(moment: datetime, timezone: str) -> str:
    """"Thu 18 Mar 9:05 a.m. EDT" in the program's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    half = "a.m." if local.hour < 12 else "p.m."
    return f"{local:%a} {local.day} {local:%b} {hour}:{local:%M} {half} {local.tzname()}"


def _name(text: str) -> str:
    return escape(clip(text, NAME_CHARS))


def _people(users: Sequence[str], limit: int = MENTIONS_SHOWN) -> str:
    shown = " ".join(mention(u) for u in users[:limit])
    return shown + (f" +{len(users) - limit}" if len(users) > limit else "")


def _sections(lines: Sequence[str], budget: int) -> tuple[list[SectionBlock], int]:
    """Lines packed into sections under Slack's text limit; returns (sections, lines placed)."""
    sections: list[SectionBlock] = []
    chunk: list[str] = []
    placed = 0
    for line in lines:
        line = clip(line, SECTION_CHARS)
        if chunk and sum(len(x) + 1 for x in chunk) + len(line) > SECTION_CHARS:
            if len(sections) + 1 >= budget:
                break
            sections.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
            chunk = []
        chunk.append(line)
        placed += 1
    if chunk and len(sections) < budget:
        sections.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
    elif chunk:
        placed -= len(chunk)
    return sections, placed


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks[:MAX_BLOCKS]]


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 2900))])


# --------------------------------------------------------------------------- votes, rankings, pins


def vote_label(vote: Vote) -> str:
    return VOTE_LABELS[vote].lower()


def tally_text(tally: dict[Vote, int]) -> str:
    return " · ".join(f"{VOTE_LABELS[v]} {tally.get(v, 0)}" for v in Vote)


def vote_answer(result: VoteResult) -> str:
    who = f"{_name(result.name)} ({escape(result.aamc_id)})"
    if not result.changed:
        head = f"You had already voted *{vote_label(result.after)}* on {who}; nothing changed."
    elif result.before is None:
        head = f"You voted *{vote_label(result.after)}* on {who}."
    else:
        head = f"You changed your vote on {who} from {vote_label(result.before)} to *{vote_label(result.after)}*."
    return f"{head}\nCommittee so far: {tally_text(result.tally)}."


def ranking_answer(result: RankingResult) -> str:
    shown = [f"{n}. {_name(name)} ({escape(aamc)})" for n, (aamc, name) in enumerate(result.ordering, start=1)]
    yours = f"Your ballot for {escape(result.code_title or result.code)}" if result.code else "Your ordering"
    head = (f"{yours} is unchanged." if tuple(a for a, _ in result.ordering) == result.before
            else f"{yours} of {len(shown)} candidate{'s' if len(shown) != 1 else ''} is saved"
                 + (" (it replaces your previous one)." if result.before else ".")
                 + (" It counts on that code's list only; your general ordering counts on the others."
                    if result.code else ""))
    body = "\n".join(shown[:40]) + (f"\n… and {len(shown) - 40} more" if len(shown) > 40 else "")
    text = f"{head}\n{body}"
    if result.contradictions:
        pairs = ", ".join(f"{escape(a)} above {escape(b)}" for a, b in result.contradictions[:5])
        text += (f"\n:warning: Your ordering puts {pairs} although your votes rate the second one higher. "
                 "Your ordering wins for those pairs; change a vote if that is not what you mean.")
    return clip(text, 3900)


def ranking_cleared_answer(count: int) -> str:
    if count == 0:
        return "You had no ordering; nothing changed."
    return f"Your ordering of {count} candidate{'s' if count != 1 else ''} is removed; your votes still count."


def pin_answer(result: PinResult, pinned: bool) -> str:
    who = f"{_name(result.name)} ({escape(result.aamc_id)})"
    if pinned:
        if not result.changed:
            return f"{who} was already pinned by {mention(result.before or '')}; nothing changed."
        return f":pushpin: {who} is pinned: first on the list, whatever the votes."
    if not result.changed:
        return f"{who} was not pinned; nothing changed."
    return f"{who} is unpinned: the committee's votes place them now."


def pin_post(result: PinResult, actor: str, pinned: bool) -> str:
    who = f"{_name(result.name)} ({escape(result.aamc_id)})"
    if pinned:
        return f":pushpin: {mention(actor)} pinned {who} to the top of the preference list."
    return f"{mention(actor)} unpinned {who}; the committee's votes place them now."


_PLACED = {"pin": "pinned first on", "exclude": "left off"}


def placement_answer(result: Placement) -> str:
    who = f"{_name(result.name)} ({escape(result.aamc_id)})"
    where = escape(result.title)
    if not result.changed:
        state = _PLACED[result.after] + " " + where if result.after else f"neither pinned on nor left off {where}"
        return f"{who} is already {state}; nothing changed."
    if result.after is None:
        return f"{who} is no longer {_PLACED[result.before or 'pin']} {where}: the committee's votes place them there."
    return f"{who} is {_PLACED[result.after]} {where}."


def placement_post(result: Placement, actor: str) -> str:
    who = f"{_name(result.name)} ({escape(result.aamc_id)})"
    if result.after is None:
        return f"{mention(actor)} released {who} on {escape(result.title)} (was {result.before})."
    return f"{mention(actor)}: {who} is {_PLACED[result.after]} {escape(result.title)}."


def candidate_votes_blocks(votes: CandidateVotes) -> tuple[str, list[dict[str, Any]]]:
    """Who voted what on one candidate: for a director, ephemeral."""
    title = f"Votes on {_name(votes.name)} ({escape(votes.aamc_id)})"
    lines = []
    if votes.pinned_by:
        lines.append(f":pushpin: Pinned by {mention(votes.pinned_by)}")
    for vote in Vote:
        users = votes.by_vote.get(vote, ())
        lines.append(f"*{VOTE_LABELS[vote]}* ({len(users)}): {_people(users, 30) if users else '-'}")
    if votes.ranked_at:
        ranked = sorted(votes.ranked_at.items(), key=lambda item: (item[1], item[0]))
        lines.append("*In members' own orderings*: "
                     + ", ".join(f"{mention(u)} #{p}" for u, p in ranked[:30]))
    text = f"{title}\n" + "\n".join(lines)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(f"*{title}*\n" + "\n".join(lines), 2900))),
                           _context("Only you can see this: who voted what is for directors.")]
    return clip(text, 3900), _dicts(blocks)


def votes_seen_blocks(seen: VotesSeen) -> tuple[str, list[dict[str, Any]]]:
    """`/soap votes <applicant>` as the asker may see it: who voted what (a director), the tally
    without names, or, with blind votes before the asker has voted, only how many voted."""
    if seen.view is TallyView.NAMES:
        return candidate_votes_blocks(seen.votes)
    votes = seen.votes
    title = f"Votes on {_name(votes.name)} ({escape(votes.aamc_id)})"
    counted = f"{seen.total} vote{'s' if seen.total != 1 else ''}" if seen.total else "no votes yet"
    if seen.view is TallyView.COUNT:
        body = (f"{counted.capitalize()} so far. Blind votes are on: you see how the committee voted once you have "
                f"voted on this applicant yourself (the card's buttons, or `/soap vote {escape(votes.aamc_id)} "
                "high|rank|if-needed|dnr`).")
        note = "Only you can see this."
    else:
        tally = {vote: len(votes.by_vote.get(vote, ())) for vote in Vote}
        body = f"{tally_text(tally)} ({counted})."
        note = "Only you can see this; who voted what is for directors."
    text = f"{title}\n{body}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(f"*{title}*\n{body}", 2900))),
                           _context(note)]
    return clip(text, 3900), _dicts(blocks)


# --------------------------------------------------------------------------- /soap list


TIE_GROUPS_NAMED = 12


def tie_groups(lines: Sequence[ListLine]) -> list[tuple[int, int]]:
    """(first rank, last rank) of each group of tied lines, in list order."""
    spans: dict[int, tuple[int, int]] = {}
    for line in lines:
        if line.tied:
            first, last = spans.get(line.tie_group, (line.rank, line.rank))
            spans[line.tie_group] = (min(first, line.rank), max(last, line.rank))
    return sorted(spans.values())


def rank_mark(line: ListLine, group_start: dict[int, int] | None = None) -> str:
    """`3.` alone, `3=` for every line of the tie group that starts at rank 3 (so `1=` `1=` `3=` `3=` `3=`
    shows where one group ends and the next begins)."""
    if not line.tied:
        return f"{line.rank}."
    return f"{(group_start or {}).get(line.tie_group, line.rank)}="


BINDING_NOTE = "an offer if R3 reaches them"


def list_line(line: ListLine, group_start: dict[int, int] | None = None) -> str:
    pin = ":pushpin: " if line.pinned else ""
    bucket = f"_{escape(line.bucket)}_" if line.bucket else "_no bucket_"
    parts = [f"*{rank_mark(line, group_start)}* {pin}{_name(line.name)} ({escape(line.aamc_id)}) · {bucket}",
             f"support {len(line.support)} · dissent {len(line.dissent)}"]
    if line.not_voted:
        parts.append(f"not voted: {_people(line.not_voted)}")
    if line.binding:
        parts.append(f":warning: {escape(line.binding)}: {BINDING_NOTE}")
    return " · ".join(parts)


def pages(current: CurrentList, page_size: int = PAGE_SIZE) -> int:
    longest = max((len(x.lines) for x in current.lists), default=len(current.lines))
    return max(1, -(-longest // page_size))


def list_page(current: CurrentList, page: int, timezone: str, page_size: int = PAGE_SIZE,
              only: CodeList | None = None) -> tuple[str, list[dict[str, Any]]]:
    """One page of each program code's list (ephemeral), each ranked from 1; `only` shows one list.
    `page` is clamped to the pages there are."""
    shown = [only] if only is not None else list(current.lists) or [CodeList(None, "", "", current.lines)]
    per_code = any(x.code is not None for x in shown)
    title = "Preference lists per program code (current order)" if per_code and len(shown) > 1 else (
        f"{shown[0].title} (current order)" if per_code else "Preference list (current order)")
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=clip(title, 150)))]
    if not current.lines:
        text = ("No one has voted yet. Vote with the buttons on a candidate's card or `/soap vote <AAMC ID> high`, "
                "or order your picks with `/soap rank <id> <id> …`.")
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
        blocks.extend(_footer(current, timezone))
        return text, _dicts(blocks)
    total_pages = max(1, max(-(-len(x.lines) // page_size) for x in shown))
    page = min(max(page, 1), total_pages)
    budget = max(2, (MAX_BLOCKS - 8) // len(shown) - 2)
    texts: list[str] = []
    for listed in shown:
        if per_code:
            head = f"*{escape(listed.title)}*: {len(listed.lines)} applicant{'s' if len(listed.lines) != 1 else ''}"
            if listed.code_ballots:
                head += (f" · ordered by {plural(listed.code_ballots, 'ballot')} for this code and "
                         f"{plural(listed.general_ballots, 'general ballot')}")
            elif listed.general_ballots:
                head += f" · ordered by {plural(listed.general_ballots, 'general ballot')}"
            blocks.append(SectionBlock(text=MarkdownTextObject(text=head)))
            texts.append(head)
        chosen = listed.lines[(page - 1) * page_size: page * page_size]
        if not chosen:
            blocks.append(_context("Nobody on this list" + (" on this page." if listed.lines else ".")))
            continue
        group_start = {line.tie_group: line.rank for line in reversed(listed.lines) if line.tied}
        lines = [list_line(line, group_start) for line in chosen]
        sections, placed = _sections(lines, budget)
        blocks.extend(sections)
        if placed < len(lines):
            blocks.append(_context(f"{len(lines) - placed} more lines on this page did not fit; use a smaller page."))
        texts.extend(lines)
        nav = f"Page {page} of {total_pages} (ranks {chosen[0].rank}–{chosen[-1].rank} of {len(listed.lines)})."
        if listed.left_off:
            nav += " Left off this list by a director: " + _first_ten(
                [f"{_name(x.name)} ({escape(x.aamc_id)})" for x in listed.left_off]) + "."
        blocks.append(_context(nav))
    if page < total_pages:
        blocks.append(_context(f"Next: `/soap list {page + 1}`."))
    blocks.extend(_footer(current, timezone, shown))
    # The header is plain text; the fallback is mrkdwn, where a program code's label from a file is escaped.
    text = f"{escape(title)}, page {page} of {total_pages}:\n" + "\n".join(texts)
    return clip(text, 3900), _dicts(blocks)


def _first_ten(names: Sequence[str]) -> str:
    """The first ten names, then how many more: a cut list never reads as the whole of it."""
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return ", ".join(names[:10]) + more


def _footer(current: CurrentList, timezone: str, shown: Sequence[CodeList] = ()) -> list[Block]:
    notes: list[str] = []
    if current.excluded:
        names = ", ".join(f"{_name(x.name)} ({escape(x.aamc_id)})" for x in current.excluded[:10])
        more = f" and {len(current.excluded) - 10} more" if len(current.excluded) > 10 else ""
        notes.append(f"*Left off by a majority of do not rank: {len(current.excluded)}*: {names}{more}")
    else:
        notes.append("Left off by a majority of do not rank: none.")
    notes.append(f"Ballots from {current.ballots} of {len(current.members)} voting members. "
                 "Support = rank or rank high; dissent = do not rank.")
    # Ranks are each list's own, so the groups are named per list (a program without codes has one).
    per_list: list[tuple[CodeList | None, list[tuple[int, int]]]] = [(x, tie_groups(x.lines)) for x in shown]
    per_list = per_list or [(None, tie_groups(current.lines))]
    groups = [g for _, found in per_list for g in found]
    if groups:
        breaker = f"{mention(current.tie_breaker)}'s ballot" if current.tie_breaker else "the director's ballot"
        parts = []
        for listed, found in per_list:
            if found:
                spans = ", ".join(f"`{first}=` ranks {first}–{last}" for first, last in found[:TIE_GROUPS_NAMED])
                more = f" and {len(found) - TIE_GROUPS_NAMED} more" if len(found) > TIE_GROUPS_NAMED else ""
                where = f"{escape(listed.title)}: " if listed is not None and listed.code else ""
                parts.append(f"{where}{spans}{more}")
        named = "; ".join(parts)
        count = "1 tie group" if len(groups) == 1 else f"{len(groups)} separate tie groups"
        notes.append(f"`n=` marks a tie in the committee's votes, {count}: {named}. The candidates of a "
                     f"group are level with each other only; inside a group the order follows {breaker}, "
                     "then the triage bucket, then AAMC ID.")
    if current.gone:
        names = _first_ten([f"{_name(x.name)} ({escape(x.aamc_id)}): {escape(why)}" for x, why in current.gone])
        notes.append(f"*Off every list, their SOAP is over: {len(current.gone)}*: {names}")
    if current.without_code:
        names = _first_ten([f"{_name(x.name)} ({escape(x.aamc_id)})" for x in current.without_code])
        notes.append(f":warning: *Voted on but applied to none of the program codes, so on no list: "
                     f"{len(current.without_code)}*: {names}")
    for lock in current.locks:
        which = f" {escape(lock.code)}" if lock.code else ""
        notes.append(f":lock: Round {lock.round}{which} locked by {mention(lock.locked_by)} "
                     f"({when(lock.locked_at, timezone)}, {lock.entries} candidates).")
    return [_context("\n".join(notes))]


# --------------------------------------------------------------------------- lock and unlock


def _what_the_csv_is(round_number: int, after_deadline: bool, offers_expired: bool) -> str:
    if offers_expired:
        return (f"Round {round_number}'s offers have expired: this list and its CSV are a record of what the "
                "committee agreed, not something to enter in R3.")
    if after_deadline:
        return (f"Round {round_number}'s deadline has passed: R3 may already have used the list it had. Enter "
                "the CSV below in R3 only if R3 still accepts changes for this round.")
    return ("Enter the CSV below in R3 and certify the list there before the deadline, then press "
            "*Certified in R3* (or `/soap list certified " f"{round_number}`).")


def _locked_mark(entry: LockedEntry) -> str:
    if not entry.tied:
        return f"{entry.rank}."
    return f"{entry.tie_start if entry.tie_start is not None else entry.rank}="


def locked_post(locked: LockedList, program_name: str, timezone: str, *, after_deadline: bool = False,
                offers_expired: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The war-room post for one locked list: the whole list (the CSV follows as a file)."""
    which = f" {locked.title}" if locked.code else ""
    title = clip(f"Round {locked.round}{which} preference list locked", 150)
    intro = (f"{mention(locked.locked_by)} locked the preference list{escape(which)} of "
             f"*{escape(clip(program_name, 120))}* for round {locked.round} ({when(locked.locked_at, timezone)}): "
             f"{len(locked.entries)} candidates, ranked from 1. Later votes do not change it. "
             + _what_the_csv_is(locked.round, after_deadline, offers_expired))
    binding = dict(locked.binding)
    lines = [f"*{_locked_mark(e)}* {_name(e.name)} ({escape(e.aamc_id)}) · {escape(e.track)}"
             + (f" · :warning: {escape(binding[e.aamc_id])}: {BINDING_NOTE}" if e.aamc_id in binding else "")
             for e in locked.entries]
    sections, placed = _sections(lines, LOCK_POST_BLOCKS)
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=title)),
                           SectionBlock(text=MarkdownTextObject(text=intro)), *sections]
    if placed < len(lines):
        blocks.append(_context(f"… and {len(lines) - placed} more: see the CSV."))
    if binding:
        blocks.append(_context(f":warning: {len(binding)} name{'s' if len(binding) != 1 else ''} on this list the "
                               "committee's policy would leave off: every name on a certified list is "
                               f"{BINDING_NOTE}. Unlock, change the votes, and lock again if that is not meant."))
    if any(e.tied for e in locked.entries):
        breaker = f"{mention(locked.tie_breaker)}'s ballot" if locked.tie_breaker else "the director's ballot"
        blocks.append(_context(f"`n=` was a tie in the committee's votes, broken by {breaker}, "
                               "then the triage bucket, then AAMC ID."))
    if not offers_expired:
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="Certified in R3", action_id=ActionId.LIST_CERTIFIED.value,
            value=button_value(ListButton(locked.round, locked.code)))]))
    text = f"{escape(title)}: {len(locked.entries)} candidates."  # mrkdwn, unlike the header
    return text, _dicts(blocks)


def certified_post(round_number: int, lists: Sequence[ListState], actor: str, late: str = "") -> str:
    """The war room is told that a director entered and certified the round's lists in R3."""
    named = [escape(state.name) for state in lists if state.code]
    which = (" " if len(named) == 1 else "s ") + " and ".join(named) if named else ""
    return (f":white_check_mark: {mention(actor)} recorded round {round_number}'s list{which} "
            f"as entered and certified in R3." + (f" :warning: {late}" if late else ""))


def lock_answer(locked: Sequence[LockedList], uploaded: bool) -> str:
    rnd = locked[0].round
    binding = sum(len(x.binding) for x in locked)
    warn = (f" :warning: {binding} name{'s' if binding != 1 else ''} marked as binding "
            f"({BINDING_NOTE}); see the post." if binding else "")
    if len(locked) == 1 and not locked[0].code:
        what, where = f"with {len(locked[0].entries)} candidates", "the list and its CSV are"
    else:
        what = "; ".join(f"{escape(x.title)}: {len(x.entries)} candidates" for x in locked)
        what, where = f"({what})", "each list and its CSV (one per program code) are"
    if uploaded:
        return f"Round {rnd} is locked {what}; {where} in the war room.{warn}"
    return (f"Round {rnd} is locked {what}, but Slack did not take a post or a CSV. Get each CSV with "
            f"`soapbot export-list --round {rnd} [--code <code>]` or try `/soap list csv {rnd}`.{warn}")


def unlocked_post(unlocked: Unlocked, timezone: str) -> str:
    which = f" ({', '.join(escape(c) for c in unlocked.codes)})" if unlocked.codes else ""
    return (f":unlock: {mention(unlocked.unlocked_by)} unlocked round {unlocked.round}'s preference list{which} "
            f"(locked by {mention(unlocked.locked_by)}, {when(unlocked.locked_at, timezone)}). "
            f"Reason: {escape(clip(unlocked.reason, 500))}. Lock it again with `/soap list lock {unlocked.round}`.")


def votes_card_section(aamc_id: str, pinned_by: str | None, by_vote: Mapping[Vote, Sequence[str]], view: TallyView,
                       is_director: bool) -> CardSection:
    """The card's Committee votes section: the pin, the tally as `view` allows (names for a director's
    ephemeral card), and the four vote buttons."""
    total = sum(len(users) for users in by_vote.values())
    lines: list[str] = []
    if pinned_by:
        lines.append(f":pushpin: Pinned to the top of the list by {mention(pinned_by)}")
    counted = f"{total} vote{'s' if total != 1 else ''}" if total else "no votes yet"
    if view is TallyView.COUNT:
        lines.append(f"*{counted}* · blind votes: the tally is hidden until you vote; then "
                     f"`/soap votes {aamc_id}` shows it to you.")
    else:
        lines.append(" · ".join(f"{VOTE_LABELS[v]}: *{len(by_vote[v])}*" for v in Vote) + f"  ({counted})")
    if is_director:
        for vote in Vote:
            users = by_vote[vote]
            if users:
                shown = " ".join(mention(u) for u in users[:CARD_NAMES_LIMIT])
                more = f" and {len(users) - CARD_NAMES_LIMIT} more" if len(users) > CARD_NAMES_LIMIT else ""
                lines.append(f"{VOTE_LABELS[vote]}: {shown}{more}")
    buttons = tuple(CardButton(action_id=action.value, text=text, value=aamc_id, style=style)
                    for _, action, text, style in VOTE_BUTTONS)
    return CardSection(title="Committee votes", lines=tuple(lines), buttons=buttons)
