"""Binding a channel as a program's war room, roles, and resolving who is asking."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor, CommitteeDirectory, ProgramRef
from bot.domain.dashboard import PurgedRoom
from bot.domain.roles import Role
from bot.domain.wording import comparable_name
from bot.errors import BadInput, Conflict, NotADirector, WarRoomError
from bot.messages.mrkdwn import escape, mention
from bot.services import audit
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import AuditEvent, CommitteeRole, Program, utcnow

log = logging.getLogger(__name__)

MAX_PROGRAM_NAME = 120


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack says about a channel (from conversations.info)."""

    channel_id: str
    is_private: bool
    is_im: bool = False
    is_mpim: bool = False
    # Shared with another organisation (Slack Connect), or on its way to be: their people would be committee.
    shared_externally: bool = False

    @classmethod
    def from_info(cls, channel_id: str, info: dict[str, Any]) -> ChannelFacts:
        """From conversations.info's `channel`."""
        return cls(channel_id, is_private=bool(info.get("is_private") or info.get("is_group")),
                   is_im=bool(info.get("is_im")), is_mpim=bool(info.get("is_mpim")),
                   shared_externally=bool(info.get("is_ext_shared") or info.get("is_pending_ext_shared")
                                          or (info.get("is_shared") and not info.get("is_org_shared"))))

    def exposure(self) -> str | None:
        """Why this channel cannot be (or stay) a war room; None when it can."""
        if self.shared_externally:
            return ("it is shared with another organisation (Slack Connect): their people would become part of "
                    "the committee, with access to applicants' confidential data")
        if not self.is_private:
            return ("it is public: anyone in the workspace can join it and would become part of the committee, "
                    "with access to applicants' confidential data")
        return None


class ChannelExposed(WarRoomError):
    """The war room's channel was made public or shared with another organisation after setup."""

    def __init__(self, reason: str) -> None:
        super().__init__(f":lock: This war room is closed: {reason}. Nothing was read or changed. A director can "
                         "make the channel private and unshared again (or run `/soap setup` in a new private "
                         "channel) to open it.")


def program_ref(program: Program) -> ProgramRef:
    return ProgramRef(id=program.id, name=program.name, channel_id=program.channel_id,
                      team_id=program.team_id, timezone=program.timezone)


def program_by_channel(session: Session, channel_id: str | None) -> Program | None:
    if not channel_id:
        return None
    return session.scalar(select(Program).where(Program.channel_id == channel_id))


def find_program(session: Session, key: str) -> Program:
    """A program by war-room channel id or by name (case-insensitive), for the CLI."""
    program = program_by_channel(session, key)
    if program is None:  # by name, typed with a hyphen for the name's en dash, any spacing or case
        wanted = comparable_name(key)
        program = next((p for p in session.scalars(select(Program).order_by(Program.id))
                        if comparable_name(p.name) == wanted), None)
    if program is None:
        names = ", ".join(session.scalars(select(Program.name).order_by(Program.name)))
        if not names:
            raise BadInput(f"No program {key!r}: none is set up yet. A director runs `/soap setup <program name>` "
                           "in the committee's private Slack channel first.")
        raise BadInput(f"No program {key!r}. Programs: {names}.")
    return program


def role_of(session: Session, program_id: int, user_id: str) -> Role | None:
    stored = session.scalar(select(CommitteeRole.role).where(
        CommitteeRole.program_id == program_id, CommitteeRole.user_id == user_id))
    return Role(stored) if stored else None


def committee_roles(database: Database, program_id: int, members: Iterable[str | None]) -> list[tuple[str, Role]]:
    """Each channel member with their role, directors first, then members, then observers."""
    with database.reading() as session:
        recorded = {row.user_id: row.role for row in session.execute(
            select(CommitteeRole.user_id, CommitteeRole.role).where(CommitteeRole.program_id == program_id))}
    order = {Role.DIRECTOR: 0, Role.MEMBER: 1, Role.OBSERVER: 2}
    roles = [(user, Role(recorded.get(user, Role.MEMBER.value))) for user in members if user]
    return sorted(roles, key=lambda pair: (order.get(pair[1], 3), pair[0]))


def directors(session: Session, program_id: int) -> list[str]:
    return list(session.scalars(select(CommitteeRole.user_id).where(
        CommitteeRole.program_id == program_id, CommitteeRole.role == Role.DIRECTOR.value
    ).order_by(CommitteeRole.granted_at)))


