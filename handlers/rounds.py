"""`/soap schedule` (everyone in the committee) and `/soap schedule set …` (directors).

Importing `bot.services.schedule` registers its SETUP_HOOK: a new war room gets the default
calendar and reminder leads.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.access import Access
from bot.errors import BadInput, NotADirector
from bot.messages.mrkdwn import mention
from bot.messages.schedule import schedule_blocks, schedule_change_text
from bot.services import reminders, schedule
from handlers.router import SoapCommand, SoapRouter


def schedule_command(cmd: SoapCommand) -> None:
    room = cmd.room
    tz = ZoneInfo(cmd.program.timezone)
    if cmd.args.words[:1] and cmd.args.words[0].lower() == "set":
        if not cmd.actor.is_director:
            raise NotADirector("change the SOAP calendar")
        update = schedule.change_schedule(room.database, program=cmd.program, actor=cmd.actor.user_id,
                                          pairs=cmd.args.pairs, now=room.clock())
        text = schedule_change_text(actor_mention=mention(cmd.actor.user_id), round_number=update.round,
                                    before=update.before, after=update.after,
                                    leads_before=update.leads_before, leads_after=update.leads_after, tz=tz,
                                    reminders=update.reminders)
        if update.changed:
            room.gateway.post(cmd.program.channel_id, text)
            if update.reminders.sent_now:
                reminders.send_due_now(room, cmd.program.id)
            cmd.reply("Done. The war room was told; `/soap schedule` shows the calendar.")
        else:
            cmd.reply(text)
        return
    if cmd.args.words or cmd.args.pairs:
        raise BadInput('Use `/soap schedule` to see the calendar, or (directors) '
                       '`/soap schedule set round=2 deadline="2027-03-18 11:55"` / '
                       '`/soap schedule set leads=60,15`.')
    now = room.clock()
    cal = schedule.calendar(room.database, cmd.program, now)
    text, blocks = schedule_blocks(program_name=cmd.program.name, match_year=cal.match_year,
                                   events=cal.events, leads=cal.leads, tz=tz, now=now, lists=cal.lists,
                                   clock=cal.clock)
    cmd.reply(text, blocks)


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("schedule", access=Access.READ,
                      usage='schedule  ·  schedule set round=2 deadline="2027-03-18 11:55"',
                      summary="The SOAP calendar with countdowns; directors change times and reminder leads "
                              "(`schedule set leads=60,15`).",
                      what="change the SOAP calendar")(schedule_command)
