"""`/soap report` (directors) and the purge confirmation's *Post the report*: the chair's report posted
in the war room, Markdown and the accepted applicants' CSV (what it holds: `bot.domain.chair_report`)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.access import Access, ProgramRef
from bot.messages.chair_report import report_post
from bot.messages.ids import ActionId
from bot.services import chair_report
from bot.war_room import WarRoom
from handlers.errors import guard
from handlers.gate import require
from handlers.router import SoapCommand, SoapRouter

log = logging.getLogger(__name__)


def post_report(room: WarRoom, program: ProgramRef) -> bool:
    """Post the report's announcement and upload its two files in the war room. False when Slack did
    not take the files (the announcement says how to get the report instead)."""
    now = room.clock()
    report, markdown, accepted = chair_report.report_files(room.database, program.id, now)
    md_name, csv_name = chair_report.report_filenames(program.name, program.timezone, now)
    try:
        room.gateway.upload(program.channel_id, content=markdown, filename=md_name, title="Chair's report",
                            initial_comment="The chair's report (Markdown).")
        room.gateway.upload(program.channel_id, content=accepted, filename=csv_name,
                            title=f"Accepted applicants ({len(report.accepted)})",
                            initial_comment="The accepted applicants, for onboarding: AAMC ID, name, program code, "
                                            "round.")
    except SlackApiError as error:
        log.warning("uploading the chair's report failed: %s", error.response.get("error"))
        room.gateway.post(program.channel_id, report_post(report, uploaded=False))
        return False
    room.gateway.post(program.channel_id, report_post(report, uploaded=True))
    return True


def report_command(cmd: SoapCommand) -> None:
    if post_report(cmd.room, cmd.program):
        cmd.reply("The chair's report is in the war room: download both files before the purge.")
    else:
        cmd.reply("Slack did not take the report's files; `soapbot report --program … --out report.md` writes it.")


def on_report_button(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    """*Post the report* in the purge's confirmation: the report first, the purge still waiting."""
    ack()
    actor, program = require(room, body, Access.DIRECTOR, "post the chair's report")
    posted = post_report(room, program)
    room.gateway.post_ephemeral(program.channel_id, actor.user_id,
                                "The chair's report is in the war room: download both files, then purge."
                                if posted else "Slack did not take the report's files; `soapbot report --program "
                                               "… --out report.md` writes it. Keep it before you purge.")


def register(app: App, router: SoapRouter) -> None:
    app.action(ActionId.REPORT_POST.value)(guard(on_report_button))
    router.subcommand("report", access=Access.DIRECTOR, usage="report", what="post the chair's report",
                      summary="The chair's report in the war room: positions per code, each round's list and "
                              "offers, the committee's work, missed deadlines; the accepted applicants as CSV "
                              "(directors).")(report_command)
