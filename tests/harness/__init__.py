"""Slack stand-ins for tests: nothing here reaches Slack.

The local Slack itself is the console's (``bot.console``: ``web_api``, ``signing``, ``payloads``,
``blockkit``); tests import those modules directly. What only tests need lives here:

- ``slack_api.SlackStandIn``: the console's Web API plus fault injection (``fail``, ``hold``),
  ``reset``, ``wait_for`` and the inspection tests assert on.
- ``socket_mode.SocketModeStandIn``: a Socket Mode WebSocket endpoint (wire with ``attach(standin)``).
- ``fixtures``: ready pytest fixtures (import them into a conftest); ``waiting``: ``eventually``.
"""

from bot.console.signing import SimResponse, SlackClientSim, sign
from tests.harness.slack_api import RecordedCall, SlackStandIn, UploadedFile
from tests.harness.socket_mode import SocketModeStandIn

__all__ = [
    "RecordedCall",
    "SimResponse",
    "SlackClientSim",
    "SlackStandIn",
    "SocketModeStandIn",
    "UploadedFile",
    "sign",
]
