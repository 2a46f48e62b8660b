"""What a committee member's App Home shows, assembled from the features' public functions.

`dashboard(database, program=, user_id=, role=, committee=, now=) -> Dashboard`:
- positions per track (`bot.services.positions.positions_status`);
- the next preference-list deadline and the next event of the calendar (`bot.services.schedule`),
  shown by the builder in the program's time zone with a countdown from `now` (the room's clock);
- the member's own missing votes: the candidates of the committee's current list they have neither
  voted on nor ranked, in list order (read from the one `current_list` computed here), among the
  applicants on a list (as the reminders count them), except applicants who already had an offer
  from the program (every offer ends an applicant's SOAP with the program: a vote on them changes
  nothing); observers do not vote, so they have none;
- the lists as `/soap list` shows them (one per program code, ranked from 1), for their tops and
  the ranks shown beside the missing votes; with blind votes, a member's top of the list hides the
  support and dissent of the applicants they have not voted on or ranked yet (as the card does).

Only committee members get a dashboard; everyone else is shown a short explanation and nothing
about applicants (`publish` never calls `dashboard` for them).

`publish(room, actor, user_id)` draws and publishes the Home of one person; `republish(room, team_id,
users)` does it for several (after a purge: a published Home stays in Slack, names and AAMC IDs
included, until it is published again).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.access import Actor, ProgramRef
from bot.domain.dashboard import Dashboard
from bot.domain.roles import Role
from bot.domain.soap_calendar import EventKind
from bot.domain.votes import TallyView, tally_view
from bot.errors import WarRoomError
from bot.messages import home as messages
from bot.messages.blocks import view_metadata
from bot.services import positions, preference_list, programs, schedule, triage
from bot.war_room import WarRoom
from storage.database import Database
from storage.models import Offer

log = logging.getLogger(__name__)

TOP_OF_LIST = 10


def dashboard(database: Database, *, program: ProgramRef, user_id: str, role: Role, committee: Iterable[str],
              now: datetime) -> Dashboard:
    status = positions.positions_status(database, program.id)
    deadline = event = None
    try:
        calendar = schedule.calendar(database, program, now)
    except WarRoomError:
        calendar = None
    if calendar is not None:
        upcoming = sorted((e for e in calendar.events if e.at >= now), key=lambda e: e.at)
        event = upcoming[0] if upcoming else None
        deadline = next((e for e in upcoming if e.kind is EventKind.LIST_DEADLINE), None)
    current = preference_list.current_list(database, program.id, set(committee))
    with database.reading() as session:
        offered = set(session.scalars(select(Offer.candidate_id).where(Offer.program_id == program.id)))
    # Only applicants on a list wait for a vote: not those who accepted anywhere or withdrew, nor
    # those who applied to none of the program's codes (the reminders and `/soap list` agree).
    on_a_list = {line.aamc_id for listed in current.lists for line in listed.lines}
    missing = (tuple(line for line in current.lines if line.aamc_id in on_a_list and user_id in line.not_voted
                     and line.candidate_id not in offered)
               if role is not Role.OBSERVER else ())
    first = current.lists[0].lines if current.lists else current.lines
    blind = triage.program_policy(database, program.id).blind_votes
    hidden = frozenset(line.aamc_id for line in current.lines
                       if tally_view(blind=blind, director=role is Role.DIRECTOR, votes=role is not Role.OBSERVER,
                                     has_voted=user_id not in line.not_voted) is TallyView.COUNT)
    return Dashboard(program.name, program.timezone, role is not Role.OBSERVER, status.codes, deadline, event, missing,
                     first[:TOP_OF_LIST], len(first), tuple((lock.round, lock.code) for lock in current.locks),
                     calendar.lists if calendar is not None else (), current.lists, hidden,
                     calendar.clock if calendar is not None else None)


def _publish(room: WarRoom, user_id: str, view: dict[str, Any]) -> bool:
    try:
        room.gateway.call("views.publish", user_id=user_id, view=view)
        return True
    except SlackApiError as error:
        log.warning("views.publish failed: %s", error.response.get("error"))
        return False


def publish(room: WarRoom, actor: Actor | None, user_id: str, notice: str | None = None, *,
            team_id: str | None = None) -> bool:
    """Publish the dashboard for a committee member, or the explanation for anyone else (with `team_id`,
    a member of a purged war room is told it was purged); False when Slack would not take it."""
    if actor is None or actor.program is None or actor.role is Role.OUTSIDER:
        purged = None
        if actor is None:
            purged = programs.purged_room_of(room.database, room.directory, team_id=team_id, user_id=user_id)
        return _publish(room, user_id, messages.outsider_view(notice, purged))
    now = room.clock()
    board = dashboard(room.database, program=actor.program, user_id=actor.user_id, role=actor.role,
                      committee=room.people(actor.program.channel_id), now=now)
    return _publish(room, user_id, messages.home_view(board, now, view_metadata(actor.program.id), notice))


def member_of(room: WarRoom, team_id: str | None, user_id: str) -> Actor | None:
    """The first war room of the workspace the person sits in, or None."""
    for actor in programs.programs_of_member(room.database, room.directory, team_id=team_id, user_id=user_id):
        if actor.program is not None and actor.role is not Role.OUTSIDER:
            return actor
    return None


def republish(room: WarRoom, team_id: str | None, users: Iterable[str]) -> int:
    """Publish each person's Home again as it now is (a purged program shows nothing any more). Returns how
    many Slack would not take."""
    return sum(1 for user_id in sorted(set(users))
               if not publish(room, member_of(room, team_id, user_id), user_id, team_id=team_id))
