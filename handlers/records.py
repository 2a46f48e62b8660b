"""`/soap audit [id]` and `/soap purge` (directors), with the purge confirmation modal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App

from bot.access import Access
from bot.errors import WarRoomError
from bot.messages.ids import CallbackId
from bot.messages.mrkdwn import escape
from bot.messages.records import CONFIRM_ACTION, CONFIRM_BLOCK, audit_blocks, purge_modal, purge_report
from bot.services import records
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import require, view_metadata
from handlers.router import SoapCommand, SoapRouter


def show_audit(cmd: SoapCommand) -> None:
    if cmd.args.words:
        what, events = records.applicant_audit_trail(cmd.room.database, cmd.program.id, " ".join(cmd.args.words))
    else:
        what, events = cmd.program.name, records.audit_trail(cmd.room.database, cmd.program.id, None)
    blocks = audit_blocks(events, ZoneInfo(cmd.program.timezone), what)
    cmd.reply(f"Audit trail for {escape(what)}: {len(events)} events", blocks)


def open_purge(cmd: SoapCommand) -> None:
    counts = records.purge_counts(cmd.room.database, cmd.program.id)
    what_goes = counts.describe()
    left = records.pending_bot_posts(cmd.room.database, cmd.program.channel_id)
    if left:
        what_goes.append(f"messages and files the bot posted in this war room: {left} (deleted from Slack)")
    view = purge_modal(cmd.program.name, what_goes, view_metadata(cmd.program.id))
    # A trigger id lasts 3 seconds: retrying longer would only open nothing.
    cmd.room.gateway.call("views.open", give_up_at=cmd.room.clock() + timedelta(seconds=2),
                          trigger_id=cmd.trigger_id, view=view)


def submit_purge(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    actor, program = require(room, body, Access.DIRECTOR, "purge applicant data")
    typed = (body["view"]["state"]["values"].get(CONFIRM_BLOCK, {}).get(CONFIRM_ACTION, {}).get("value") or "")
    try:
        records.confirm_purge(program, typed)
    except WarRoomError as error:
        ack(response_action="errors", errors={CONFIRM_BLOCK: str(error)})
        return
    ack()
    counts, slack = records.purge_everywhere(room, program_id=program.id, actor=actor.user_id)
    # Told to the director only: a post in the war room would be one more bot message left behind.
    report = purge_report(program.name, counts.summary(), slack.describe())
    room.gateway.post_ephemeral(program.channel_id, actor.user_id, report)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("audit", access=Access.DIRECTOR, usage="audit [AAMC ID | name]", what="read the audit trail",
                      summary="Who changed what and when, for the program or one applicant (directors).")(show_audit)
    router.subcommand("purge", access=Access.DIRECTOR, usage="purge", what="purge applicant data",
                      summary="After SOAP: delete every applicant's data, keeping anonymous counts "
                              "(directors).")(open_purge)
    app.view(CallbackId.PURGE_MODAL.value)(guard(submit_purge))
