"""Positions per program code, offer records, availability and the next round, as Slack messages.

Pure builders: they read the result shapes of `bot.domain.offers` and never import a service.

Every name comes from a file and is escaped; sections stay under Slack's 3,000 characters
(long lists are cut with "+N more") and messages far under 50 blocks (at most 12 codes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.domain.cards import CardButton, CardSection
from bot.domain.offer_card import OfferCard
from bot.domain.offer_words import OutcomeButton
from bot.domain.offers import (
    Availability,
    AvailabilityResult,
    CodeNext,
    CodeStatus,
    FilledSeat,
    NextRound,
    OfferCleared,
    OfferResult,
    OfferStatus,
    PositionKind,
    PositionsChange,
    PositionsStatus,
    ProjectedOffer,
    StoredOffer,
)
from bot.domain.reminders import ListState
from bot.domain.when import format_local
from bot.domain.wording import plural_s
from bot.messages.blocks import context, section
from bot.messages.ids import ActionId, button_value
from bot.messages.mrkdwn import clip, escape, mention

SECTION_TEXT = 2900
NAMES_PER_TRACK = 40
NAME_CHARS = 80
SUMMARY_NAMES = 8


def _dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def _name(name: str, aamc_id: str) -> str:
    return f"{escape(clip(name, NAME_CHARS))} ({escape(aamc_id)})"


# --------------------------------------------------------------------------- positions


def code_line(c: CodeStatus) -> str:
    parts = [f"*{escape(c.title)}*: {c.total} position{plural_s(c.total)} · {min(c.filled, c.total)} filled"]
    if c.awaiting:
        parts.append(f"{c.awaiting} offer{plural_s(c.awaiting)} awaiting an answer")
    parts.append(f"{c.open} open")
    line = " · ".join(parts)
    if c.over_filled:
        line += f" · :warning: {c.over_filled} acceptance{plural_s(c.over_filled)} more than the positions"
    return line


def positions_blocks(status: PositionsStatus, program_name: str) -> tuple[str, list[dict[str, Any]]]:
    if not status.codes:
        text = ("No positions are set yet. A director sets them per program code, by code or label: "
                "`/soap positions set categorical=3 preliminary=1`.")
        return text, _dicts([section(text)])
    lines = [code_line(c) for c in status.codes]
    head = f"Positions of {escape(program_name)}: {status.filled} of {status.total} filled"
    if status.all_filled:
        head += " :tada: every position is filled"
    footer = ("Filled = accepted offers; an offer R3 made and nobody answered lapses before the next round. "
              "Record an outcome with `/soap offer <AAMC ID> <round> offered|accepted|rejected|expired [code]`; "
              "see who the next round would offer to with `/soap next`.")
    text = head + "\n" + "\n".join(lines)
    return text, _dicts([section(f"*{head}*"), section("\n".join(lines)), context(footer)])


def positions_change_post(change: PositionsChange, actor: str) -> str:
    titles = {c.code: c.title for c in change.status.codes}
    parts = []
    for code in sorted(set(change.before) | set(change.after)):
        before, after = change.before.get(code), change.after.get(code)
        name = escape(titles.get(code, code))
        if before == after:
            continue
        if before is None:
            parts.append(f"{name}: {after} (new)")
        elif after is None:
            parts.append(f"{name}: removed (was {before})")
        else:
            parts.append(f"{name}: {after} (was {before})")
    return f"{mention(actor)} set the positions: " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- outcomes

_DONE = {OfferStatus.OFFERED: "was offered", OfferStatus.ACCEPTED: "accepted", OfferStatus.REJECTED: "rejected",
         OfferStatus.EXPIRED: "let expire"}


def _outcome_sentence(result: OfferResult) -> str:
    who = _name(result.name, result.aamc_id)
    if result.after is OfferStatus.OFFERED:
        return f"{who} was offered a {escape(result.code_status.title)} position in round {result.round}"
    return f"{who} {_DONE[result.after]} the round-{result.round} {escape(result.code_status.title)} offer"


def offer_answer(result: OfferResult) -> str:
    if not result.changed:
        return f"Already recorded: {_outcome_sentence(result)}. Nothing changed."
    warning = f"\n:warning: Recorded, but {escape(result.warning)}." if result.warning else ""
    return f"Recorded: {_outcome_sentence(result)}. {code_line(result.code_status)}.{warning}"


def offer_post(result: OfferResult, actor: str) -> str:
    corrected = f" (corrected from {result.before.value})" if result.before is not None else ""
    return (f"{mention(actor)} recorded: {_outcome_sentence(result)}{corrected}. "
            f"{code_line(result.code_status)}.")


def _projected_offers(offers: Sequence[tuple[str, tuple[str, ...]]], names: dict[str, str]) -> str:
    if not offers:
        return "nothing to project"
    return "; ".join(f"{escape(code)}: " + (", ".join(_name(names.get(a, a), a) for a in ids) or "nobody")
                     for code, ids in offers)


def cleared_answer(cleared: OfferCleared) -> str:
    """What a removed record changed in the next round's projection, in one message."""
    head = (f"Cleared the round-{cleared.round} {escape(cleared.code)} record of "
            f"{_name(cleared.name, cleared.aamc_id)} (it said {cleared.status.value}).")
    names = dict(cleared.names)
    before, after = _projected_offers(cleared.offers_before, names), _projected_offers(cleared.offers_after, names)
    if before == after:
        change = f"The projection of the next round is unchanged: {after}."
    else:
        rnd = f"round {cleared.next_round}" if cleared.next_round else "the next round"
        change = f"The projection changed. Before: {before}. Now ({rnd}): {after}."
    return f"{head} {change}"


