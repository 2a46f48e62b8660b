"""The Slack app manifest creates the app the code expects (one paste, nothing to fix by hand)."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.router import SoapRouter

MANIFEST = (Path(__file__).parents[2] / "manifest.yml").read_text()


def _listed(key: str) -> set[str]:
    block = re.search(rf"{key}:\n((?:\s+- .+\n)+)", MANIFEST)
    assert block, f"{key} missing from manifest.yml"
    return {re.sub(r"\s+#.*", "", line).strip("- ").strip() for line in block.group(1).splitlines()}


def test_the_slash_command_is_the_one_the_router_answers() -> None:
    assert f"command: {SoapRouter().command}\n" in MANIFEST
    assert "should_escape: true" in MANIFEST  # mentions arrive as <@U…> ids the router can parse


def test_events_interactivity_and_home_tab_are_on() -> None:
    assert _listed("bot_events") == {"app_home_opened", "message.groups"}
    assert re.search(r"interactivity:\n\s+is_enabled: true", MANIFEST)
    assert "home_tab_enabled: true" in MANIFEST

