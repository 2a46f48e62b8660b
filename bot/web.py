"""HTTP: the WSGI application (Slack at POST /slack/events, GET /healthz) served by gunicorn."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.slack_payloads import malformed_payload
from bot.war_room import WarRoom
from storage.database import forget_inherited_engines
from storage.replays import ReplayStore, ReplayStoreUnavailable, replay_store

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread.
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Slack's signature window is 5 minutes either way; a little more covers clock skew between workers.
REPLAY_WINDOW_SECONDS = 5 * 60 + 30
PRUNE_EVERY_SECONDS = 30.0  # how often a process deletes expired memories (one DELETE, not one per request)
REFUSALS_LOGGED_EVERY_SECONDS = 60.0
MAX_NESTING = 64  # Slack's deepest payloads (rich text inside a view's state) stay far below this


class SignedRequests:
    """Is this exactly what Slack signed, with the app's signing secret, in the last 5 minutes?

    Checked on the raw body before anything parses it (slack_sdk's SignatureVerifier). The SDK reads the
    body as UTF-8; bytes that are not UTF-8 are checked with the same HMAC on the bytes, so a signed but
    unreadable body is answered 400 (a bug to fix) and an unsigned one 401."""

    def __init__(self, signing_secret: str, now: Callable[[], float] = time.time) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._secret = signing_secret.encode()
        self._now = now

    def verified(self, timestamp: str, signature: str, body: bytes) -> bool:
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12 or not signature:
            return False  # the SDK would raise on int() of a non-numeric timestamp
        try:
            return self._verifier.is_valid(body=body.decode("utf-8"), timestamp=timestamp, signature=signature)
        except UnicodeDecodeError:
            if abs(self._now() - int(timestamp)) > 5 * 60:
                return False
            expected = "v0=" + hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + body,
                                        hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, signature)


class ReplayMemory:
    """Verified requests seen until their signature expires, in a store every process shares.

    Slack's signature proves who sent a body and when, not that it is sent once: a captured request
    replayed within 5 minutes verifies again. The key is what the signature covers (timestamp and
    body) and nothing else, so no unsigned header makes a replay new. Only verified requests are
    remembered, so a flood of forged ones cannot grow or flush the memory.

    It fails closed: when the store cannot record a request (the database unreachable, locked or slow),
    `first_time` raises `ReplayStoreUnavailable` and the request is refused, never accepted on this
    process's word alone (another worker could accept its replay). The store is on the acknowledgement
    path, so it is its own pool and one autocommitted statement (storage.replays)."""

    def __init__(self, store: ReplayStore, now: Callable[[], float] = time.time) -> None:
        self._store = store
        self._now = now
        self._lock = threading.Lock()
        self._pruned_at = float("-inf")

    @staticmethod
    def digest(timestamp: str, body: bytes) -> str:
        return hashlib.sha256(b"v0:" + timestamp.encode() + b":" + body).hexdigest()

    def first_time(self, timestamp: str, body: bytes) -> bool:
        now = self._now()
        with self._lock:
            prune = now - self._pruned_at >= PRUNE_EVERY_SECONDS
            if prune:
                self._pruned_at = now
        if prune:
            self._store.forget_expired(datetime.fromtimestamp(now, UTC))
        expires = datetime.fromtimestamp(int(timestamp) + REPLAY_WINDOW_SECONDS, UTC)
        return self._store.remember(self.digest(timestamp, body), expires)


class RefusalLog:
    """One log line per burst of refused requests, not one per request: a flood of forged posts must not
    fill the disk. The first refusal is logged at once; later ones are counted and logged at most once
    a minute, with how many there were."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._logged_at = float("-inf")
        self._counts: dict[str, int] = {}

    def refused(self, why: str) -> None:
        now = self._monotonic()
        with self._lock:
            self._counts[why] = self._counts.get(why, 0) + 1
            if now - self._logged_at < REFUSALS_LOGGED_EVERY_SECONDS:
                return
            counts, self._counts, self._logged_at = self._counts, {}, now
        log.warning("refused %s (worker %d; further refusals are counted and logged once a minute)",
                    ", ".join(f"{n} {what}" for what, n in sorted(counts.items())), os.getpid())


def _depth_within(value: Any, limit: int) -> bool:
    """Nested no deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def parsed_body(raw: bytes, content_type: str) -> Any:
    """What a verified body holds, parsed the way Bolt parses it; None when it cannot be read (not UTF-8,
    not JSON, nested deeper than any Slack payload)."""
    try:
        text = raw.decode("utf-8")
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):  # as Bolt decides
            parsed = json.loads(text)
        else:
            form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, RecursionError):
        return None
    return parsed if _depth_within(parsed, MAX_NESTING) else None


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


def _plain(start_response: Callable[..., Any], status: str, body: bytes) -> Iterable[bytes]:
    # With a length the connection stays open for the next request (a flood costs no reconnects either).
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _unauthorized(start_response: Callable[..., Any]) -> Iterable[bytes]:
    return _plain(start_response, "401 Unauthorized", b"invalid request\n")


def _unreadable(start_response: Callable[..., Any]) -> Iterable[bytes]:
    return _plain(start_response, "400 Bad Request", b"unreadable request body\n")


NOT_RECORDED = (":warning: The war room could not check this request just now (its database is not answering), "
                "so nothing was done. Send it again in a minute.")


def _not_recorded(start_response: Callable[..., Any], parsed: Any) -> Iterable[bytes]:
    """The replay memory could not record a verified request: refuse it, retryably. A slash command
    (which Slack never retries) gets an answer the person reads; everything else gets 503 with
    Retry-After, which Slack's event delivery retries and shows as a failure on a button or a modal."""
    if isinstance(parsed, dict) and isinstance(parsed.get("command"), str):
        body = json.dumps({"response_type": "ephemeral", "text": NOT_RECORDED}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    body = b"try again shortly\n"
    start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "5"),
                                               ("Content-Length", str(len(body)))])
    return [body]


