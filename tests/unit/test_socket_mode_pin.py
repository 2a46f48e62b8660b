"""The Socket Mode client (bot/socket.py) overrides slack_sdk's built-in client internals: these tests fail
when the installed slack_sdk no longer has what it overrides and calls, with the signatures it uses, so an
upgrade that would break Socket Mode (commands unanswered across a connection refresh) fails here first."""

from __future__ import annotations

import inspect
import logging
import tomllib
from pathlib import Path

import slack_sdk.version
from packaging.requirements import Requirement
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection, ConnectionState

from bot.socket import WRITTEN_FOR_SLACK_SDK, OverlappingSocketModeClient

ROOT = Path(__file__).resolve().parents[2]

# What OverlappingSocketModeClient reads or sets on the library's client after its __init__.
CLIENT_ATTRIBUTES = (
    "current_session", "current_session_state", "current_session_runner", "wss_uri", "logger", "ping_interval",
    "trace_enabled", "all_message_trace_enabled", "ping_pong_trace_enabled", "receive_buffer_size", "proxy",
    "proxy_headers", "web_client", "auto_reconnect_enabled", "default_auto_reconnect_enabled",
    "current_app_monitor_started", "current_app_monitor", "closed", "socket_mode_request_listeners",
)
# Connection's arguments that connect() passes by name.
CONNECTION_ARGUMENTS = (
    "url", "logger", "ping_interval", "trace_enabled", "all_message_trace_enabled", "ping_pong_trace_enabled",
    "receive_buffer_size", "proxy", "proxy_headers", "on_error_listener", "on_close_listener", "ssl_context",
)


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_installed_slack_sdk_is_the_minor_the_client_was_written_for() -> None:
    installed = ".".join(slack_sdk.version.__version__.split(".")[:2])
    assert installed == WRITTEN_FOR_SLACK_SDK, (
        f"slack_sdk {slack_sdk.version.__version__} is installed; bot/socket.py was written for "
        f"{WRITTEN_FOR_SLACK_SDK}.x: check every test here, then move WRITTEN_FOR_SLACK_SDK and the pin together"
    )


def test_pyproject_pins_slack_sdk_to_that_minor() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (slack,) = [Requirement(d) for d in dependencies if Requirement(d).name == "slack-sdk"]
    major, minor = (int(part) for part in WRITTEN_FOR_SLACK_SDK.split("."))
    assert slack.specifier.contains(f"{major}.{minor}.0")
    assert not slack.specifier.contains(f"{major}.{minor + 1}.0"), "slack-sdk may float past its minor"


def test_the_library_client_has_every_internal_the_subclass_uses() -> None:
    client = SocketModeClient(app_token="xapp-pin-test", web_client=WebClient(base_url="http://127.0.0.1:9/"),
                              logger=logging.getLogger("pin-test"))
    try:
        missing = [name for name in CLIENT_ATTRIBUTES if not hasattr(client, name)]
        assert not missing, f"slack_sdk's SocketModeClient no longer has {missing}"
        assert callable(client.current_session_runner.shutdown)
        assert callable(client.current_app_monitor.start)
        assert hasattr(client.web_client, "ssl")
    finally:
        client.close()


def test_the_library_methods_take_what_the_subclass_passes() -> None:
    assert _parameters(SocketModeClient.connect_to_new_endpoint) == ["self", "force"]
    assert _parameters(SocketModeClient._on_error) == ["self", "error"]
    assert _parameters(SocketModeClient._on_close)[:2] == ["self", "code"]
    assert _parameters(SocketModeClient._on_message) == ["self", "message"]
    assert _parameters(SocketModeClient.send_message) == ["self", "message"]
    assert _parameters(SocketModeClient.issue_new_wss_url)[0] == "self"
    assert _parameters(SocketModeClient.session_id) == ["self"]
    # The subclass replaces these; the library must still call them by these names and arguments.
    for name in ("connect", "close", "send_socket_mode_response"):
        assert _parameters(getattr(SocketModeClient, name)) == _parameters(getattr(OverlappingSocketModeClient, name))


def test_connection_takes_the_arguments_connect_passes_and_has_what_the_readers_use() -> None:
    missing = [name for name in CONNECTION_ARGUMENTS if name not in _parameters(Connection.__init__)]
    assert not missing, f"slack_sdk's Connection no longer takes {missing}"
    assert _parameters(Connection.run_until_completion) == ["self", "state"]
    for name in ("connect", "close", "send", "is_active"):
        assert callable(getattr(Connection, name))
    connection = Connection(url="wss://127.0.0.1:9/", logger=logging.getLogger("pin-test"))
    for name in ("session_id", "sock", "on_message_listener"):
        assert hasattr(connection, name), f"slack_sdk's Connection no longer has {name}"
    assert hasattr(ConnectionState(), "terminated")


def test_bolts_handler_works_through_what_the_overlapping_handler_sets() -> None:
    # OverlappingSocketModeHandler skips Bolt's __init__ and sets app, app_token and client itself.
    for name in ("connect", "close"):
        assert "self.client" in inspect.getsource(getattr(SocketModeHandler, name))
    assert "self.app" in inspect.getsource(SocketModeHandler.handle)
    assert _parameters(SocketModeHandler.handle)[:3] == ["self", "client", "req"]
