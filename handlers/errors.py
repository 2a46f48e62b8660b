"""The app's one error handler: domain errors become an ephemeral answer to the person who
caused them; anything else is logged (ids only) and the person is told nothing was saved."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.errors import WarRoomError
from bot.logs import request_id
from bot.war_room import WarRoom
from handlers.gate import payload_ids

log = logging.getLogger(__name__)


def tell(room: WarRoom, body: dict[str, Any], text: str) -> None:
    """Say `text` to the person behind `body`, visible only to them, in the channel they used."""
    urls: list[dict[str, Any]] = body.get("response_urls") or []
    response_url = body.get("response_url") or (urls[0].get("response_url") if urls else None)
    try:
        if response_url:
            from slack_sdk.webhook import WebhookClient

            WebhookClient(response_url).send(text=text, response_type="ephemeral", replace_original=False)
            return
        ids = payload_ids(body)
        if ids.channel_id and ids.user_id:
            room.gateway.post_ephemeral(ids.channel_id, ids.user_id, text)
    except (SlackApiError, OSError):
        log.warning("could not tell the user about an error")


def register(app: App, room: WarRoom) -> None:
    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        if isinstance(error, WarRoomError):
            log.info("refused: %s", type(error).__name__)
            if body.get("type") == "event_callback":
                return None
            tell(room, body, f":no_entry: {error}")
            return None
        log.exception("unexpected failure while handling a request", exc_info=error)
        tell(room, body, ":warning: Something went wrong on our side and nothing was changed. "
                         f"If it happens again, give your admin this reference: `{request_id.get()}`.")
        return None
