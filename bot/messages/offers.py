"""Positions, offer outcomes and the next-round projection, as Slack messages (pure builders).

Every name comes from a file and is escaped; sections stay under Slack's 3,000 characters
(long lists are cut with "+N more") and messages far under 50 blocks (at most 12 tracks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.domain.offers import OfferStatus
from bot.domain.when import format_local
from bot.messages.blocks import context, plural_s, section
from bot.messages.mrkdwn import clip, escape, mention
from bot.services.offers import (
    FilledSeat,
    NextRound,
    OfferResult,
    PositionsChange,
    PositionsStatus,
    TrackNext,
    TrackStatus,
)

SECTION_TEXT = 2900
NAMES_PER_TRACK = 40
NAME_CHARS = 80
SUMMARY_NAMES = 8




def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def _name(name: str, aamc_id: str) -> str:
    return f"{escape(clip(name, NAME_CHARS))} ({escape(aamc_id)})"


# --------------------------------------------------------------------------- positions


def track_line(t: TrackStatus) -> str:
    parts = [f"*{escape(t.track)}*: {min(t.filled, t.total)} of {t.total} filled"]
    if t.outstanding:
        parts.append(f"{t.outstanding} offer{plural_s(t.outstanding)} awaiting an answer")
    parts.append(f"{t.open} open")
    line = " · ".join(parts)
    if t.over_filled:
        line += f" · :warning: {t.over_filled} acceptance{plural_s(t.over_filled)} more than the positions"
    return line


def positions_blocks(status: PositionsStatus, program_name: str) -> tuple[str, list[dict[str, Any]]]:
    if not status.tracks:
        text = ("No positions are set yet. A director sets them per track: "
                "`/soap positions set categorical=4 preliminary=2`.")
        return text, _dicts([section(text)])
    lines = [track_line(t) for t in status.tracks]
    head = f"Positions of {escape(program_name)}: {status.filled} of {status.total} filled"
    if status.all_filled:
        head += " :tada: every position is filled"
    footer = ("Filled = accepted offers. Record an outcome with `/soap offer <AAMC ID> <round> "
              "offered|accepted|rejected|expired [track]`; see who the next round would offer to with `/soap next`.")
    text = head + "\n" + "\n".join(lines)
    return text, _dicts([section(f"*{head}*"), section("\n".join(lines)), context(footer)])


def positions_change_post(change: PositionsChange, actor: str) -> str:
    tracks = sorted(set(change.before) | set(change.after))
    parts = []
    for track in tracks:
        before, after = change.before.get(track), change.after.get(track)
        if before == after:
            continue
        if before is None:
            parts.append(f"{escape(track)}: {after} (new track)")
        elif after is None:
            parts.append(f"{escape(track)}: removed (was {before})")
        else:
            parts.append(f"{escape(track)}: {after} (was {before})")
    return f"{mention(actor)} set the positions: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- outcomes

_DONE = {OfferStatus.OFFERED: "was offered", OfferStatus.ACCEPTED: "accepted", OfferStatus.REJECTED: "rejected",
         OfferStatus.EXPIRED: "let expire"}


def _outcome_sentence(result: OfferResult) -> str:
    who = _name(result.name, result.aamc_id)
    if result.after is OfferStatus.OFFERED:
        return f"{who} was offered a {escape(result.track)} position in round {result.round}"
    return f"{who} {_DONE[result.after]} the round-{result.round} {escape(result.track)} offer"


def offer_answer(result: OfferResult) -> str:
    if not result.changed:
        return f"Already recorded: {_outcome_sentence(result)}. Nothing changed."
    return f"Recorded: {_outcome_sentence(result)}. {track_line(result.track_status)}."


def offer_post(result: OfferResult, actor: str) -> str:
    corrected = f" (corrected from {result.before.value})" if result.before is not None else ""
    return (f"{mention(actor)} recorded: {_outcome_sentence(result)}{corrected}. "
            f"{track_line(result.track_status)}.")


def all_filled_post(seats: Sequence[FilledSeat], status: PositionsStatus,
                    program_name: str, reminders_cancelled: int) -> tuple[str, list[dict[str, Any]]]:
    head = f":tada: Every position of {escape(program_name)} is filled ({status.total} of {status.total})."
    lines = []
    for t in status.tracks:
        mine = [s for s in seats if s.track == t.track]
        names = ", ".join(f"{_name(s.name, s.aamc_id)} (round {s.round})" for s in mine[:SUMMARY_NAMES])
        more = f", +{len(mine) - SUMMARY_NAMES} more" if len(mine) > SUMMARY_NAMES else ""
        lines.append(f"*{escape(t.track)}* {min(t.filled, t.total)}/{t.total}: {names or 'none'}{more}")
    tail = (f"The remaining reminders are cancelled ({reminders_cancelled})." if reminders_cancelled
            else "No reminders were left to cancel.")
    text = head + "\n" + "\n".join(lines) + "\n" + tail
    return text, _dicts([section(head), section("\n".join(lines)), context(tail)])


# --------------------------------------------------------------------------- the next round


def _source(projection: NextRound, tz: ZoneInfo | None) -> str:
    if projection.locked:
        when = f", {format_local(projection.locked_at, tz)}" if projection.locked_at and tz else ""
        by = f" by {mention(projection.locked_by)}" if projection.locked_by else ""
        return f"from round {projection.round}'s locked list (locked{by}{when})"
    return (f"from the committee's current order: *not locked* (round {projection.round}'s list is not locked; "
            f"a director locks it with `/soap list lock {projection.round}`)")


def _track_text(t: TrackNext, limit: int = NAMES_PER_TRACK) -> str:
    head = f"*{escape(t.track)}*: {t.open} open ({min(t.filled, t.total)} of {t.total} filled"
    head += f", {t.outstanding} awaiting an answer)" if t.outstanding else ")"
    if not t.open:
        return head + ": no offer this round."
    names = [f"{n}. {_name(o.name, o.aamc_id)}" for n, o in enumerate(t.offers[:limit], start=1)]
    if len(t.offers) > limit:
        names.append(f"+{len(t.offers) - limit} more")
    body = "\n".join(names)
    if t.unfilled_after:
        body += (f"\n:warning: {t.unfilled_after} position{plural_s(t.unfilled_after)} would stay open: "
                 f"nobody eligible is left on the list for this track ({t.listed} listed).")
    return head + " would offer to:\n" + body if names else head + "\n" + body.strip()


def next_blocks(projection: NextRound, program_name: str, timezone: str) -> tuple[str, list[dict[str, Any]]]:
    tz = ZoneInfo(timezone)
    title = f"Round {projection.round}: who would get an offer"
    intro = (f"{escape(program_name)} · {_source(projection, tz)}. Skips applicants who accepted, rejected, let "
             "an offer expire or hold an unanswered offer.")
    blocks: list[Block] = [HeaderBlock(text=title[:150]), context(intro)]
    texts = [_track_text(t) for t in projection.tracks]
    blocks += [section(text) for text in texts]
    notes: list[str] = []
    if projection.ineligible:
        notes.append(f"{projection.ineligible} listed applicant{plural_s(projection.ineligible)} skipped "
                     "(already offered).")
    if projection.assumed_expired:
        shown = ", ".join(f"{_name(o.name, o.aamc_id)} (round {o.round}, {escape(o.track)})"
                          for o in projection.assumed_expired[:10])
        notes.append(f":warning: Counted as expired, since their round is over: {shown}. Record what happened with "
                     "`/soap offer <AAMC ID> <round> accepted|rejected|expired`.")
    if projection.unmatched:
        shown = ", ".join(f"{_name(n, a)}: “{escape(clip(t, 40))}”" for a, n, t in projection.unmatched[:10])
        more = f" and {len(projection.unmatched) - 10} more" if len(projection.unmatched) > 10 else ""
        notes.append(f":warning: On the list with a track this program has not set, so left out: {shown}{more}. "
                     "A director adds the track with `/soap positions set <track>=<count>`.")
    if not projection.list_size:
        notes.append("The list is empty: nobody has been voted on or pinned yet.")
    if notes:
        blocks.append(context("\n".join(notes)))
    text = "\n".join([f"{title} ({_source(projection, tz)})", *texts, *notes])
    return text, _dicts(blocks)


def next_summary_lines(projection: NextRound) -> list[str]:
    """Short lines for a reminder: which applicants round N would offer to, per track."""
    source = "locked list" if projection.locked else "current order, *not locked*"
    lines = [f"*Round {projection.round} would offer to* (from the {source}):"]
    for t in projection.tracks:
        if not t.open:
            lines.append(f"• {escape(t.track)}: no open position")
            continue
        names = ", ".join(_name(o.name, o.aamc_id) for o in t.offers[:SUMMARY_NAMES])
        more = f", +{len(t.offers) - SUMMARY_NAMES} more" if len(t.offers) > SUMMARY_NAMES else ""
        gap = (f" ({t.unfilled_after} position{plural_s(t.unfilled_after)} with nobody eligible left on the list)"
               if t.unfilled_after else "")
        lines.append(f"• {escape(t.track)} ({t.open} open): {names or 'nobody'}{more}{gap}")
    return lines
