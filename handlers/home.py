"""The App Home tab: `app_home_opened` publishes the member's dashboard; votes clicked there.

Who sees what: a person in a war-room channel of the workspace sees that program's dashboard (the
first program by set-up order when they sit in several); anyone else sees a short explanation and
nothing about applicants. A vote clicked on the Home tab carries no channel: the program comes from
the view's `private_metadata` (`handlers.gate.view_metadata`) and the gate checks, as for any
click, that the person is still in that war room. The Home listeners for the vote buttons match
only clicks inside a Home view, so the card's vote listener (handlers.votes) handles the others;
after the vote the Home tab is published again, with a line saying what was recorded (a Home
click has no response_url, so that line is the answer; a refusal is shown there too).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.access import Access
from bot.domain.roles import Role
from bot.domain.votes import VOTE_LABELS
from bot.errors import WarRoomError
from bot.messages.mrkdwn import escape
from bot.messages.preference_list import VOTE_BY_ACTION
from bot.services import home, voting
from bot.services.candidate_cards import refresh_card
from bot.war_room import WarRoom
from handlers.errors import guard, log_failure
from handlers.gate import actor_of, clicked, payload_ids
from handlers.router import SoapRouter


def _is_home_click(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "home"


def on_home_opened(room: WarRoom, ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
    ack()
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user") or "")
    if not user_id:
        return
    team_id = body.get("team_id")
    home.publish(room, home.member_of(room, team_id, user_id), user_id, team_id=team_id)


def on_home_vote(room: WarRoom, ack: Ack, body: dict[str, Any]) -> None:
    ack()
    ids = payload_ids(body)
    user_id = ids.user_id or ""
    actor = actor_of(room, body)
    action = clicked(body)
    try:
        program = actor.require(Access.WRITE, "vote")
        result = voting.cast_vote(room.database, program_id=program.id, actor=actor.user_id,
                                  aamc_id=str(action.get("value") or ""),
                                  vote=VOTE_BY_ACTION[str(action.get("action_id"))], now=room.clock())
    except WarRoomError as error:
        log_failure(error)
        still_member = actor if actor.role is not Role.OUTSIDER and actor.program is not None else None
        home.publish(room, still_member or home.member_of(room, ids.team_id, user_id), user_id,
                     f":no_entry: {error}")
        return
    home.publish(room, actor, user_id,
                 f":white_check_mark: Your vote on {escape(result.name)} ({escape(result.aamc_id)}): "
                 f"*{escape(VOTE_LABELS[result.after])}*.")
    if result.changed and actor.program is not None:
        refresh_card(room, actor.program, result.candidate_id)


def register(app: App, router: SoapRouter) -> None:
    app.event("app_home_opened")(guard(on_home_opened))
    on_vote = guard(on_home_vote)
    for action_id in VOTE_BY_ACTION:
        app.action(action_id, matchers=[_is_home_click])(on_vote)


