"""HTTP: the WSGI application (Slack at POST /slack/events, GET /healthz) served by gunicorn."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.war_room import WarRoom

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread.
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App, room: WarRoom) -> Wsgi:
    slack = SlackRequestHandler(app)

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
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


def build_wsgi(settings_loader: Callable[[], Any] | None = None) -> Wsgi:
    """Build the app in this process (a gunicorn worker, after fork: one engine per process)."""
    from bot.app import create_app
    from bot.settings import load_settings
    from bot.war_room import build_war_room

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
