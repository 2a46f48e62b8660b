"""One place where failures become answers.

`guard` wraps every listener: a domain error (WarRoomError) becomes an ephemeral
answer to the person who caused it; anything else is logged (ids only, never payload
text) and the person is told that nothing was changed. The listener never raises into
Bolt: a listener that raises after ack() races Bolt's ack wait and Slack would see an
error page instead of our answer. `@app.error` covers what fails outside listeners.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View
from slack_sdk.webhook import WebhookClient

from bot.errors import WarRoomError
from bot.logs import request_id
from bot.war_room import WarRoom
from bot.work_pool import submit_in_lane
from handlers.gate import payload_ids

log = logging.getLogger(__name__)

Listener = TypeVar("Listener", bound=Callable[..., Any])

# Payload kinds whose acknowledgement carries nothing: acked at once, their work deferred to room.work.
# A view_submission's ack may carry field errors, so its listener runs before the ack.
ACK_FIRST = {"block_actions", "event_callback"}

UNEXPECTED = (":warning: Something went wrong on our side and nothing was changed. "
              "If it happens again, give your admin this reference: `{ref}`.")


def work_lane(body: dict[str, Any]) -> str:
    """The lane of room.work a payload's work queues in: its action or its event's type."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return f"action {actions[0].get('action_id', '')}"
    event = body.get("event")
    if isinstance(event, dict):
        return f"event {event.get('type', '')}"
    return str(body.get("type", ""))


def tell(room: WarRoom, body: dict[str, Any], text: str) -> None:
    """Say `text` to the person behind `body`, visible only to them, where they are."""
    urls: list[dict[str, Any]] = body.get("response_urls") or []
    response_url = body.get("response_url") or (urls[0].get("response_url") if urls else None)
    try:
        if response_url:
            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return
        ids = payload_ids(body)
        if ids.channel_id and ids.user_id and body.get("type") != "event_callback":
            room.gateway.post_ephemeral(ids.channel_id, ids.user_id, text)
    except (SlackApiError, OSError):
        log.warning("could not tell the user about an error")


def _message(error: Exception) -> str:
    if isinstance(error, WarRoomError):
        return f":no_entry: {error}"
    return UNEXPECTED.format(ref=request_id.get())


def log_failure(error: Exception) -> None:
    if isinstance(error, WarRoomError):
        log.info("refused: %s", type(error).__name__)
    else:
        log.error("unexpected failure while handling a request: %s", type(error).__name__, exc_info=error)


def answer(room: WarRoom, body: dict[str, Any], error: Exception) -> None:
    log_failure(error)
    tell(room, body, _message(error))


def error_view(text: str) -> dict[str, Any]:
    return View(type="modal", title=PlainTextObject(text="SOAP War Room"), close=PlainTextObject(text="Close"),
                blocks=[SectionBlock(text=MarkdownTextObject(text=text[:3000]))]).to_dict()


def war_room_in_context(room: WarRoom) -> Callable[..., Any]:
    """The app's first global middleware: this process's war room in every request's context, where
    Bolt finds it for a listener that takes `room` (Bolt injects context keys by name)."""

    def put_room(context: BoltContext, next_: Callable[[], Any]) -> Any:
        context["room"] = room
        return next_()

    return put_room


def guard(listener: Listener) -> Listener:
    """Wrap a listener (which must take `ack`, `body` and `room`) so that every failure is answered.

    Bolt reads the listener's own arguments through the wrapper (`__wrapped__`) and injects them,
    `room` from the context (`war_room_in_context`)."""
    names = set(inspect.signature(listener).parameters)
    if not {"ack", "body", "room"} <= names:
        raise TypeError(f"{listener.__name__} must take `ack`, `body` and `room` to be guarded")

    def run(kwargs: dict[str, Any]) -> Any:
        try:
            return listener(**kwargs)
        except Exception as error:
            ack, body, room = kwargs["ack"], kwargs["body"], kwargs["room"]
            if getattr(ack, "response", None) is None:
                if body.get("type") == "view_submission":
                    # The person is looking at a modal: say it there.
                    ack(response_action="update", view=error_view(_message(error)))
                    log_failure(error)
                    return None
                ack()
            answer(room, body, error)
            return None

    @functools.wraps(listener)
    def guarded(**kwargs: Any) -> Any:
        if kwargs["body"].get("type") in ACK_FIRST:
            # Slack gets its 200 now; the work waits its turn in room.work, never the ack.
            kwargs["ack"]()
            submit_in_lane(kwargs["room"].work, work_lane(kwargs["body"]), run, kwargs)
            return None
        return run(kwargs)

    return guarded  # type: ignore[return-value]


def register(app: App, room: WarRoom) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        answer(room, body, error)
        return None
