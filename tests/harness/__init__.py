"""Slack stand-ins for tests: nothing here reaches Slack.

- ``slack_api.SlackStandIn``: the Web API (``WebClient(base_url=standin.url)``), response_urls, uploads.
- ``signing.SlackClientSim``: signed slash commands, clicks, modal submissions and events to the app.
- ``socket_mode.SocketModeStandIn``: a Socket Mode WebSocket endpoint (wire with ``attach(standin)``).
- ``payloads``: the payload builders both transports share; ``blockkit``: Slack's Block Kit limits.
- ``fixtures``: ready pytest fixtures (import them into a conftest).
"""

from tests.harness.signing import SimResponse, SlackClientSim, sign
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
