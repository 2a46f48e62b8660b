"""Positions, offer outcomes and the next round.

`/soap positions`, `/soap positions set categorical=4 preliminary=2` (directors),
`/soap offer <id> <round> offered|accepted|rejected|expired [track]`, the outcome buttons on the
candidate card (`offer.outcome.<status>`, value `AAMC ID|round|status|track`), `/soap next [round]`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.access import Access, ProgramRef
from bot.errors import BadInput
from bot.messages import offers as messages
from bot.services import offers
from bot.services.candidate_cards import refresh_card
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)

OUTCOME_ACTION = re.compile(r"^offer\.outcome(\.[a-z]+)?$")


def register(app: App, room: WarRoom, router: SoapRouter) -> None:
    def announce(program: ProgramRef, actor: str, result: offers.OfferResult) -> None:
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

    @router.subcommand("positions", access=Access.READ, usage="positions | positions set categorical=4 preliminary=2",
                       summary="Filled and open positions per track; directors set the counts.")
    def positions_command(cmd: SoapCommand) -> None:
        words = cmd.args.words
        if words and words[0].lower() == "set":
            cmd.actor.require(Access.DIRECTOR, "set the number of positions")
            pairs = dict(cmd.args.pairs)
            for word in words[1:]:  # a quoted name with a space: "primary care"=1
                key, sep, value = word.rpartition("=")
                if not sep or not key:
                    raise BadInput("Write each track as `track=count`, like `/soap positions set categorical=4 "
                                   "preliminary=2` (a name with a space goes in quotes: `\"primary care\"=1`).")
                pairs[key] = value
            change = offers.set_positions(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                          pairs=pairs)
            if change.changed:
                room.gateway.post(cmd.program.channel_id, messages.positions_change_post(change, cmd.actor.user_id))
            text, blocks = messages.positions_blocks(change.status, cmd.program.name)
            cmd.reply(("Saved. " if change.changed else "Nothing changed. ") + text, blocks)
            return
        if words or cmd.args.pairs:
            raise BadInput("Use `/soap positions` to see them, or `/soap positions set categorical=4 preliminary=2`.")
        text, blocks = messages.positions_blocks(offers.positions_status(room.database, cmd.program.id),
                                                 cmd.program.name)
        cmd.reply(text, blocks)

    @router.subcommand("offer", access=Access.WRITE,
                       usage="offer 12345678 1 offered|accepted|rejected|expired [track]",
                       summary="Records an offer's outcome in a round; an acceptance fills a position.",
                       what="record offers")
    def offer_command(cmd: SoapCommand) -> None:
        request = offers.parse_offer_words(cmd.args.words)
        result = offers.record_offer(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                     candidate_key=request.candidate_key, round_number=request.round_number,
                                     status=request.status, track=request.track, now=room.clock())
        cmd.reply(messages.offer_answer(result))
        announce(cmd.program, cmd.actor.user_id, result)

    @router.subcommand("next", access=Access.READ, usage="next [round]",
                       summary="Who the next round would offer to, per track, from the list and the outcomes so far.")
    def next_command(cmd: SoapCommand) -> None:
        words = cmd.args.words
        if len(words) > 1 or (words and not (words[0].isascii() and words[0].isdigit() and len(words[0]) <= 2)):
            raise BadInput("Use `/soap next` (the next round) or `/soap next 2`.")
        projection = offers.next_round(room.database, cmd.program.id, room.clock(),
                                       int(words[0]) if words else None, committee=room.people(cmd.program.channel_id))
        text, blocks = messages.next_blocks(projection, cmd.program.name, cmd.program.timezone)
        cmd.reply(text, blocks)

    def on_outcome(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        actor, program = require(room, body, Access.WRITE, "record offers")
        value = str(((body.get("actions") or [{}])[0]).get("value") or "")
        request = offers.parse_outcome_value(value)
        result = offers.record_offer(room.database, program_id=program.id, actor=actor.user_id,
                                     candidate_key=request.candidate_key, round_number=request.round_number,
                                     status=request.status, track=request.track, now=room.clock())
        if body.get("response_url"):
            respond(text=messages.offer_answer(result), response_type="ephemeral", replace_original=False)
        announce(program, actor.user_id, result)

    app.action(OUTCOME_ACTION)(guard(room)(on_outcome))
