"""`/soap policy [set key=value …]` and `/soap triage [<id> <bucket> <reason> | <id> clear]`.

Reading the policy and the triage counts is open to the whole committee; changing the policy and
overriding a bucket are for directors. A policy change is announced in the war room (who, what
changed in the policy's own words, who moved between buckets and which of them are on a preference
list) and answered ephemerally with the same words.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.access import Access
from bot.domain.triage import Bucket
from bot.domain.when import program_today
from bot.errors import BadInput
from bot.messages.candidate_lists import (
    policy_change_text,
    policy_text,
    triage_blocks,
    triage_text,
)
from bot.messages.ids import PAGER, BlockId, SearchPageButton
from bot.messages.mrkdwn import escape
from bot.services import candidate_lookup, overrides, triage
from bot.services.candidate_cards import refresh_card
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import button, require
from handlers.router import SoapCommand, SoapRouter

CLEAR_WORDS = frozenset({"clear", "reset", "none", "auto"})
OVERRIDE_USAGE = ("`/soap triage <AAMC ID> internal|interviewed|strong|backup|dnr <reason>` "
                  "or `/soap triage <AAMC ID> clear`")


def _split(raw: str) -> list[str]:
    """Words of free text (a reason may hold an apostrophe), quotes around a name kept together."""
    return [w.strip('"') for w in re.findall(r'"[^"]*"|\S+', raw)]


def _names_a_bucket(word: str) -> bool:
    if word.lower() in CLEAR_WORDS:
        return True
    try:
        Bucket.parse(word)
    except ValueError:
        return False
    return True


def policy(cmd: SoapCommand) -> None:
    words = [w.lower() for w in cmd.args.words]
    if not words and not cmd.args.pairs:
        current = triage.program_policy(cmd.room.database, cmd.program.id)
        cmd.reply(policy_text(current, cmd.program.name))
        return
    if words[:1] != ["set"] or len(words) > 1:
        raise BadInput("Use `/soap policy` to see the policy, or `/soap policy set key=value …`, e.g. "
                       "`/soap policy set visas=J-1 home_states=OH,PA`.")
    program = cmd.actor.require(Access.DIRECTOR, "change the triage policy")
    change = triage.set_policy(cmd.room.database, program=program, actor=cmd.actor.user_id,
                               pairs=cmd.args.pairs, today=program_today(cmd.room.clock(), program.timezone))
    if not change.changed_keys:
        cmd.reply("The policy already says that; nothing changed.\n" + policy_text(change.after, program.name))
        return
    report = policy_change_text(cmd.actor.user_id, change.before, change.after, change.moves, change.cards_to_redraw)
    cmd.room.gateway.post(program.channel_id, report)
    cmd.reply("Done: the change and who it moved are posted in the war room.")


def triage_command(cmd: SoapCommand) -> None:
    words = _split(cmd.args.raw)
    page = 1
    if words and re.fullmatch(r"page[=:][0-9]{1,4}", words[0].lower()):
        page = int(words[0][5:])
        words = words[1:]
    if not words:
        summary = triage.summary(cmd.room.database, cmd.program.id, page=page)
        cmd.reply(triage_text(summary), triage_blocks(summary))
        return
    program = cmd.actor.require(Access.DIRECTOR, "override triage")
    key, count = candidate_lookup.leading_applicant(cmd.room.database, program.id, words,
                                                    rest_fits=lambda rest: bool(rest) and _names_a_bucket(rest[0]))
    words = [key, *words[count:]]
    if len(words) < 2:
        raise BadInput(f"Use {OVERRIDE_USAGE}.")
    bucket = words[1]
    clearing = bucket.lower() in CLEAR_WORDS
    reason = " ".join(words[2:]) if not clearing else None
    result = overrides.set_override(cmd.room.database, program=program, actor=cmd.actor.user_id, candidate_key=key,
                                 bucket_text=None if clearing else bucket, reason=reason, now=cmd.room.clock())
    refresh_card(cmd.room, program, result.candidate_id)
    who = f"{escape(result.name)} ({escape(result.aamc_id)})"
    if clearing:
        cmd.reply(f"Override cleared: {who} is back in *{escape(result.after or 'none')}* (computed).")
    else:
        cmd.reply(f"{who} is now *{escape(result.after or '')}* (was {escape(result.before or 'none')}; "
                  f"computed: {escape(result.computed or 'none')}). Reason recorded: "
                  f"“{escape(result.reason or '')}”. It stays until a director clears it.")


def triage_page(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    _, program = require(room, body, Access.READ)
    page = button(SearchPageButton, body).page
    summary = triage.summary(room.database, program.id, page=page)
    respond(text=triage_text(summary), blocks=triage_blocks(summary), response_type="ephemeral",
            replace_original=True)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("policy", access=Access.READ, usage="policy | policy set visas=J-1 max_failures=1",
                      summary="Shows the triage policy; directors change it and every bucket is recomputed.")(policy)
    router.subcommand("triage", access=Access.READ, usage="triage | triage 12345678 interviewed <reason>",
                      summary="Counts per bucket; directors override a bucket with a reason (`clear` undoes).",
                      free_text=True)(triage_command)
    app.action({"block_id": BlockId.TRIAGE_PAGE.value, "action_id": PAGER})(guard(triage_page))

