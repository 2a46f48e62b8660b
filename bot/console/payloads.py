"""Payload builders in the shapes Slack sends, independent of transport.

The same dicts go over HTTP (``signing.SlackClientSim`` form-encodes or JSON-encodes them and
signs the body) and over Socket Mode (``socket_mode.SocketModeStandIn`` wraps them in an
envelope). Shapes follow Slack's reference pages (docs.slack.dev: "Slash commands",
"block_actions payloads", "view_submission payloads", "Events API" envelope, the ``message``
event and its subtypes, ``app_home_opened``) and the fixtures in slackapi/bolt-python's tests.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

TEAM_ID = "T0WARROOM"
TEAM_DOMAIN = "soapwarroom"
APP_ID = "A0WARROOM1"
BOT_USER_ID = "U0WARBOT01"
BOT_ID = "B0WARBOT01"
# Slack still sends the (deprecated) verification token in every payload.
VERIFICATION_TOKEN = "vErIfIcAtIoNtOkEn0000000"  # noqa: S105 (a fixed fake, never a secret)

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _next() -> int:
    with _counter_lock:
        return next(_counter)


def new_trigger_id() -> str:
    """Shaped like Slack's, e.g. ``13345224609.738474920.8088930838d88f008e0``."""
    return f"{int(time.time() * 1000)}{_next():04d}.{738474920}.{secrets.token_hex(10)}"


def new_event_id() -> str:
    return "Ev" + secrets.token_hex(5).upper()


def new_ts(at: float | None = None) -> str:
    """A message ts (``seconds.micro``), unique within this process."""
    base = time.time() if at is None else at
    return f"{int(base)}.{(_next() * 100) % 1_000_000:06d}"


def new_view_id() -> str:
    return "V" + secrets.token_hex(5).upper()


def new_envelope_id() -> str:
    return str(uuid.uuid4())