def cleared_post(cleared: OfferCleared, actor: str) -> str:
    return (f"{mention(actor)} cleared a mistaken record: round {cleared.round}, {escape(cleared.code)}, "
            f"{_name(cleared.name, cleared.aamc_id)} ({cleared.status.value}). `/soap next` shows the projection.")


_AVAILABILITY_TEXT = {"accepted-elsewhere": "accepted a position elsewhere: off every list, no offer from R3",
                      "withdrawn": "withdrew from SOAP: off every list, no offer from R3",
                      "available": "available again: back on the lists they applied to"}


def _availability_text(result: AvailabilityResult) -> str:
    if result.after is Availability.AVAILABLE:
        return _AVAILABILITY_TEXT[result.after.value]
    if result.kind is PositionKind.PRELIMINARY:
        what = "accepted a preliminary (PGY-1) position elsewhere: stays on advanced lists only, off the others"
    elif result.kind is PositionKind.ADVANCED:
        what = "accepted an advanced position elsewhere: stays on preliminary lists only, off the others"
    else:
        what = _AVAILABILITY_TEXT[result.after.value]
    when = (f", in round {result.in_round}: out from round {result.in_round + 1}'s offers on"
            if result.in_round is not None else ", as of now (add `round <N>` when you know the round it happened in)")
    return what + when


def availability_answer(result: AvailabilityResult) -> str:
    who = _name(result.name, result.aamc_id)
    if not result.changed:
        return f"{who} is already marked {result.after.value}; nothing changed."
    return f"Recorded: {who} {_availability_text(result)}."


def availability_post(result: AvailabilityResult, actor: str) -> str:
    return f"{mention(actor)} recorded: {_name(result.name, result.aamc_id)} {_availability_text(result)}."


def all_filled_post(seats: Sequence[FilledSeat], status: PositionsStatus,
                    program_name: str, reminders_cancelled: int) -> tuple[str, list[dict[str, Any]]]:
    head = f":tada: Every position of {escape(program_name)} is filled ({status.total} of {status.total})."
    lines = []
    for c in status.codes:
        mine = [s for s in seats if s.code == c.code]
        names = ", ".join(f"{_name(s.name, s.aamc_id)} (round {s.round})" for s in mine[:SUMMARY_NAMES])
        more = f", +{len(mine) - SUMMARY_NAMES} more" if len(mine) > SUMMARY_NAMES else ""
        lines.append(f"*{escape(c.title)}* {min(c.filled, c.total)}/{c.total}: {names or 'none'}{more}")
    tail = (f"The remaining reminders are cancelled ({reminders_cancelled})." if reminders_cancelled
            else "No reminders were left to cancel.")
    text = head + "\n" + "\n".join(lines) + "\n" + tail
    return text, _dicts([section(head), section("\n".join(lines)), context(tail)])


# --------------------------------------------------------------------------- the next round


_SOURCE_WORDS = {"certified": "certified in R3", "locked": "locked, *not recorded as certified in R3*",
                 "carried": "certified in R3", "current": "*not locked*"}


