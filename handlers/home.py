"""Listeners for this feature (not built yet: registers nothing)."""

from __future__ import annotations

from slack_bolt import App

from bot.war_room import WarRoom
from handlers.router import SoapRouter


def register(app: App, room: WarRoom, router: SoapRouter) -> None:
    return None
