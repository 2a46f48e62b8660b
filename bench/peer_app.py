"""The hand-rolled peer: what a small Bolt bot written for one committee would do for a first card.

`/soap candidate <AAMC ID>`: acknowledge, one read of the applicant (by program and AAMC ID, from the
same database as ours), a card of five fields (name, school, degree, graduation year, visa need), and
one chat.postMessage to the war room, in Bolt's own listener thread after the ack. No committee check,
no claim against a second card, no thread bookkeeping, no audit, no votes or notes on the card.

Served by `bot.web.serve` (the same gunicorn configuration as `soapbot serve` and `bench.bare_app`),
with the same settings (PORT, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, DATABASE_URL,
WEB_CONCURRENCY), so the difference between this and ours is what our card path does.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import create_engine, text

import bot.web
from bot.settings import Settings, SettingsError, load_settings

READ = text("SELECT c.first_name, c.last_name, c.profile, c.graduation_year, c.visa_needed, p.channel_id "
            "FROM candidates c JOIN programs p ON p.id = c.program_id "
            "WHERE p.channel_id = :channel AND c.aamc_id = :aamc")


def peer_app(settings: Settings) -> App:
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    engine = create_engine(settings.database_url, pool_size=10, max_overflow=10)
    app = App(token=settings.slack_bot_token, signing_secret=settings.slack_signing_secret, client=client,
              process_before_response=False)

    @app.command("/soap")
    def card(ack: Ack, command: dict[str, Any]) -> None:
        ack()
        words = str(command.get("text") or "").split()
        if len(words) != 2 or words[0] != "candidate":
            return
        with engine.connect() as connection:
            row = connection.execute(READ, {"channel": command["channel_id"], "aamc": words[1]}).first()
        if row is None:
            return
        profile = row.profile if isinstance(row.profile, dict) else json.loads(row.profile or "{}")
        fields = [("Name", f"{row.first_name} {row.last_name}"), ("AAMC ID", words[1]),
                  ("School", str(profile.get("medical_school") or "–")),
                  ("Graduation", str(row.graduation_year or "–")),
                  ("Visa", {True: "needs a visa", False: "no visa needed"}.get(row.visa_needed, "not stated"))]
        blocks = [{"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields]}]
        client.chat_postMessage(channel=row.channel_id, text=f"{fields[0][1]} ({words[1]})", blocks=blocks)

    return app


def peer_wsgi(settings: Settings) -> bot.web.Wsgi:
    slack = SlackRequestHandler(peer_app(settings))

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        if path == "/slack/events" and method == "POST":
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return application


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2

    def build(settings_loader: Callable[[], Any] | None = None) -> bot.web.Wsgi:
        return peer_wsgi(settings_loader() if settings_loader else settings)

    # bot.web.serve's gunicorn application calls build_wsgi() in each worker: swap only that.
    bot.web.build_wsgi = build
    bot.web.serve(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