def resolve_actor(database: Database, directory: CommitteeDirectory, *, user_id: str, team_id: str | None,
                  channel_id: str | None, program_id: int | None = None) -> Actor:
    """Who is asking, and in which war room. Outsiders get Role.OUTSIDER."""
    with database.reading() as session:
        if program_id is not None:
            program = session.get(Program, program_id)
        else:
            program = program_by_channel(session, channel_id)
        if program is None:
            return Actor(user_id, team_id, channel_id, None, Role.OUTSIDER)
        if team_id and program.team_id != team_id:
            return Actor(user_id, team_id, channel_id, None, Role.OUTSIDER)
        ref = program_ref(program)
        recorded = role_of(session, program.id, user_id)
    members = directory.members(ref.channel_id)
    exposed = directory.exposure(ref.channel_id)
    if exposed:
        raise ChannelExposed(exposed)
    if user_id not in members:
        return Actor(user_id, team_id, channel_id, ref, Role.OUTSIDER)
    return Actor(user_id, team_id, channel_id, ref, recorded or Role.MEMBER)


def programs_of_member(database: Database, directory: CommitteeDirectory, *, team_id: str | None,
                       user_id: str) -> list[Actor]:
    """Every war room of the workspace the user sits in (for App Home)."""
    with database.reading() as session:
        query = select(Program).where(Program.purged_at.is_(None))
        if team_id:
            query = query.where(Program.team_id == team_id)
        programs = [program_ref(p) for p in session.scalars(query.order_by(Program.id))]
    actors = []
    for program in programs:
        try:
            actors.append(resolve_actor(database, directory, user_id=user_id, team_id=team_id,
                                        channel_id=program.channel_id, program_id=program.id))
        except ChannelExposed:
            continue  # a war room made public or shared shows nothing, not even on App Home
    return actors


def purged_room_of(database: Database, directory: CommitteeDirectory, *, team_id: str | None,
                   user_id: str) -> PurgedRoom | None:
    """The most recently purged war room of the workspace whose channel the user sits in, or None."""
    with database.reading() as session:
        query = select(Program).where(Program.purged_at.is_not(None))
        if team_id:
            query = query.where(Program.team_id == team_id)
        purged = [(p.channel_id, PurgedRoom(p.name, p.purged_at, p.timezone))  # type: ignore[arg-type]
                  for p in session.scalars(query.order_by(Program.purged_at.desc()))]
    return next((room for channel, room in purged if user_id in directory.members(channel)), None)


SetupHook = Callable[[Session, Program], None]


def setup_war_room(database: Database, *, name: str, team_id: str, channel: ChannelFacts, user_id: str,
                   timezone: str, members: frozenset[str], seed: Sequence[SetupHook],
                   now: datetime | None = None) -> tuple[ProgramRef, bool]:
    """Bind `channel` as the war room of program `name`; the caller becomes its director. A new
    program gets its per-program data from each of `seed` (`bot.bootstrap.SETUP_HOOKS`: the default
    calendar…).

    Returns (program, created). Running setup again in the same channel renames the
    program, but only for one of its directors.
    """
    name = " ".join(name.split())
    if not name:
        raise BadInput("Give the program's name: `/soap setup Internal Medicine – Riverside`.")
    if len(name) > MAX_PROGRAM_NAME:
        raise BadInput(f"The program name is {len(name)} characters; keep it under {MAX_PROGRAM_NAME}.")
    try:
        ZoneInfo(timezone)  # stored once: every date and time the war room shows is read in this zone
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"`{escape(timezone)}` is not a time zone; set SOAP_TIMEZONE (America/Chicago…).") from None
    if channel.is_im or channel.is_mpim:
        raise BadInput("A war room must be a private channel, not a direct message. Create a private "
                       "channel for the committee, invite the bot, and run setup there.")
    if channel.shared_externally:
        raise BadInput(
            "This channel is shared with another organisation (Slack Connect): their people would become part "
            "of the committee, with access to applicants' confidential data. Run `/soap setup` in a private "
            "channel of your own workspace that only the selection committee belongs to.")
    if not channel.is_private:
        raise BadInput(
            "This channel is public: anyone in the workspace can join it and would become part of the "
            "committee, with access to applicants' confidential data. Run `/soap setup` in a private "
            "channel that only the selection committee belongs to.")
    if user_id not in members:
        raise NotADirector("set up a war room in a channel you are not a member of")
    with database.transaction() as session:
        program = program_by_channel(session, channel.channel_id)
        if program is not None:
            if role_of(session, program.id, user_id) is not Role.DIRECTOR:
                raise Conflict(f"This channel is already the war room of {escape(program.name)}; "
                               "only one of its directors can rename it.")
            before = {"name": program.name}
            program.name = name
            audit.record(session, program_id=program.id, actor=user_id, action="program.rename",
                         target=f"program:{program.id}", before=before, after={"name": name})
            return program_ref(program), False
        program = Program(name=name, team_id=team_id, channel_id=channel.channel_id, timezone=timezone,
                          created_by=user_id, created_at=now or utcnow())
        session.add(program)
        session.flush()
        session.add(CommitteeRole(program_id=program.id, user_id=user_id, role=Role.DIRECTOR.value,
                                  granted_by=user_id))
        audit.record(session, program_id=program.id, actor=user_id, action="program.setup",
                     target=f"program:{program.id}", after={"name": name, "channel": channel.channel_id})
        audit.record(session, program_id=program.id, actor=user_id, action="role.grant",
                     target=f"user:{user_id}", after={"role": Role.DIRECTOR.value})
        for hook in seed:
            hook(session, program)
        return program_ref(program), True


