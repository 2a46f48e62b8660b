"""The app factory: a Bolt App with every listener registered, for HTTP, Socket Mode and the console."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App

from bot.logs import configure_logging
from bot.war_room import WarRoom
from handlers import register_listeners


def create_app(room: WarRoom, *, token_verification: bool = True,
               listener_executor: Executor | None = None) -> App:
    """`listener_executor`: where listeners run after the ack (Bolt's pool by default; the console
    passes one that tells it when the app has finished handling a request)."""
    settings = room.settings
    configure_logging(settings.log_level)
    app = App(
        token=settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret,
        client=room.client,
        token_verification_enabled=token_verification,
        # The request is acknowledged as soon as a listener calls ack(); its work goes on in
        # Bolt's thread pool, so a slow database or a 429 never breaks Slack's 3-second rule.
        process_before_response=False,
        logger=logging.getLogger("soapbot.bolt"),
        listener_executor=listener_executor,
    )
    register_listeners(app, room)
    return app