def wsgi_app(app: App, room: WarRoom) -> Wsgi:
    """Slack's requests are checked here, in this order, before Bolt sees them: size, signature on the raw
    body, replay, then parsing. Bolt checks the signature again (harmless)."""
    slack = SlackRequestHandler(app)
    signed = SignedRequests(room.settings.slack_signing_secret or "")
    replays = ReplayMemory(replay_store(room.database.url))
    refusals = RefusalLog()

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
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)  # put back for Bolt
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            if not signed.verified(timestamp, environ.get("HTTP_X_SLACK_SIGNATURE", ""), raw):
                refusals.refused("unsigned or forged requests")
                return _unauthorized(start_response)
            try:
                first_time = replays.first_time(timestamp, raw)
            except ReplayStoreUnavailable:
                refusals.refused("requests the replay memory could not record")
                return _not_recorded(start_response, parsed_body(raw, environ.get("CONTENT_TYPE", "")))
            if not first_time:
                refusals.refused("replayed requests")
                return _unauthorized(start_response)
            parsed = parsed_body(raw, environ.get("CONTENT_TYPE", ""))
            if parsed is None or malformed_payload(parsed):
                log.warning("refused a signed request with an unreadable body")
                return _unreadable(start_response)
            return _answer_or_400(slack, environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


# Work threads per web worker unless WORK_THREADS says otherwise: as many as gunicorn's request threads.
# A first card spends most of its time waiting on the database and on Slack, not holding the interpreter;
# with 2 threads a process ran two cards at a time and first cards queued from about 40 a second on
# (open-loop measurements in docs/benchmarks.md).
WEB_WORK_THREADS = 8


def with_web_work_pool(settings: Any) -> Any:
    if "work_threads" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"work_threads": WEB_WORK_THREADS})


def build_wsgi(settings_loader: Callable[[], Any] | None = None) -> Wsgi:
    """Build the app in this process (a gunicorn worker, after fork: one engine per process)."""
    from bot.app import create_app
    from bot.bootstrap import build_war_room
    from bot.clock_watch import start_watch
    from bot.settings import load_settings

    forget_inherited_engines()  # `soapbot serve` checked the schema in the master before forking
    settings = with_web_work_pool(settings_loader() if settings_loader else load_settings())
    room = build_war_room(settings)
    start_watch(room)  # each worker looks at the clock; the database decides who posts an alarm
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
