"""Socket Mode: the app connects out to Slack over a WebSocket (no public URL needed)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app
from bot.war_room import WarRoom

log = logging.getLogger(__name__)


def run_socket_mode(room: WarRoom, *, with_clock: bool = True, stop: threading.Event | None = None) -> None:
    app = create_app(room)
    handler = SocketModeHandler(app, app_token=room.settings.slack_app_token, web_client=room.client)
    scheduler: Any = None
    if with_clock:
        from bot.clock import start_in_process

        scheduler = start_in_process(room)
    stop = stop or threading.Event()

    def _stop(*_: object) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    handler.connect()
    log.info("socket mode connected")
    stop.wait()
    handler.close()
    if scheduler is not None:
        scheduler.shutdown(wait=False)
