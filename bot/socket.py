"""Socket Mode: the app connects out to Slack over a WebSocket (no public URL needed).

Slack rotates a connection with a ``disconnect``/``refresh_requested`` message: the app opens a
new connection while the old one stays open a little longer (Slack allows several connections per
app). slack_sdk's built-in client reads one connection at a time: it opens the new one, then
closes the old one, which waits until the old reader's blocking receive returns (until Slack
closes it, up to its 3 s receive timeout), and only then starts reading the new one. Meanwhile the
message processor is stuck in that reconnect, so every envelope waits, about 3 s against a
connection that lingers (measured with ``tests/harness/socket_mode.py``); Slack's deadline is 3 s.

``OverlappingSocketModeClient`` keeps the library's client and changes only who reads what: each
connection gets its own reader thread from the moment it is open, the old one is read until
Slack closes it (an envelope already put on it is still answered, on that connection), and the
reconnect runs beside the message processor, never in it.

Several ``soapbot socket`` processes may run side by side: Slack spreads envelopes over every open
connection of the app, each envelope goes to one of them, and the clock each process runs claims
a reminder in the database before posting it (``bot/clock.py``), so reminders stay exactly-once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import signal
import socket
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientNotConnectedError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection, ConnectionState
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.app import create_app
from bot.clock_watch import start_watch
from bot.war_room import WarRoom

log = logging.getLogger(__name__)

# How long a replaced connection is still read before this side closes it. Slack closes it itself
# soon after the new one opens; this bounds a connection Slack forgets to close.
REPLACED_CONNECTION_READ_SECONDS = 10.0

# The slack_sdk minor whose built-in client this module subclasses: it overrides and calls that
# client's internals (connect, the session runner, Connection's arguments), which no release promises
# to keep. pyproject.toml pins slack-sdk to this minor; tests/unit/test_socket_mode_pin.py fails when an
# installed slack_sdk lacks what is used here, so the pin moves only with that test green.
WRITTEN_FOR_SLACK_SDK = "3.48"


class OverlappingSocketModeClient(SocketModeClient):
    """slack_sdk's built-in Socket Mode client, reading the new connection at once on a refresh."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._arrived_on: dict[str, Connection] = {}  # envelope_id -> the connection it came on
        self._readers: dict[str, threading.Event] = {}  # session id -> set when its reader ended
        self._arrived_lock = threading.Lock()
        super().__init__(*args, **kwargs)
        # Each connection has its own reader (connect below); the library's single reader would
        # hold the new connection back until the old one is gone.
        self.current_session_runner.shutdown()

    def connect(self) -> None:
        old_session, old_state = self.current_session, self.current_session_state
        if self.wss_uri is None:
            self.wss_uri = self.issue_new_wss_url()
        session = Connection(
            url=self.wss_uri,
            logger=self.logger,
            ping_interval=self.ping_interval,
            trace_enabled=self.trace_enabled,
            all_message_trace_enabled=self.all_message_trace_enabled,
            ping_pong_trace_enabled=self.ping_pong_trace_enabled,
            receive_buffer_size=self.receive_buffer_size,
            proxy=self.proxy,
            proxy_headers=self.proxy_headers,
            on_error_listener=self._on_error,
            on_close_listener=self._on_close,
            ssl_context=self.web_client.ssl,
        )
        session.on_message_listener = functools.partial(self._received_on, session)
        session.connect()
        state = ConnectionState()
        self.current_session, self.current_session_state = session, state
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        reader_done = threading.Event()
        with self._arrived_lock:
            self._readers[session.session_id] = reader_done
        threading.Thread(target=self._read, args=(session, state, reader_done),
                         name="socket-mode-reader", daemon=True).start()
        if not self.current_app_monitor_started:
            self.current_app_monitor_started = True
            self.current_app_monitor.start()
        if old_session is not None and old_session is not session:
            threading.Thread(target=self._retire, args=(old_session, old_state),
                             name="socket-mode-retire", daemon=True).start()
        self.logger.info(f"A new session has been established (session id: {self.session_id()})")

    def send_socket_mode_response(self, response: dict[str, Any] | SocketModeResponse) -> None:
        body = response.to_dict() if isinstance(response, SocketModeResponse) else dict(response)
        with self._arrived_lock:
            arrived_on = self._arrived_on.pop(str(body.get("envelope_id", "")), None)
        message = json.dumps(body)
        # Answer on the connection the envelope came on while it is open; the current one otherwise.
        if arrived_on is not None and arrived_on is not self.current_session and arrived_on.is_active():
            try:
                arrived_on.send(message)
                return
            except SlackClientNotConnectedError:
                pass
        self.send_message(message)

    def _received_on(self, session: Connection, message: str) -> None:
        parsed: dict[str, Any] = {}
        if message.startswith("{"):
            try:
                parsed = json.loads(message)
            except ValueError:
                parsed = {}
        if parsed.get("type") == "disconnect":
            self.logger.info(f"Slack asked for a new connection ({parsed.get('reason')})")
            if session is self.current_session:
                threading.Thread(target=self._reconnect, name="socket-mode-reconnect", daemon=True).start()
            return
        envelope_id = parsed.get("envelope_id")
        if envelope_id:
            with self._arrived_lock:
                self._arrived_on[str(envelope_id)] = session
        self._on_message(message)

    def _read(self, session: Connection, state: ConnectionState, done: threading.Event) -> None:
        try:
            session.run_until_completion(state)
        except Exception as error:  # the monitor reconnects a connection that stopped being read
            self.logger.error(f"Socket Mode connection stopped: {type(error).__name__}")
        finally:
            done.set()
            with self._arrived_lock:
                self._readers.pop(session.session_id, None)
                for envelope_id in [e for e, s in self._arrived_on.items() if s is session]:
                    del self._arrived_on[envelope_id]

    def _retire(self, session: Connection, state: ConnectionState) -> None:
        # Keep answering what Slack still sends on the old connection until Slack closes it.
        with self._arrived_lock:
            reader_done = self._readers.get(session.session_id)
        if reader_done is not None:
            reader_done.wait(REPLACED_CONNECTION_READ_SECONDS)
        self._stop_reading(session, state)

    @staticmethod
    def _stop_reading(session: Connection, state: ConnectionState) -> None:
        # Shutting the socket down ends the reader's blocking receive now; closing alone waits for it
        # (up to the library's 3 s receive timeout) because both take the same lock.
        state.terminated = True
        sock = session.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        session.close()

    def _reconnect(self) -> None:
        try:
            self.connect_to_new_endpoint(force=True)
        except Exception as error:  # Slack closes the old connection next; on_close reconnects then
            self.logger.error(f"Could not open a new Socket Mode connection: {type(error).__name__}")

    def close(self) -> None:
        self.closed = True
        self.auto_reconnect_enabled = False
        if self.current_session is not None:
            self._stop_reading(self.current_session, self.current_session_state)
        super().close()
        with self._arrived_lock:
            self._arrived_on.clear()


class OverlappingSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler (its ``handle`` and ``connect``) over the overlapping client."""

    def __init__(self, app: App, app_token: str, web_client: WebClient) -> None:
        # Bolt's __init__ would start a built-in client only to throw it away.
        self.app = app
        self.app_token = app_token
        self.client = OverlappingSocketModeClient(app_token=app_token, logger=app.logger, web_client=web_client,
                                                  proxy=web_client.proxy, ping_interval=10)
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


def run_socket_mode(room: WarRoom, *, with_clock: bool = True, stop: threading.Event | None = None) -> None:
    app = create_app(room)
    handler = OverlappingSocketModeHandler(app, room.settings.slack_app_token or "", room.client)
    scheduler: Any = None
    if with_clock:
        from bot.clock import start_in_process

        scheduler = start_in_process(room)
    stop = stop or threading.Event()
    start_watch(room, stop)  # the clock in this process may die while the process lives

    def _stop(*_: object) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    handler.connect()
    log.info("socket mode connected")
    stop.wait()
    handler.close()
    if scheduler is not None:
        scheduler.shutdown(wait=False)
