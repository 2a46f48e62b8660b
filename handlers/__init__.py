"""Thin Slack adapters, one module per feature, each with `register(app, room, router)`."""

from __future__ import annotations

from slack_bolt import App

from bot.war_room import WarRoom
from handlers import errors, gate, program_setup
from handlers.router import SoapRouter

# Each feature module: register(app, room, router). Order sets the order of `/soap help`.
FEATURES = [program_setup]


def register_listeners(app: App, room: WarRoom) -> SoapRouter:
    app.use(gate.tag_request)
    app.use(gate.ignore_other_bots_and_self)
    errors.register(app, room)
    router = SoapRouter(room)
    for feature in FEATURES:
        feature.register(app, room, router)
    router.register(app)
    return router
