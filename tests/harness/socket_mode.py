"""A Socket Mode endpoint on loopback speaking Slack's protocol (docs.slack.dev "Using Socket Mode").

Protocol as Slack documents it:

- the app calls ``apps.connections.open`` (app-level ``xapp-`` token) and gets a one-time WebSocket
  URL; wire this server to the Web API stand-in with ``SlackStandIn.socket_mode = this`` so that
  call returns ``new_connection_url()``;
- on connect the server sends ``{"type": "hello", "num_connections", "debug_info", "connection_info"}``;
- it pushes envelopes ``{"envelope_id", "type": "slash_commands" | "interactive" | "events_api",
  "payload", "accepts_response_payload"}`` (events also carry ``retry_attempt``/``retry_reason``);
- the app acknowledges with ``{"envelope_id": ..., "payload": {...}}`` (payload optional);
- to rotate, the server sends ``{"type": "disconnect", "reason": "refresh_requested", "debug_info"}``,
  the app opens a new connection, and the old one is closed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.console import payloads


class SocketModeStandIn:
    """WebSocket server on ``127.0.0.1`` (free port), run in a daemon thread. Thread-safe."""

    def __init__(self, app_id: str = payloads.APP_ID, *, send_wait: float = 5.0, spread: bool = False) -> None:
        self.app_id = app_id
        self.send_wait = send_wait  # how long send_* waits for a connection to exist
        # False: every envelope goes on the newest connection; True: round robin over the open ones, as
        # Slack spreads envelopes over the connections of several processes.
        self.spread = spread
        self._next_connection = 0
        self._cond = threading.Condition()
        self._open: list[ServerConnection] = []
        self._connection_count = 0
        self._acks: dict[str, dict[str, Any]] = {}
        self._sent_at: dict[str, float] = {}  # envelope_id -> monotonic time it went on the wire
        self._acked_at: dict[str, float] = {}  # envelope_id -> monotonic time its ack arrived
        self._received: list[dict[str, Any]] = []
        self._sent: list[dict[str, Any]] = []
        self._paths: list[str] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._closers: list[threading.Thread] = []

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> SocketModeStandIn:
        if self._server is not None:
            return self
        self._server = serve(self._serve_connection, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-mode-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        with self._cond:
            conns = list(self._open)
        for conn in conns:
            conn.close()
        if server is not None:
            server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        for closer in self._closers:
            closer.join(timeout=5)

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SocketModeStandIn is not started")
        return int(self._server.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/"

    def attach(self, web_api: Any) -> SocketModeStandIn:
        """Make ``web_api`` (a ``SlackStandIn``) answer apps.connections.open with this server's URLs."""
        web_api.socket_mode = self
        return self

    def new_connection_url(self) -> str:
        """A fresh one-time URL, shaped like Slack's ``wss://wss-primary.slack.com/link/?ticket=...&app_id=...``."""
        return f"{self.url}?ticket={uuid.uuid4()}&app_id={self.app_id}"

    # -- inspection -----------------------------------------------------------------------------
    @property
    def connection_count(self) -> int:
        """Connections accepted since start (a reconnect makes it grow)."""
        with self._cond:
            return self._connection_count

    @property
    def open_connections(self) -> int:
        with self._cond:
            return len(self._open)

    @property
    def received(self) -> list[dict[str, Any]]:
        """Every JSON message the client sent (acks included)."""
        with self._cond:
            return list(self._received)

    @property
    def sent(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._sent)

    def wait_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` connections were accepted in total and one is open."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (self._connection_count >= count and self._open):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} Socket Mode connection(s) within {timeout}s, got {self._connection_count}"
                    )
                self._cond.wait(remaining)

    def wait_ack(self, envelope_id: str, timeout: float = 3.0) -> dict[str, Any]:
        """The ack ``{"envelope_id": ..., "payload"?: ...}`` the client sent; AssertionError past ``timeout``
        (Slack's own deadline is 3 seconds)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while envelope_id not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s")
                self._cond.wait(remaining)
            return self._acks[envelope_id]

    def ack_delay(self, envelope_id: str) -> float:
        """Seconds from the envelope going on the wire to its ack arriving (call after ``wait_ack``)."""
        with self._cond:
            return self._acked_at[envelope_id] - self._sent_at[envelope_id]

    # -- sending --------------------------------------------------------------------------------
    def send_envelope(self, envelope: Mapping[str, Any]) -> str:
        """Send a raw envelope on the newest open connection; returns its envelope_id."""
        conn = self._current_connection()
        data = dict(envelope)
        envelope_id = str(data.get("envelope_id", ""))
        with self._cond:
            self._sent.append(data)
            self._sent_at.setdefault(envelope_id, time.monotonic())
        conn.send(json.dumps(data))
        return envelope_id

    def send_command(
        self, payload: Mapping[str, Any], *, envelope_id: str | None = None, accepts_response_payload: bool = True
    ) -> str:
        """A slash command; ``payload`` is ``payloads.slash_command_payload(...)`` (same fields as the HTTP form)."""
        return self.send_envelope(
            {
                "envelope_id": envelope_id or payloads.new_envelope_id(),
                "payload": dict(payload),
                "type": "slash_commands",
                "accepts_response_payload": accepts_response_payload,
            }
        )

    def send_interactive(
        self,
        payload: Mapping[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool | None = None,
    ) -> str:
        """block_actions / view_submission / shortcut ... Slack accepts a response payload for
        view_submission and block_suggestion only, which is the default here."""
        if accepts_response_payload is None:
            accepts_response_payload = payload.get("type") in ("view_submission", "block_suggestion")
        return self.send_envelope(
            {
                "envelope_id": envelope_id or payloads.new_envelope_id(),
                "payload": dict(payload),
                "type": "interactive",
                "accepts_response_payload": accepts_response_payload,
            }
        )

    def send_event(
        self,
        payload: Mapping[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """An Events API delivery. ``payload`` is an ``event_callback`` envelope
        (``payloads.event_callback_payload``) or a bare event, which gets wrapped in one."""
        body = dict(payload) if payload.get("type") == "event_callback" else payloads.event_callback_payload(payload)
        return self.send_envelope(
            {
                "envelope_id": envelope_id or payloads.new_envelope_id(),
                "payload": body,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason,
            }
        )

    def request_refresh(self, grace: float = 2.0, *, linger: float = 0.0) -> None:
        """Send ``disconnect``/``refresh_requested`` on the current connection, then close it once the
        client has opened a new one (or after ``grace`` seconds), as Slack does. ``linger``: keep the old
        connection open that many seconds more after the new one opened, idle, as Slack may; a client
        that reads the new connection only after the old one is gone stalls for that long."""
        conn = self._current_connection()
        with self._cond:
            count_before = self._connection_count
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": self._debug_info()}
        with self._cond:
            self._sent.append(message)
        conn.send(json.dumps(message))

        def close_when_replaced() -> None:
            deadline = time.monotonic() + grace
            with self._cond:
                while self._connection_count <= count_before:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
            if linger > 0:
                time.sleep(linger)  # the server's own pace, not an ordering stand-in
            conn.close()

        closer = threading.Thread(target=close_when_replaced, name="socket-mode-refresh", daemon=True)
        self._closers.append(closer)
        closer.start()

    def drop_connections(self) -> None:
        """Close every open connection without warning (a network blip)."""
        with self._cond:
            conns = list(self._open)
        for conn in conns:
            conn.close()

    # -- internals ------------------------------------------------------------------------------
    def _debug_info(self) -> dict[str, Any]:
        return {"host": "applink-7fc4fdbb64-4x5xq", "build_number": 10, "approximate_connection_time": 18060}

    def _current_connection(self) -> ServerConnection:
        deadline = time.monotonic() + self.send_wait
        with self._cond:
            while not self._open:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no Socket Mode client connected within {self.send_wait}s")
                self._cond.wait(remaining)
            if self.spread:
                self._next_connection += 1
                return self._open[self._next_connection % len(self._open)]
            return self._open[-1]

    def _serve_connection(self, conn: ServerConnection) -> None:
        with self._cond:
            self._open.append(conn)
            self._connection_count += 1
            self._paths.append(conn.request.path if conn.request is not None else "")
            num = len(self._open)
            self._cond.notify_all()
        hello = {
            "type": "hello",
            "num_connections": num,
            "debug_info": self._debug_info(),
            "connection_info": {"app_id": self.app_id},
        }
        with self._cond:
            self._sent.append(hello)
        try:
            conn.send(json.dumps(hello))
            for raw in conn:
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(message, dict):
                    continue
                with self._cond:
                    self._received.append(message)
                    if "envelope_id" in message:
                        self._acks.setdefault(str(message["envelope_id"]), message)
                        self._acked_at.setdefault(str(message["envelope_id"]), time.monotonic())
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if conn in self._open:
                    self._open.remove(conn)
                self._cond.notify_all()


__all__ = ["SocketModeStandIn"]