def _list_of(c: CodeNext) -> str:
    """Which list a code's projection comes from, in the committee's words."""
    if c.source == "carried":
        return f"round {c.source_round}'s certified list, which R3 keeps using until a new one is certified"
    if c.source == "current":
        return "the committee's current order, *not locked*"
    return f"round {c.source_round}'s list, {_SOURCE_WORDS[c.source]}"


def _source(projection: NextRound, tz: ZoneInfo | None) -> str:
    if projection.locked:
        when = f", {format_local(projection.locked_at, tz)}" if projection.locked_at and tz else ""
        by = f" by {mention(projection.locked_by)}" if projection.locked_by else ""
        return f"from round {projection.round}'s locked lists (locked{by}{when})"
    if any(c.locked for c in projection.codes):
        return (f"from the list R3 will use per code (round {projection.round}'s where locked, else the last "
                "certified one, else the committee's current order, marked *not locked*)")
    return (f"from the committee's current order: *not locked* (round {projection.round}'s list is not locked; "
            f"a director locks it with `/soap list lock {projection.round}`)")


def _names(offers: Sequence[ProjectedOffer], limit: int = NAMES_PER_TRACK) -> str:
    names = ", ".join(_name(o.name, o.aamc_id) for o in offers[:limit])
    return names + (f", +{len(offers) - limit} more" if len(offers) > limit else "") if names else "nobody"


def _code_text(c: CodeNext, limit: int = NAMES_PER_TRACK) -> str:
    head = f"*{escape(c.title)}*: {c.open} open ({min(c.filled, c.total)} of {c.total} filled)"
    if c.source == "current":
        head += " · *not locked yet*"
    elif c.source != "locked" or c.source_round is not None:
        head += f" · from {_list_of(c)}"
    if c.if_accepted is not None:
        return (head + ": it depends on offers with no answer yet.\n"
                f"If they are accepted: {_names(c.if_accepted, limit)}.\n"
                f"If not: {_names(c.offers, limit)}.")
    if not c.open:
        return head + ": no offer this round."
    names = [f"{n}. {_name(o.name, o.aamc_id)}" for n, o in enumerate(c.offers[:limit], start=1)]
    if len(c.offers) > limit:
        names.append(f"+{len(c.offers) - limit} more")
    body = "\n".join(names)
    if c.unfilled_after:
        body += (f"\n:warning: {c.unfilled_after} position{plural_s(c.unfilled_after)} would stay open: "
                 f"nobody eligible is left on this code's list ({c.listed} listed, {c.skipped} no longer eligible).")
    return head + " would offer to:\n" + body if names else head + "\n" + body.strip()


def _offers_list(offers: Sequence[StoredOffer]) -> str:
    return ", ".join(f"{_name(o.name, o.aamc_id)} (round {o.round}, {escape(o.code)})" for o in offers[:10]) + (
        f", +{len(offers) - 10} more" if len(offers) > 10 else "")


def next_blocks(projection: NextRound, program_name: str, timezone: str) -> tuple[str, list[dict[str, Any]]]:
    tz = ZoneInfo(timezone)
    title = f"Round {projection.round}: who R3 would offer to"
    intro = (f"{escape(program_name)} · {_source(projection, tz)}. Per program code, top-down to its open "
             "positions, skipping applicants who accepted (here or elsewhere), withdrew, or refused or let expire "
             f"an offer from that code. Offers of earlier rounds expire before round {projection.round}'s go out "
             "(NRMP's schedule), so nothing is held for them.")
    blocks: list[Block] = [HeaderBlock(text=title[:150]), context(intro)]
    texts = [_code_text(c) for c in projection.codes]
    blocks += [section(text) for text in texts]
    notes: list[str] = []
    if projection.still_open:
        until = f" until {format_local(projection.open_until, tz)}" if projection.open_until else ""
        notes.append(f":hourglass_flowing_sand: Still open{until}: {_offers_list(projection.still_open)}. "
                     "Record each answer as it comes with `/soap offer <AAMC ID> <round> accepted|rejected|expired`.")
    if projection.assumed_expired:
        notes.append(f":warning: No answer recorded: {_offers_list(projection.assumed_expired)}. Record what "
                     "happened with `/soap offer <AAMC ID> <round> accepted|rejected|expired`.")
    if not projection.list_size:
        notes.append("The list is empty: nobody has been voted on or pinned yet.")
    if notes:
        blocks.append(context("\n".join(notes)))
    text = "\n".join([f"{title} ({_source(projection, tz)})", *texts, *notes])
    return text, _dicts(blocks)


