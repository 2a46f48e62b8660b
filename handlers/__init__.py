"""Thin Slack adapters, one module per feature, each with `register(app, router)`. A listener that
takes `room` is given this process's war room from the request's context (`errors.war_room_in_context`)."""

from __future__ import annotations

from slack_bolt import Ack, App

from bot.war_room import WarRoom
from handlers import (
    candidates,
    errors,
    gate,
    home,
    interviews,
    notes,
    offers,
    plan,
    program_setup,
    records,
    report,
    rounds,
    triage,
    votes,
)
from handlers.router import SoapRouter

# Order sets the order of `/soap help`. `home` comes before `votes`: Bolt runs the first listener that
# matches, and home's vote listeners (clicks inside the Home tab only) must be tried before the card's.
# `plan` comes before `candidates`: a file shared with "import the plan" is a plan, never SOAP applicants.
FEATURES = [program_setup, plan, candidates, triage, notes, home, votes, rounds, offers, interviews, report, records]


def register_listeners(app: App, room: WarRoom) -> SoapRouter:
    app.use(errors.war_room_in_context(room))
    app.use(gate.tag_request)
    app.use(gate.ignore_other_bots_and_self)
    errors.register(app, room)
    router = SoapRouter()
    for feature in FEATURES:
        feature.register(app, router)
    router.register(app)
    # Registered last: message events no feature claimed (chatter, joins, other threads) get 200.
    # Bolt would answer 404, and Slack retries failed deliveries and disables apps that fail often.
    app.event("message")(_acknowledge_other_messages)
    return router


def _acknowledge_other_messages(ack: Ack) -> None:
    ack()
