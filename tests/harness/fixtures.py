"""Pytest fixtures for the Slack stand-ins. Use them from a conftest::

from tests.harness.fixtures import slack_standin, socket_mode_standin  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.slack_api import SlackStandIn
from tests.harness.socket_mode import SocketModeStandIn


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    """A started Web API stand-in; stopped after the test."""
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def socket_mode_standin(slack_standin: SlackStandIn) -> Iterator[SocketModeStandIn]:
    """A Socket Mode endpoint that ``slack_standin``'s apps.connections.open points at."""
    with SocketModeStandIn() as server:
        server.attach(slack_standin)
        yield server
        slack_standin.socket_mode = None