def plain_text(text: str, *, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": emoji}


def user_object(user_id: str, team_id: str = TEAM_ID, username: str | None = None) -> dict[str, Any]:
    """The ``user`` object of interaction payloads."""
    name = username or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The ``blocks`` Slack attaches to a message typed in the client."""
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_urlsafe(4)[:5],
            "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
        }
    ]


# ---------------------------------------------------------------------------------------------
# Slash commands
# ---------------------------------------------------------------------------------------------


def slash_command_payload(
    text: str,
    user_id: str,
    channel_id: str,
    *,
    command: str = "/soap",
    trigger_id: str | None = None,
    response_url: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    channel_name: str | None = None,
    user_name: str | None = None,
    api_app_id: str = APP_ID,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, str]:
    """Every field Slack sends with a slash command (string values, as in the HTTP form)."""
    payload = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or ("privategroup" if channel_id.startswith("G") else "soap-war-room"),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/{_next()}/{secrets.token_urlsafe(18)}",
        "trigger_id": trigger_id or new_trigger_id(),
    }
    if enterprise_id is not None:
        payload["enterprise_id"] = enterprise_id
        payload["enterprise_name"] = enterprise_name or "SOAP Grid"
    return payload


# ---------------------------------------------------------------------------------------------
# Interactivity
# ---------------------------------------------------------------------------------------------


def bot_message(
    text: str,
    ts: str,
    *,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    bot_user_id: str = BOT_USER_ID,
    bot_id: str = BOT_ID,
    app_id: str = APP_ID,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A message as the app posted it (what ``block_actions.message`` carries)."""
    message: dict[str, Any] = {
        "user": bot_user_id,
        "type": "message",
        "ts": ts,
        "bot_id": bot_id,
        "app_id": app_id,
        "text": text,
        "team": team_id,
        "bot_profile": {
            "id": bot_id,
            "deleted": False,
            "name": "SOAP War Room",
            "updated": 1711000000,
            "app_id": app_id,
            "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
            "team_id": team_id,
        },
        "blocks": blocks or [],
    }
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    return message


def block_actions_payload(
    user_id: str,
    channel_id: str,
    action_id: str,
    value: str | None = None,
    *,
    block_id: str = "actions",
    message_ts: str | None = None,
    thread_ts: str | None = None,
    is_ephemeral: bool = False,
    message: dict[str, Any] | None = None,
    channel_name: str = "soap-war-room",
    action_type: str = "button",
    button_text: str = "Button",
    selected_option: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    container_extras: Mapping[str, Any] | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a click in a message (or, with ``view=``, in a modal/home)."""
    action_ts = f"{time.time():.6f}"
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": action_ts,
    }
    if action_type == "button":
        action["text"] = plain_text(button_text)
        if value is not None:
            action["value"] = value
    elif action_type in ("static_select", "external_select", "overflow", "radio_buttons"):
        action["selected_option"] = selected_option or {"text": plain_text(value or ""), "value": value}
    elif action_type == "users_select":
        action["selected_user"] = value
    elif value is not None:
        action["value"] = value

    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user_object(user_id, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        container: dict[str, Any] = {"type": "view", "view_id": view.get("id", new_view_id())}
        payload["container"] = container
        payload["view"] = view
        if view.get("type") == "modal":
            payload["state"] = view.get("state", {"values": state_values or {}})
    else:
        ts = message_ts or (message or {}).get("ts") or new_ts()
        container = {"type": "message", "message_ts": ts, "channel_id": channel_id, "is_ephemeral": is_ephemeral}
        if thread_ts is not None:
            container["thread_ts"] = thread_ts
        payload["container"] = container
        payload["channel"] = {"id": channel_id, "name": channel_name}
        if not is_ephemeral:  # Slack omits the message for clicks in ephemeral messages
            payload["message"] = message or bot_message("", ts, thread_ts=thread_ts)
        payload["state"] = {"values": state_values or {}}
        payload["response_url"] = (
            response_url or f"https://hooks.slack.com/actions/{team_id}/{_next()}/{secrets.token_urlsafe(18)}"
        )
    if container_extras:
        container.update(container_extras)
    payload["actions"] = [action]
    return payload


# -- modal state ------------------------------------------------------------------------------


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def static_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    option = None if value is None else {"text": plain_text(text or value), "value": value}
    return {"type": "static_select", "selected_option": option}


def multi_static_select(values: Iterable[str]) -> dict[str, Any]:
    return {
        "type": "multi_static_select",
        "selected_options": [{"text": plain_text(v), "value": v} for v in values],
    }


def users_select(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def multi_users_select(user_ids: Iterable[str]) -> dict[str, Any]:
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def checkboxes(values: Iterable[str]) -> dict[str, Any]:
    return {"type": "checkboxes", "selected_options": [{"text": plain_text(v), "value": v} for v in values]}


def radio_buttons(value: str | None) -> dict[str, Any]:
    option = None if value is None else {"text": plain_text(value), "value": value}
    return {"type": "radio_buttons", "selected_option": option}


def datepicker(date: str | None) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": date}


def number_input(value: str | None) -> dict[str, Any]:
    return {"type": "number_input", "value": value}


def state_values(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{block_id: {action_id: value}}`` -> Slack's ``view.state.values``.

    A plain ``str``/``None`` value becomes a ``plain_text_input``; pass the result of
    ``static_select(...)``, ``users_select(...)`` etc. for other elements.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, actions in spec.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            out[block_id][action_id] = (
                dict(value) if isinstance(value, Mapping) else text_input(None if value is None else str(value))
            )
    return out


def _input_blocks_for(values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for block_id, actions in values.items():
        for action_id, state in actions.items():
            element: dict[str, Any] = {"type": state.get("type", "plain_text_input"), "action_id": action_id}
            if element["type"] in ("static_select", "radio_buttons", "multi_static_select", "checkboxes"):
                chosen = state.get("selected_options") or [state.get("selected_option")]
                element["options"] = [o for o in chosen if o] or [{"text": plain_text("-"), "value": "-"}]
            blocks.append({"type": "input", "block_id": block_id, "label": plain_text(block_id), "element": element})
    return blocks


def view_submission_payload(
    user_id: str,
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]],
    private_metadata: str = "",
    *,
    view_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    title: str = "SOAP War Room",
    submit: str = "Submit",
    external_id: str = "",
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    bot_id: str = BOT_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """A ``view_submission`` payload. ``values`` is ``view.state.values`` (see ``state_values``)."""
    vid = view_id or new_view_id()
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": user_object(user_id, team_id),
        "api_app_id": api_app_id,
        "token": token,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": vid,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks if blocks is not None else _input_blocks_for(values),
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": dict(values)},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "title": plain_text(title),
            "clear_on_close": False,
            "notify_on_close": False,
            "close": plain_text("Cancel"),
            "submit": plain_text(submit),
            "previous_view_id": None,
            "root_view_id": vid,
            "app_id": api_app_id,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


# ---------------------------------------------------------------------------------------------
# Events API
# ---------------------------------------------------------------------------------------------


def event_callback_payload(
    event: Mapping[str, Any],
    *,
    event_id: str | None = None,
    event_time: int | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """The ``event_callback`` envelope around ``event``."""
    channel = event.get("channel") if isinstance(event.get("channel"), str) else None
    return {
        "token": token,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event.get('type', 'event')}-{team_id}-{channel or ''}",
    }


def message_event(
    channel: str,
    user: str,
    text: str,
    ts: str | None = None,
    thread_ts: str | None = None,
    *,
    parent_user_id: str | None = None,
    channel_type: str = "group",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A ``message`` event typed by a person (private channel -> ``channel_type`` "group")."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text_blocks(text),
        "team": team_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user
    event.update({"channel": channel, "event_ts": ts, "channel_type": channel_type})
    return event


def message_changed_event(
    channel: str,
    user: str,
    ts: str,
    new_text: str,
    old_text: str,
    *,
    edited_ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str = "group",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """``message`` / ``message_changed``: the edited ``message`` and ``previous_message``."""
    event_ts = edited_ts or new_ts()
    client_msg_id = str(uuid.uuid4())
    previous: dict[str, Any] = {
        "client_msg_id": client_msg_id,
        "type": "message",
        "text": old_text,
        "user": user,
        "ts": ts,
        "blocks": rich_text_blocks(old_text),
        "team": team_id,
    }
    current: dict[str, Any] = {
        "client_msg_id": client_msg_id,
        "type": "message",
        "text": new_text,
        "user": user,
        "team": team_id,
        "edited": {"user": user, "ts": event_ts},
        "blocks": rich_text_blocks(new_text),
        "ts": ts,
        "source_team": team_id,
        "user_team": team_id,
    }
    if thread_ts is not None:
        previous["thread_ts"] = current["thread_ts"] = thread_ts
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": current,
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "ts": event_ts,
        "event_ts": event_ts,
        "channel_type": channel_type,
    }


def message_deleted_event(
    channel: str,
    user: str,
    deleted_ts: str,
    old_text: str = "",
    *,
    thread_ts: str | None = None,
    channel_type: str = "group",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """``message`` / ``message_deleted`` with the ``previous_message``."""
    event_ts = new_ts()
    previous: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": old_text,
        "user": user,
        "ts": deleted_ts,
        "blocks": rich_text_blocks(old_text),
        "team": team_id,
    }
    if thread_ts is not None:
        previous["thread_ts"] = thread_ts
    return {
        "type": "message",
        "subtype": "message_deleted",
        "previous_message": previous,
        "channel": channel,
        "hidden": True,
        "deleted_ts": deleted_ts,
        "event_ts": event_ts,
        "ts": event_ts,
        "channel_type": channel_type,
    }


def bot_message_event(
    channel: str,
    text: str,
    ts: str | None = None,
    *,
    bot_id: str = BOT_ID,
    app_id: str = APP_ID,
    user: str | None = BOT_USER_ID,
    subtype: str | None = "bot_message",
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    channel_type: str = "group",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A message posted by a bot (by default this app's own bot).

    ``subtype="bot_message"`` is the classic shape; ``subtype=None`` is what a bot token's
    ``chat.postMessage`` echoes back today (``bot_id``, ``user``, ``bot_profile``, no subtype).
    """
    ts = ts or new_ts()
    event: dict[str, Any] = {"type": "message"}
    if subtype is not None:
        event["subtype"] = subtype
    event.update({"text": text, "ts": ts, "bot_id": bot_id, "app_id": app_id})
    if user is not None:
        event["user"] = user
    if subtype is None:
        event["team"] = team_id
        event["bot_profile"] = bot_message("", ts, bot_id=bot_id, app_id=app_id, team_id=team_id)["bot_profile"]
    event["blocks"] = blocks or []
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    event.update({"channel": channel, "event_ts": ts, "channel_type": channel_type})
    return event


def app_home_opened_event(
    user: str,
    *,
    channel: str | None = None,
    tab: str = "home",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``app_home_opened``; ``view`` is present only once a Home view was published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or ("D" + user[1:]),
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }
    if view is not None:
        event["view"] = view
    return event
