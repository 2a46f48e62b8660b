"""HTTP: the WSGI application (Slack at POST /slack/events, GET /healthz) served by gunicorn."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.war_room import WarRoom

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread.
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# --- adversarial suite fix (tests/adversarial/test_transport.py): replays and malformed timestamps ---
REPLAY_WINDOW_SECONDS = 5 * 60 + 30  # Slack's signature window (5 min) plus clock skew
REPLAY_MEMORY = 100_000  # signatures remembered at most (oldest forgotten first)


class ReplayGuard:
    """Signatures seen in the last few minutes (this process only).

    Slack's signature proves who sent a body and when, not that it is sent once: a captured request
    replayed within 5 minutes passes verification. Slack never sends the same signature twice (its
    retries carry a new timestamp), so a repeat is refused. With several web workers each remembers
    its own requests: see docs/security.md."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._monotonic = monotonic

    def first_time(self, signature: str) -> bool:
        now = self._monotonic()
        with self._lock:
            while self._seen and (len(self._seen) > REPLAY_MEMORY
                                  or now - next(iter(self._seen.values())) > REPLAY_WINDOW_SECONDS):
                self._seen.popitem(last=False)
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


def _replay_key(environ: dict[str, Any], signature: str) -> str:
    """The signature; for Events API callbacks (JSON) also Slack's retry number: a redelivery of an
    event is signed anew by Slack, but a test or a fast retry may fall in the same second. Handlers
    deduplicate events by event_id; commands and clicks are never retried by Slack."""
    if "json" in environ.get("CONTENT_TYPE", ""):
        return f"{signature}|{environ.get('HTTP_X_SLACK_RETRY_NUM', '')[:3]}"
    return signature


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


def _parsed_body(environ: dict[str, Any], length: int) -> tuple[bytes, Any]:
    """The raw body (put back for Bolt) and what it holds, parsed the way Bolt parses it."""
    stream = environ["wsgi.input"]
    raw = stream.read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        text = raw.decode("utf-8")
        if "json" in environ.get("CONTENT_TYPE", ""):
            return raw, json.loads(text)
        form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
        return raw, json.loads(form["payload"]) if "payload" in form else form
    except ValueError:
        return raw, None


def _answer_or_400(slack: SlackRequestHandler, environ: dict[str, Any],
                   start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Bolt parses the body before any listener runs and raises on a signed but unreadable one
    (`payload={not json`, `payload=[1,2]`): answer 400 instead of the server's 500 page."""
    started = False

    def tracking_start_response(*args: Any) -> Any:
        nonlocal started
        started = True
        return start_response(*args)

    try:
        return slack(environ, tracking_start_response)
    except Exception as error:  # JSONDecodeError, a JSON list where an object is expected, bad bytes…
        if started:
            raise
        log.warning("refused an unreadable request body: %s", type(error).__name__)
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"unreadable request body\n"]


def _unauthorized(start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("401 Unauthorized", [("Content-Type", "text/plain")])
    return [b"invalid request\n"]
# --- end of the adversarial suite fix ---


def wsgi_app(app: App, room: WarRoom) -> Wsgi:
    slack = SlackRequestHandler(app)
    replays = ReplayGuard()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            healthy = room.database.ping()
            body = b"ok\n" if healthy else b"database unreachable\n"
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/slack/events" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
                return [b"request body too large\n"]
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
                return _unauthorized(start_response)  # Bolt would raise on int() and answer 500
            if signature and not replays.first_time(_replay_key(environ, signature)):
                log.warning("refused a replayed request (same signature within 5 minutes)")
                return _unauthorized(start_response)
            _, parsed = _parsed_body(environ, length)
            if malformed_payload(parsed):
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"unreadable request body\n"]
            return _answer_or_400(slack, environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


def build_wsgi(settings_loader: Callable[[], Any] | None = None) -> Wsgi:
    """Build the app in this process (a gunicorn worker, after fork: one engine per process)."""
    from bot.app import create_app
    from bot.bootstrap import build_war_room
    from bot.settings import load_settings

    settings = settings_loader() if settings_loader else load_settings()
    room = build_war_room(settings)
    return wsgi_app(create_app(room), room)


def serve(settings: Any) -> None:
    """`soapbot serve`: gunicorn on 0.0.0.0:$PORT with threaded workers."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{settings.port}")
            self.cfg.set("workers", settings.web_concurrency)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 8)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", settings.log_level.lower())

        def load(self) -> Wsgi:
            return build_wsgi(lambda: settings)

    Server().run()
