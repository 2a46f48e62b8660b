"""Votes, own orderings, pins and the preference list.

`/soap vote <id> high|rank|if-needed|dnr`, the four vote buttons on the card, `/soap rank <id> <id> …`,
`/soap votes <id>` (directors), `/soap pin|unpin <id>` (directors), `/soap list [page]`,
`/soap list lock|unlock|csv <round>` (directors).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.access import Access, ProgramRef
from bot.errors import BadInput
from bot.messages import preference_list as messages
from bot.messages.mrkdwn import escape
from bot.services import candidate_cards, preference_list, voting
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)

def register(app: App, room: WarRoom, router: SoapRouter) -> None:
    # --------------------------------------------------------------- buttons on the card
    def button_listener(action_id: str) -> Any:
        vote = voting.VOTE_BY_ACTION[action_id]

        def on_vote(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
            ack()
            actor, program = require(room, body, Access.WRITE, "vote")
            value = str(((body.get("actions") or [{}])[0]).get("value") or "")
            result = voting.cast_vote(room.database, program_id=program.id, actor=actor.user_id, aamc_id=value,
                                      vote=vote, now=room.clock())
            respond(text=messages.vote_answer(result), response_type="ephemeral", replace_original=False)
            if result.changed:
                candidate_cards.refresh_card(room, program, result.candidate_id)

        on_vote.__name__ = f"on_{action_id.replace('.', '_')}"
        return on_vote

    for _, action, _, _ in voting.VOTE_BUTTONS:
        app.action(action.value)(guard(room)(button_listener(action.value)))

    # --------------------------------------------------------------- text commands
    @router.subcommand("vote", access=Access.WRITE, usage="vote 12345678|Alvarez high|rank|if-needed|dnr",
                       summary="Your vote on a candidate (changeable): rank high, rank, only if needed, do not rank.",
                       what="vote")
    def vote_command(cmd: SoapCommand) -> None:
        key, vote = voting.split_vote(cmd.args.words)
        result = voting.cast_vote(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                  aamc_id=key, vote=vote, now=room.clock())
        cmd.reply(messages.vote_answer(result))
        if result.changed:
            candidate_cards.refresh_card(room, cmd.program, result.candidate_id)

    @router.subcommand("votes", access=Access.DIRECTOR, usage="votes 12345678",
                       summary="Who voted what on a candidate (directors only, only you see it).",
                       what="see who voted what")
    def votes_command(cmd: SoapCommand) -> None:
        if not cmd.args.words:
            raise BadInput("Use `/soap votes <AAMC ID or name>`, like `/soap votes 12345678`.")
        detail = voting.candidate_votes(room.database, program_id=cmd.program.id, aamc_id=" ".join(cmd.args.words))
        text, blocks = messages.candidate_votes_blocks(detail)
        cmd.reply(text, blocks)

    @router.subcommand("rank", access=Access.WRITE, usage="rank 12345678 23456789 | rank Alvarez, Chen, Okafor",
                       summary="Your own ordering, best first, by AAMC IDs or names separated by commas (replaces "
                               "your previous one; `rank clear` removes it).",
                       what="rank candidates")
    def rank_command(cmd: SoapCommand) -> None:
        words = cmd.args.words
        if len(words) == 1 and words[0].lower() == "clear":
            count = voting.clear_ranking(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id)
            cmd.reply(messages.ranking_cleared_answer(count))
            return
        result = voting.set_ranking(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                    aamc_ids=voting.parse_rank_keys(words))
        cmd.reply(messages.ranking_answer(result))

    def pin_command(pinned: bool) -> None:
        name = "pin" if pinned else "unpin"

        @router.subcommand(name, access=Access.DIRECTOR, usage=f"{name} 12345678",
                           summary=("Puts a candidate first on the list, whatever the votes (directors only)."
                                    if pinned else "Lets the votes place a pinned candidate again (directors only)."),
                           what=f"{name} candidates")
        def change_pin(cmd: SoapCommand) -> None:
            if not cmd.args.words:
                raise BadInput(f"Use `/soap {name} <AAMC ID or name>`, like `/soap {name} 12345678`.")
            result = voting.set_pin(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                    aamc_id=" ".join(cmd.args.words), pinned=pinned)
            cmd.reply(messages.pin_answer(result, pinned))
            if result.changed:
                room.gateway.post(cmd.program.channel_id, messages.pin_post(result, cmd.actor.user_id, pinned))
                candidate_cards.refresh_card(room, cmd.program, result.candidate_id)

    pin_command(True)
    pin_command(False)

    @router.subcommand("list", access=Access.READ, usage="list [page] | list lock|unlock|csv <round> [reason]",
                       summary="The committee's current order; directors lock a round's list (CSV) or unlock it "
                               "with a reason.", free_text=True)
    def list_command(cmd: SoapCommand) -> None:
        words = cmd.args.words
        action = words[0].lower() if words else ""
        if action in ("lock", "unlock", "csv"):
            cmd.actor.require(Access.DIRECTOR, f"{action} the preference list")
            round_number = preference_list.parse_round(words[1] if len(words) > 1 else None)
            if action == "lock":
                lock(cmd, round_number)
            elif action == "unlock":
                unlock(cmd, round_number)
            else:
                resend_csv(cmd, round_number)
            return
        if len(words) > 1 or (words and not (words[0].isascii() and words[0].isdigit())):
            raise BadInput("Use `/soap list` or `/soap list 2` (a page), `/soap list lock 1`, "
                           "`/soap list unlock 1 <reason>`, `/soap list csv 1`.")
        page = int(words[0]) if words else 1
        current = preference_list.current_list(room.database, cmd.program.id, room.people(cmd.program.channel_id))
        text, blocks = messages.list_page(current, page, cmd.program.timezone)
        cmd.reply(text, blocks)

    def lock(cmd: SoapCommand, round_number: int) -> None:
        locked = preference_list.lock_round(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                            round_number=round_number, now=room.clock(),
                                            committee=room.people(cmd.program.channel_id))
        uploaded = publish(cmd.program, locked)
        cmd.reply(messages.lock_answer(locked, uploaded))

    def unlock(cmd: SoapCommand, round_number: int) -> None:
        unlocked = preference_list.unlock_round(room.database, program_id=cmd.program.id, actor=cmd.actor.user_id,
                                                round_number=round_number, reason=cmd.args.rest(2), now=room.clock())
        text = messages.unlocked_post(unlocked, cmd.program.timezone)
        room.gateway.post(cmd.program.channel_id, text)
        cmd.reply(f"Round {round_number} is unlocked; the war room is told why.")

    def resend_csv(cmd: SoapCommand, round_number: int) -> None:
        locked = preference_list.require_locked(room.database, cmd.program.id, round_number)
        uploaded = upload_csv(cmd.program, locked)
        cmd.reply(f"The CSV of round {round_number} is in the war room." if uploaded
                  else f"Slack did not take the CSV; get it with `soapbot export-list --round {round_number}`.")

    def publish(program: ProgramRef, locked: preference_list.LockedList) -> bool:
        text, blocks = messages.locked_post(locked, program.name, program.timezone)
        try:
            room.gateway.post(program.channel_id, text, blocks)
        except SlackApiError as error:
            log.warning("posting the locked list failed: %s", error.response.get("error"))
            return False
        return upload_csv(program, locked)

    def upload_csv(program: ProgramRef, locked: preference_list.LockedList) -> bool:
        try:
            room.client.files_upload_v2(
                channel=program.channel_id, content=preference_list.snapshot_csv(locked),
                filename=preference_list.csv_filename(program.name, locked.round),
                title=f"Round {locked.round} preference list ({len(locked.entries)} candidates)",
                initial_comment=f"Round {locked.round} preference list of {escape(program.name)} as locked: "
                                "rank, AAMC ID, name, track.")
        except SlackApiError as error:
            log.warning("uploading the list CSV failed: %s", error.response.get("error"))
            return False
        return True
