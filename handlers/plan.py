"""`/soap plan`, `/soap unseen`, the pre-SOAP plan shared in the war room, and the unseen list's buttons.

Import from Slack: a program director shares the plan (.csv/.xlsx) in the war-room channel
with a message containing the word "plan"; the bot replies in that message's thread. This feature is
registered before the candidates feature so that a message saying "import the plan" imports a plan,
never SOAP applicants.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.access import Access
from bot.errors import BadInput, WarRoomError
from bot.messages.ids import ActionId, BlockId
from bot.messages.mrkdwn import escape
from bot.messages.plan import plan_import_text, plan_overview, unseen_list
from bot.services import plan, shared_files, slack_events
from bot.services.candidate_cards import show_card
from bot.services.plan_war_room import import_shared_plan, post_plan_notes
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import action_value, actor_of, require
from handlers.router import SoapCommand, SoapRouter

PLAN_WORD = re.compile(r"\bplan\b", re.IGNORECASE)


def show_plan(cmd: SoapCommand) -> None:
    text, blocks = plan_overview(plan.overview(cmd.room.database, cmd.program.id))
    cmd.reply(text, blocks)


def show_unseen(cmd: SoapCommand) -> None:
    text, blocks = unseen_list(plan.unseen(cmd.room.database, cmd.program.id))
    cmd.reply(text, blocks)


def asks_for_plan(body: dict[str, Any]) -> bool:
    """Only a file shared with the word "plan" is a plan."""
    event = body.get("event")
    return isinstance(event, dict) and bool(PLAN_WORD.search(str(event.get("text") or "")))


def plan_shared(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    event = body.get("event") or {}
    actor = actor_of(room, body)
    if actor.program is None or event.get("channel") != actor.program.channel_id:
        return  # not a war room: not ours to answer
    thread = str(event.get("thread_ts") or event.get("ts") or "") or None
    channel = actor.program.channel_id

    def refuse(error: WarRoomError | str) -> None:
        room.gateway.post_ephemeral(channel, actor.user_id, f":no_entry: {error}", thread_ts=thread)

    try:
        # The plan sets applicants' triage buckets, which only directors may override.
        program = actor.require(Access.DIRECTOR, "import the pre-SOAP plan (it sets applicants' triage)")
        shared = event.get("files") or []
        files = shared_files.export_files(shared)
        if len(files) != 1:
            raise BadInput("Share the pre-SOAP plan as one .csv or .xlsx file with the word `plan`."
                           if not files else "Share one plan at a time: each import replaces the whole plan.")
    except WarRoomError as error:
        refuse(error)
        return
    # Claimed by event id, whatever the headers say: a redelivery whose first delivery never reached a
    # listener imports the plan, and a second delivery of one already taken (retry header or not) does not.
    if not slack_events.claim(room.database, body.get("event_id"), room.clock()):
        return
    try:
        result = import_shared_plan(room, program, files[0], actor=actor.user_id)
    except WarRoomError as error:
        refuse(error)
        return
    room.gateway.post(channel, plan_import_text(result), thread_ts=thread)
    if result.ok:
        post_plan_notes(room, program.id)


def open_unseen_card(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    actor, program = require(room, body, Access.READ)
    aamc = action_value(body)
    if not re.fullmatch(r"[0-9]{8}", aamc):
        raise BadInput("That button is out of date; run `/soap unseen` again.")
    found = show_card(room, program, aamc, actor.user_id, viewer=actor.user_id)
    if isinstance(found, list):  # an AAMC ID matches one applicant; a list means it was purged
        raise BadInput(f"No single applicant {escape(aamc)}; run `/soap unseen` again.")
    text, blocks = unseen_list(plan.unseen(room.database, program.id))
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


def next_unseen_page(room: WarRoom, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
    ack()
    _, program = require(room, body, Access.READ)
    value = action_value(body, "1")
    page = int(value) if value.isdigit() else 1
    text, blocks = unseen_list(plan.unseen(room.database, program.id), page=page)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("plan", access=Access.READ, usage="plan",
                      summary="The pre-SOAP plan's people: applied in SOAP (with their bucket now), not applied, "
                              "and how many applicants the plan does not hold (only you see it).")(show_plan)
    router.subcommand("unseen", access=Access.READ, usage="unseen",
                      summary="Eligible applicants nobody on the committee has opened, voted on, noted or "
                              "interviewed, best triage first, with buttons to open each card.")(show_unseen)
    app.event({"type": "message", "subtype": "file_share"}, matchers=[asks_for_plan])(
        guard(plan_shared))
    app.action({"action_id": ActionId.UNSEEN_OPEN.value})(guard(open_unseen_card))
    app.action({"block_id": BlockId.UNSEEN_PAGE.value, "action_id": ActionId.UNSEEN_PAGE.value})(
        guard(next_unseen_page))
