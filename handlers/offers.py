"""Positions per program code, offer records, applicant availability and the next round.

`/soap positions`, `/soap positions set categorical=3 preliminary=1` (directors; a label or a code),
`/soap offer <id> <round> offered|accepted|rejected|expired [code]`, `/soap offer <id> <round> clear
[code]` (directors), `/soap status <id> accepted-elsewhere [kind] [round <N>]|withdrawn [round <N>]|available`,
the outcome buttons on the candidate card (`offer.outcome.<status>`, value `AAMC ID|round|status|code`),
`/soap next [round]`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.access import Access, ProgramRef
from bot.domain.offer_words import (
    OutcomeButton,
    WordsError,
    parse_offer_words,
    parse_status_words,
)
from bot.domain.offers import OfferResult
from bot.errors import BadInput
from bot.messages import offers as messages
from bot.messages.ids import OFFER_OUTCOMES
from bot.messages.mrkdwn import escape
from bot.services import offers, positions, projection
from bot.services.candidate_cards import refresh_card
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import button, require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)

_Words = TypeVar("_Words")
_Read = TypeVar("_Read")



def announce(room: WarRoom, program: ProgramRef, actor: str, result: OfferResult) -> None:
    """The war room sees every change, and a summary when the last position is filled."""
    if not result.changed:
        return
    try:
        room.gateway.post(program.channel_id, messages.offer_post(result, actor))
        if result.all_filled_now:
            text, blocks = messages.all_filled_post(result.seats, result.status, program.name,
                                                    result.reminders_cancelled)
            room.gateway.post(program.channel_id, text, blocks)
    except SlackApiError as error:
        log.warning("posting an offer outcome failed: %s", error.response.get("error"))
    refresh_card(room, program, result.candidate_id)


def _read(parse: Callable[[_Words], _Read], words: _Words) -> _Read:
    """What was typed, read by a domain parser; its refusal quotes the words, so it is escaped here."""
    try:
        return parse(words)
    except WordsError as error:
        raise BadInput(escape(str(error))) from None


def positions_command(cmd: SoapCommand) -> None:
    room, words = cmd.room, cmd.args.words
    if words and words[0].lower() == "set":
        cmd.actor.require(Access.DIRECTOR, "set the number of positions")
        pairs = dict(cmd.args.pairs)
        for word in words[1:]:  # a quoted name with a space: "primary care"=1
            key, sep, value = word.rpartition("=")
            if not sep or not key:
                raise BadInput("Write each code as `code=count` or `label=count`, like `/soap positions set "
                               "categorical=3 preliminary=1` (a name with a space goes in quotes: "
                               "`\"primary care\"=1`).")
            pairs[key] = value
        change = positions.set_positions(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                      pairs=pairs)
        if change.changed:
            room.gateway.post(cmd.program.channel_id, messages.positions_change_post(change, cmd.actor.user_id))
        text, blocks = messages.positions_blocks(change.status, cmd.program.name)
        cmd.reply(("Saved. " if change.changed else "Nothing changed. ") + text, blocks)
        return
    if words or cmd.args.pairs:
        raise BadInput("Use `/soap positions` to see them, or `/soap positions set categorical=3 preliminary=1`.")
    text, blocks = messages.positions_blocks(positions.positions_status(room.database, cmd.program.id),
                                             cmd.program.name)
    cmd.reply(text, blocks)


def offer_command(cmd: SoapCommand) -> None:
    room = cmd.room
    request = _read(parse_offer_words, cmd.args.words)
    if request.status is None:
        cmd.actor.require(Access.DIRECTOR, "clear an offer record")
        cleared = offers.clear_offer(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                     candidate_key=request.candidate_key, round_number=request.round_number,
                                     code=request.code, now=room.clock(),
                                     committee=room.people(cmd.program.channel_id))
        cmd.reply(messages.cleared_answer(cleared))
        try:
            room.gateway.post(cmd.program.channel_id, messages.cleared_post(cleared, cmd.actor.user_id))
        except SlackApiError as error:
            log.warning("posting a cleared offer failed: %s", error.response.get("error"))
        return
    result = offers.record_offer(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                 candidate_key=request.candidate_key, round_number=request.round_number,
                                 status=request.status, code=request.code, now=room.clock())
    cmd.reply(messages.offer_answer(result))
    announce(room, cmd.program, cmd.actor.user_id, result)


def status_command(cmd: SoapCommand) -> None:
    room = cmd.room
    request = _read(parse_status_words, cmd.args.words)
    result = offers.set_availability(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                     candidate_key=request.candidate_key, availability=request.availability,
                                     now=room.clock(), in_round=request.in_round, kind=request.kind)
    cmd.reply(messages.availability_answer(result))
    if result.changed:
        try:
            room.gateway.post(cmd.program.channel_id, messages.availability_post(result, cmd.actor.user_id))
        except SlackApiError as error:
            log.warning("posting an availability change failed: %s", error.response.get("error"))
        refresh_card(room, cmd.program, result.candidate_id)


def next_command(cmd: SoapCommand) -> None:
    room, words = cmd.room, cmd.args.words
    if len(words) > 1 or (words and not (words[0].isascii() and words[0].isdigit() and len(words[0]) <= 2)):
        raise BadInput("Use `/soap next` (the next round) or `/soap next 2`.")
    projected = projection.next_round(room.database, cmd.program.id, room.clock(), int(words[0]) if words else None,
                                      committee=room.people(cmd.program.channel_id))
    text, blocks = messages.next_blocks(projected, cmd.program.name, cmd.program.timezone)
    cmd.reply(text, blocks)


def on_outcome(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.WRITE, "record offers")
    request = button(OutcomeButton, body).request
    assert request.status is not None  # a button always carries an outcome
    result = offers.record_offer(room.database, program_id=program.id, actor=actor.user_id,
                                 candidate_key=request.candidate_key, round_number=request.round_number,
                                 status=request.status, code=request.code, now=room.clock())
    if body.get("response_url"):
        respond(text=messages.offer_answer(result), response_type="ephemeral", replace_original=False)
    announce(room, program, actor.user_id, result)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("positions", access=Access.READ,
                      usage="positions | positions set categorical=3 preliminary=1",
                      summary="Code, label, positions, filled and open per program code; directors set the counts "
                              "(by label or code).")(positions_command)
    router.subcommand("offer", access=Access.WRITE,
                      usage="offer 12345678 1 offered|accepted|rejected|expired [code] | offer 12345678 1 clear",
                      summary="Records an offer's outcome in a round (an acceptance fills a position); directors "
                              "clear a mistaken record.", what="record offers")(offer_command)
    router.subcommand("status", access=Access.WRITE,
                      usage="status 12345678 accepted-elsewhere|withdrawn [round <N>] | status 12345678 available",
                      summary="An applicant who accepted elsewhere or withdrew in round N is out from round N+1's "
                              "offers on (a preliminary or advanced position accepted elsewhere can be named).",
                      what="record an applicant's status")(status_command)
    router.subcommand("next", access=Access.READ, usage="next [round]",
                      summary="Who R3 would offer to next, per program code, from the lists and the outcomes so far."
                      )(next_command)
    app.action(OFFER_OUTCOMES)(guard(on_outcome))