def opening_lines(projection: NextRound, lists: Sequence[ListState]) -> list[str]:
    """The round's offers as they go out: per code, who R3 is offering to and from which list."""
    state = {x.code: x for x in lists}
    lines = [f"*Round {projection.round}: R3 is offering now*"]
    for c in projection.codes:
        known = state.get(c.code) or state.get(None)
        if c.source == "carried":
            source = _list_of(c)
        elif not c.locked:
            source = "the committee's current order: this list was *not locked*, so R3 works from what it had"
        elif known is not None and known.certified:
            source = "the certified list"
        else:
            source = "the locked list, *not recorded as certified in R3*"
        if not c.open:
            lines.append(f"• {escape(c.title)}: no open position")
            continue
        names = ", ".join(_name(o.name, o.aamc_id) for o in c.offers[:SUMMARY_NAMES])
        more = f", +{len(c.offers) - SUMMARY_NAMES} more" if len(c.offers) > SUMMARY_NAMES else ""
        lines.append(f"• {escape(c.title)} ({c.open} open): {names or 'nobody'}{more} (from {source})")
    return lines


def next_summary_lines(projection: NextRound) -> list[str]:
    """Short lines for a reminder: which applicants round N would offer to, per code."""
    source = ("locked lists" if projection.locked else "lists R3 will use, some *not locked*"
              if any(c.locked for c in projection.codes) else "current order, *not locked*")
    lines = [f"*Round {projection.round} would offer to* (from the {source}):"]
    for c in projection.codes:
        if not c.open:
            lines.append(f"• {escape(c.title)}: no open position")
            continue
        names = ", ".join(_name(o.name, o.aamc_id) for o in c.offers[:SUMMARY_NAMES])
        more = f", +{len(c.offers) - SUMMARY_NAMES} more" if len(c.offers) > SUMMARY_NAMES else ""
        gap = (f" ({c.unfilled_after} position{plural_s(c.unfilled_after)} with nobody eligible left on the list)"
               if c.unfilled_after else "")
        if c.if_accepted is not None:
            lines.append(f"• {escape(c.title)} ({c.open} open): if the offers with no answer were accepted, "
                         f"{_names(c.if_accepted, SUMMARY_NAMES)}; if not, {names or 'nobody'}{more}")
            continue
        lines.append(f"• {escape(c.title)} ({c.open} open): {names or 'nobody'}{more}{gap}")
    if projection.assumed_expired:
        lines.append(f"Please record the answers to: {_offers_list(projection.assumed_expired)}.")
    return lines


# --------------------------------------------------------------------------- the card's section

STATUS_LABELS = {OfferStatus.OFFERED: "offered, no answer yet", OfferStatus.ACCEPTED: "accepted",
                 OfferStatus.REJECTED: "rejected", OfferStatus.EXPIRED: "expired"}
AVAILABILITY_LABELS = {Availability.ACCEPTED_ELSEWHERE: "accepted a position elsewhere",
                       Availability.WITHDRAWN: "withdrew from SOAP"}
_BUTTON_TEXT = {OfferStatus.ACCEPTED: "Accepted", OfferStatus.REJECTED: "Rejected", OfferStatus.EXPIRED: "Expired"}


def _outcome_button(button: OutcomeButton, several_codes: bool) -> CardButton:
    suffix = f" ({button.code})" if several_codes else ""
    text = _BUTTON_TEXT.get(button.status) or f"Offered in round {button.round_number}"
    return CardButton(action_id=f"{ActionId.OFFER_OUTCOME.value}.{button.status.value}", text=text + suffix,
                      value=button_value(button), style="primary" if button.status is OfferStatus.ACCEPTED else None)


def offers_card_section(card: OfferCard) -> CardSection | None:
    """The Offers section of a candidate card; None when there is nothing to show."""
    if card.empty:
        return None
    lines = [f"Round {o.round} · {escape(o.code)}: *{STATUS_LABELS[o.status]}* (recorded by {mention(o.recorded_by)})"
             for o in card.records]
    if card.left_soap is not None:
        lines.insert(0, f"*{AVAILABILITY_LABELS[card.left_soap]}*: off every list, no offer "
                        f"from R3 (recorded by {mention(card.left_soap_recorded_by or '')})")
    return CardSection(title="Offers", lines=tuple(lines) or ("No offer recorded yet.",),
                       buttons=tuple(_outcome_button(b, card.several_codes) for b in card.buttons))
