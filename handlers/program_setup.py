"""`/soap help`, `/soap setup`, `/soap director|observer add|remove`, `/soap committee`."""

from __future__ import annotations

import re

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.access import Access
from bot.bootstrap import SETUP_HOOKS
from bot.domain.roles import Role
from bot.errors import BadInput
from bot.messages.help import help_blocks, help_one_text, help_text
from bot.messages.mrkdwn import escape, mention
from bot.messages.roles import role_change_answer, role_change_post
from bot.services import programs, role_changes
from bot.war_room import WarRoom
from handlers.router import SoapCommand, SoapRouter

USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def parse_user(word: str) -> str:
    """A user as Slack escapes it in command text (`<@U123|name>`), or a bare user id."""
    match = USER_MENTION.match(word.strip())
    if match:
        return match.group(1)
    if re.fullmatch(r"[UW][A-Z0-9]{6,}", word.strip()):
        return word.strip()
    raise BadInput(f"{escape(word)} is not a person: mention them, like `@Dana`.")


def show_help(cmd: SoapCommand) -> None:
    """`/soap help` lists every command; `/soap help vote` explains that one."""
    if cmd.args.words:
        asked = cmd.args.words[0].lower()
        found = cmd.router.help_for(asked)
        if found is None:
            cmd.reply(cmd.router.unknown_answer(asked))
            return
        cmd.reply(help_one_text(*found))
        return
    entries = cmd.router.help_entries()
    cmd.reply(help_text(entries), help_blocks(entries))


def setup(cmd: SoapCommand) -> None:
    room = cmd.room
    channel_id = cmd.body.get("channel_id") or ""
    facts = _channel_facts(room, channel_id)
    room.directory.forget(channel_id)
    members = room.directory.members(channel_id)
    program, created = programs.setup_war_room(
        room.database, seed=SETUP_HOOKS, name=cmd.args.raw, team_id=cmd.body.get("team_id") or "", channel=facts,
        user_id=cmd.actor.user_id, timezone=room.settings.soap_timezone, members=members, now=room.clock())
    if created:
        room.gateway.post(channel_id, f"This channel is now the SOAP war room of {escape(program.name)}. "
                                      f"{mention(cmd.actor.user_id)} is its director. "
                                      "Type `/soap help` to see what the bot can do.")
        cmd.reply(f"Done: this channel is the war room of *{escape(program.name)}* and you are its director.")
    else:
        cmd.reply(f"Renamed the program to *{escape(program.name)}*.")


def change_role(cmd: SoapCommand) -> None:
    """`/soap director|observer add|remove @person`: the subcommand names the role."""
    room, noun = cmd.room, cmd.subcommand
    if len(cmd.args.words) != 2 or cmd.args.words[0].lower() not in ("add", "remove"):
        raise BadInput(f"Use `/soap {noun} add @person` or `/soap {noun} remove @person`.")
    user_id = parse_user(cmd.args.words[1])
    new_role = Role(noun) if cmd.args.words[0].lower() == "add" else Role.MEMBER
    members = room.directory.members(cmd.program.channel_id)
    change = role_changes.change_role(room.database, program=cmd.program, actor=cmd.actor.user_id,
                                      user_id=user_id, role=new_role, members=members,
                                      committee=room.people(cmd.program.channel_id))
    if not change.changed:
        cmd.reply(f"{mention(user_id)} is already {_a(new_role)}.")
    else:
        room.gateway.post(cmd.program.channel_id, role_change_post(cmd.actor.user_id, change))
        cmd.reply(role_change_answer(change))


def committee(cmd: SoapCommand) -> None:
    members = cmd.room.people(cmd.program.channel_id)
    roles = programs.committee_roles(cmd.room.database, cmd.program.id, members)
    lines = [f"{mention(user)}: {role.value}" for user, role in roles]
    cmd.reply(f"*{escape(cmd.program.name)}* committee ({len(lines)}):\n" + "\n".join(lines[:100]))


def register(app: App, router: SoapRouter) -> None:
    router.subcommand("help", access=Access.ANYONE, usage="help",
                      summary="Lists every command with an example.")(show_help)
    router.subcommand("setup", access=Access.ANYONE, usage="setup Internal Medicine – Riverside",
                      summary="Makes this private channel the program's war room; you become its director.")(setup)
    for role in (Role.DIRECTOR, Role.OBSERVER):
        router.subcommand(role.value, access=Access.DIRECTOR, usage=f"{role.value} add|remove @person",
                          summary=f"Adds or removes {_a(role)} (directors only).",
                          what=f"change {role.value}s")(change_role)
    router.subcommand("committee", access=Access.READ, usage="committee",
                      summary="Who is in the committee, with their roles.")(committee)


def _a(role: Role) -> str:
    return {"director": "a director", "observer": "an observer", "member": "a member"}.get(role.value, role.value)


def _channel_facts(room: WarRoom, channel_id: str) -> programs.ChannelFacts:
    if channel_id.startswith("D"):
        return programs.ChannelFacts(channel_id, is_private=True, is_im=True)
    try:
        info = room.gateway.call("conversations.info", channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        if error.response.get("error") in ("channel_not_found", "not_in_channel"):
            raise BadInput("The bot cannot see this channel yet. Invite it first (`/invite @SOAP War Room`), "
                           "then run `/soap setup` again.") from None
        raise
    return programs.ChannelFacts.from_info(channel_id, info)
