"""Every web and Socket Mode process watches the reminder clock (`bot.services.clock_health.watch`).

A background thread looks every `CLOCK_WATCH_SECONDS` (30 by default) whether the clock has been
silent for 5 minutes with a deadline ahead, and posts the war room's alarm if no other process has.
The clock process itself does not watch: a dead clock cannot report its own death. Which process
posts is decided in the database, so any number of web processes and workers post one alarm.
"""

from __future__ import annotations

import logging
import threading

from bot.services import clock_health, reminders
from bot.war_room import WarRoom

log = logging.getLogger(__name__)


def start_watch(room: WarRoom, stop: threading.Event | None = None) -> threading.Event:
    """Start this process's watch thread; set the returned event to stop it."""
    stop = stop or threading.Event()
    watcher_id = reminders.new_clock_id()

    def look() -> None:
        while not stop.wait(room.settings.clock_watch_seconds):
            try:
                clock_health.watch(room, watcher_id)
            except Exception as error:  # a failed look is logged; the next one tries again
                log.error("clock watch failed: %s", type(error).__name__, exc_info=error)

    threading.Thread(target=look, name="clock-watch", daemon=True).start()
    return stop
