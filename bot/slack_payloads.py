"""The shape of what Slack sends, checked before Bolt sees it (HTTP in bot.web, Socket Mode and the
console through handlers.gate)."""

from __future__ import annotations

from typing import Any


def malformed_payload(body: Any) -> bool:
    """A payload whose well-known fields have the wrong types (Slack never sends one): Bolt's own
    middleware and matchers would crash on it and answer 500 (tests/adversarial/test_malformed.py)."""
    if not isinstance(body, dict):
        return True
    if body.get("type") == "event_callback" or "event" in body:
        return not isinstance(body.get("event"), dict)
    if "actions" in body and not (isinstance(body["actions"], list)
                                  and all(isinstance(a, dict) for a in body["actions"])):
        return True
    if "user" in body and "command" not in body and not isinstance(body["user"], dict):
        return True
    for key in ("team", "channel", "container", "message"):
        if body.get(key) is not None and not isinstance(body[key], dict):
            return True
    view = body.get("view")
    if view is not None:
        if not isinstance(view, dict):
            return True
        state = view.get("state")
        values = state.get("values", {}) if isinstance(state, dict) else None
        if state is not None and not (isinstance(values, dict) and all(isinstance(v, dict) for v in values.values())):
            return True
    return False
