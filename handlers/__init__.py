"""Thin Slack adapters, one module per feature, each with `register(app, room, router)`."""

from __future__ import annotations

from slack_bolt import App

from bot.war_room import WarRoom
from handlers import (
    candidates,
    errors,
    gate,
    home,
    interviews,
    notes,
    offers,
    program_setup,
    records,
    rounds,
    triage,
    votes,
)
from handlers.router import SoapRouter

# Order sets the order of `/soap help`.
FEATURES = [program_setup, candidates, triage, notes, votes, rounds, offers, interviews, home, records]


def register_listeners(app: App, room: WarRoom) -> SoapRouter:
    app.use(gate.tag_request)
    app.use(gate.ignore_other_bots_and_self)
    errors.register(app, room)
    router = SoapRouter(room)
    for feature in FEATURES:
        feature.register(app, room, router)
    router.register(app)
    return router