def set_role(database: Database, *, program: ProgramRef, actor: str, user_id: str, role: Role,
             members: frozenset[str]) -> tuple[Role, Role]:
    """Give `user_id` a role (director, observer, member). Returns (before, after)."""
    if role is Role.OUTSIDER:
        raise BadInput("Roles are director, member and observer.")
    if role is not Role.MEMBER and user_id not in members:
        raise BadInput(f"<@{user_id}> is not a member of this channel; invite them first.")
    with database.transaction() as session:
        before = role_of(session, program.id, user_id) or Role.MEMBER
        if before is role:
            return before, role
        if before is Role.DIRECTOR and len(directors(session, program.id)) == 1:
            raise Conflict("A war room needs at least one director: add another director first.")
        row = session.get(CommitteeRole, (program.id, user_id))
        if role is Role.MEMBER:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(CommitteeRole(program_id=program.id, user_id=user_id, role=role, granted_by=actor))
        else:
            row.role, row.granted_by = role, actor
        audit.record(session, program_id=program.id, actor=actor, action="role.set", target=f"user:{user_id}",
                     before={"role": before.value}, after={"role": role.value})
        return before, role


def war_room_members(room: WarRoom, channel_id: str) -> set[str]:
    """The committee of a war room: its channel's members, as long as the channel is still private and not
    shared with another organisation. A channel made public or shared later has no committee (every
    request is refused with the reason) and its directors are told once."""
    info = room.gateway.call("conversations.info", channel=channel_id).get("channel") or {}
    reason = ChannelFacts.from_info(channel_id, info).exposure()
    room.directory.set_exposure(channel_id, reason)
    _mark_exposure(room, channel_id, reason)
    return room.gateway.channel_members(channel_id) if reason is None else set()


def _mark_exposure(room: WarRoom, channel_id: str, reason: str | None) -> None:
    """Record when a war room becomes exposed (and private again), and tell its directors once per exposure:
    one message in the channel, naming no applicant. The audit trail is the mark that it was said."""
    with room.database.transaction() as session:
        program = program_by_channel(session, channel_id)
        if program is None:
            return
        last = session.scalar(select(AuditEvent.action).where(
            AuditEvent.program_id == program.id, AuditEvent.action.in_(("program.exposed", "program.closed_again")))
            .order_by(AuditEvent.id.desc()).limit(1))
        exposed_before = last == "program.exposed"
        if (reason is not None) == exposed_before and (program.closed_at is not None) == exposed_before:
            return
        # Stored for every process: the gateway posts nothing more into a closed war room.
        program.closed_at = (program.closed_at or utcnow()) if reason else None
        program.closed_reason = reason[:200] if reason else None
        if (reason is not None) == exposed_before:
            return
        audit.record(session, program_id=program.id, actor="bot",
                     action="program.exposed" if reason else "program.closed_again", target=f"program:{program.id}",
                     after={"reason": reason[:120]} if reason else None)
        people = directors(session, program.id)
    if reason is None:
        log.info("war room of program %d is private again", program.id)
        return
    log.warning("war room of program %d exposed; every request is refused", program.id)
    try:
        room.gateway.post(channel_id, f"{' '.join(mention(u) for u in people)} :lock: The bot has closed this war "
                                      f"room because {reason}. It answers nothing here until the channel is "
                                      "private and unshared again; the applicants' data stays where it was.",
                          notice=True)
    except SlackApiError as error:
        log.warning("could not tell the directors that the war room is exposed: %s", error.response.get("error"))
