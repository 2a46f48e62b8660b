"""The one authorization gate: who sent this payload, in which war room, with what role.

Every listener acks first and then calls `require(room, body, access)`; it raises the
refusal (a WarRoomError) that the app's error handler shows ephemerally to the person.
Payload shapes differ by kind (slash command form, block_actions, view_submission,
event_callback); `payload_ids` reads each the way Slack sends it. Modals and App Home
carry the program id in the view's `private_metadata` (see `view_metadata`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt import BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.access import Access, Actor, ProgramRef
from bot.errors import BadInput
from bot.logs import request_id
from bot.messages.blocks import view_metadata as view_metadata  # modals and App Home carry the program
from bot.messages.ids import read_button
from bot.services.programs import resolve_actor
from bot.slack_payloads import malformed_payload
from bot.war_room import WarRoom

T = TypeVar("T")


@dataclass(frozen=True)
class PayloadIds:
    team_id: str | None
    channel_id: str | None
    user_id: str | None
    program_id: int | None
    request: str


def _dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else {} (a signed but malformed payload must not crash the gate;
    tests/adversarial/test_malformed.py)."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def read_view_metadata(body: dict[str, Any]) -> dict[str, Any]:
    view = _dict(body.get("view"))
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _program_hint(body: dict[str, Any]) -> int | None:
    value = read_view_metadata(body).get("program")
    return value if isinstance(value, int) else None


def payload_ids(body: dict[str, Any]) -> PayloadIds:
    event = body.get("event") if isinstance(body.get("event"), dict) else None
    if event is not None:
        message = _dict(event.get("message")) or _dict(event.get("previous_message"))
        user = _text(event.get("user")) or _text(message.get("user"))
        return PayloadIds(_text(body.get("team_id")), _text(event.get("channel")), user, None,
                          str(body.get("event_id") or "-")[:64])
    if "command" in body:
        return PayloadIds(_text(body.get("team_id")), _text(body.get("channel_id")), _text(body.get("user_id")),
                          None, str(body.get("trigger_id") or "-")[-12:])
    person = _dict(body.get("user"))
    team = _dict(body.get("team"))
    channel = _text(_dict(body.get("channel")).get("id")) or _text(_dict(body.get("container")).get("channel_id"))
    return PayloadIds(_text(team.get("id")) or _text(person.get("team_id")), channel, _text(person.get("id")),
                      _program_hint(body), str(body.get("trigger_id") or "-")[-12:])


def clicked(body: dict[str, Any]) -> dict[str, Any]:
    """The element a block_actions payload reports (one per click; malformed payloads never get here)."""
    return (body.get("actions") or [{}])[0]


def action_value(body: dict[str, Any], default: str = "") -> str:
    """The `value` of the clicked button or option (the AAMC ID, a page…); `default` when it has none."""
    return str(clicked(body).get("value") or default)


def button(kind: type[T], body: dict[str, Any]) -> T:
    """What the clicked button carries, as `kind` (`bot.messages.ids.read_button`); a button drawn by
    an older version, or forged, is refused as such."""
    try:
        return read_button(kind, action_value(body))
    except ValueError:
        raise BadInput("That button is out of date: run the command again.") from None


def actor_of(room: WarRoom, body: dict[str, Any]) -> Actor:
    ids = payload_ids(body)
    request_id.set(ids.request)
    return resolve_actor(room.database, room.directory, user_id=ids.user_id or "", team_id=ids.team_id,
                         channel_id=ids.channel_id, program_id=ids.program_id)


def require(room: WarRoom, body: dict[str, Any], access: Access, what: str = "do this") -> tuple[Actor, ProgramRef]:
    """The gate: the actor and their program, or the refusal they should read."""
    actor = actor_of(room, body)
    return actor, actor.require(access, what)


def tag_request(body: dict[str, Any], context: BoltContext, next: Any) -> BoltResponse:
    """Global middleware: the request id for every log line of this request; malformed payloads get 400
    (bot.web refuses them before Bolt on the HTTP path; this covers Socket Mode)."""
    if malformed_payload(body):
        return BoltResponse(status=400, body="")
    ids = payload_ids(body)
    request_id.set(ids.request)
    context["request_id"] = ids.request
    return next()


def ignore_other_bots_and_self(request: BoltRequest, body: dict[str, Any], next: Any) -> BoltResponse | None:
    """Messages from bots (ours included) never become notes or commands."""
    event = _dict(body.get("event"))
    if event.get("type") == "message" and (event.get("bot_id") or event.get("subtype") == "bot_message"):
        return BoltResponse(status=200, body="")
    return next()
