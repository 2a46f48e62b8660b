"""The floor of our stack: a Bolt app that only acknowledges `/soap`, served exactly like ours.

`python -m bench.bare_app` reads the same settings as `soapbot serve` (PORT, SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL, WEB_CONCURRENCY, LOG_LEVEL) and runs `bot.web.serve`, i.e. the
very same gunicorn configuration (gthread workers, threads, timeout, bind); only the WSGI
application that each worker loads is swapped for this one. So the difference between the two
servers is our app (middleware, router, gate, services, Block Kit, Web API calls after the ack),
not the server.

The bare app keeps what every Bolt app over HTTP has: request signature verification, Bolt's
listener runner (ack in the listener thread pool, `process_before_response=False` like ours), the
same body-size check and `/healthz` route shape (without a database, which it does not have).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

import bot.web
from bot.settings import Settings, SettingsError, load_settings


def bare_app(settings: Settings) -> App:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    app = App(token=settings.slack_bot_token, signing_secret=settings.slack_signing_secret, client=client,
              process_before_response=False)

    @app.command("/soap")
    def only_ack(ack: Ack) -> None:
        ack()

    return app


def bare_wsgi(settings: Settings) -> bot.web.Wsgi:
    slack = SlackRequestHandler(bare_app(settings))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        if path == "/slack/events" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > bot.web.MAX_BODY_BYTES:
                start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
                return [b"request body too large\n"]
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


def main() -> int:
    try:
        settings = load_settings()
        settings.require("slack_bot_token", "slack_signing_secret")
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    def build(settings_loader: Callable[[], Any] | None = None) -> bot.web.Wsgi:
        return bare_wsgi(settings_loader() if settings_loader else settings)

    # bot.web.serve's gunicorn application calls build_wsgi() in each worker: swap only that.
    bot.web.build_wsgi = build
    bot.web.serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
