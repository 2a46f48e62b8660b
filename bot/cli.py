"""`soapbot`: the one command for operators.

  soapbot run        Socket Mode if SLACK_APP_TOKEN is set, HTTP if bot token + signing secret are set,
                     otherwise the local console workspace with demo data
  soapbot serve      HTTP through gunicorn on 0.0.0.0:$PORT (POST /slack/events, GET /healthz)
  soapbot socket     Socket Mode (runs the reminder clock in process)
  soapbot clock      the reminder clock (one per deployment)
  soapbot db upgrade bring the database schema up to date
  soapbot status     the schema, the reminder clock and the Slack token (exit 1 when one is wrong)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli_commands import Commands, console, export_list, import_file, import_plan, records, report, status
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings

EXIT_CONFIG = 2

CREATE_APP_HELP = """\
SOAP War Room has no Slack credentials yet.

To connect it to Slack:
  1. Create the app at https://api.slack.com/apps -> "Create New App" -> "From an app manifest",
     and paste manifest.yml from this repository.
  2. Install it to your workspace and copy the Bot User OAuth Token (xoxb-...) and the Signing Secret.
  3. Put them in .env (copy .env.example): SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
     and for Socket Mode (no public URL needed) an app-level token SLACK_APP_TOKEN (xapp-...).
  4. Run `make run` again.
"""

# Subcommands that features add: name -> (configure parser, run). Declared here, so every `soapbot`
# offers the same commands whatever it imported.
EXTRA_COMMANDS: Commands = {**console.COMMANDS, **export_list.COMMANDS, **import_file.COMMANDS,
                            **import_plan.COMMANDS, **records.COMMANDS, **report.COMMANDS, **status.COMMANDS}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soapbot", description="SOAP War Room: the committee's Slack war room.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="Socket Mode, HTTP, or the local console, by the settings present")
    commands.add_parser("serve", help="serve HTTP through gunicorn on 0.0.0.0:$PORT")
    commands.add_parser("socket", help="run in Socket Mode (needs SLACK_APP_TOKEN)")
    commands.add_parser("clock", help="run the reminder clock (one per deployment)")
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "current"])
    for name, (configure, _) in EXTRA_COMMANDS.items():
        configure(commands.add_parser(name))
    return parser


#: What each process cannot start without, checked together with every malformed value (one message).
REQUIRED_SETTINGS: dict[str, tuple[str, ...]] = {
    "serve": ("slack_bot_token", "slack_signing_secret"),
    "socket": ("slack_bot_token", "slack_app_token"),
    "clock": ("slack_bot_token",),
}


def configure_process() -> None:
    """Process-wide settings, set once as a `soapbot` process starts (not by the app factory, which
    tests and the console also call).

    The GIL is handed over every 1 ms instead of 5: a request thread waiting to acknowledge gets its
    turn sooner while work threads render and query (measured in docs/benchmarks.md)."""
    sys.setswitchinterval(0.001)


def main(argv: Sequence[str] | None = None) -> int:
    configure_process()
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(required=REQUIRED_SETTINGS.get(args.command, ()))
        if _uses_database(args.command, settings):
            _require_database(settings)
        return _dispatch(args, settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG


def _uses_database(command: str, settings: Settings) -> bool:
    """Every command but the console, which keeps its own database."""
    return command != "console" and not (command == "run" and settings.mode == "console")


def _require_database(settings: Settings) -> None:
    """A database that cannot be reached is a setting to fix, said in the same one message."""
    from storage.database import connection_problem

    problem = connection_problem(settings.database_url)
    if problem:
        raise SettingsError({"DATABASE_URL": problem})


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from storage.database import Database
    from storage.migrate import SchemaMismatch, ensure_current, schema_state, upgrade

    if args.command == "db":
        database = Database(settings.database_url)
        try:
            state = upgrade(database) if args.action == "upgrade" else schema_state(database)
        except SchemaMismatch as error:  # ahead past a contract migration: this release cannot serve it
            print(error, file=sys.stderr)
            return EXIT_CONFIG
        print(f"database at revision {state.database} (head {state.code})")
        if state.relation != "current":
            print(state.describe())
        return 0
    if args.command in EXTRA_COMMANDS:
        return EXTRA_COMMANDS[args.command][1](args, settings)

    command = args.command
    if command == "run":
        command = {"socket": "socket", "http": "serve", "console": "console"}[settings.mode]
        if command == "console":
            if "console" in EXTRA_COMMANDS:
                return EXTRA_COMMANDS["console"][1](argparse.Namespace(demo=True, member=None), settings)
            print(CREATE_APP_HELP, file=sys.stderr)
            return EXIT_CONFIG
    settings.require(*REQUIRED_SETTINGS.get(command, ()))  # `run` chose the command from what is set

    database = Database(settings.database_url)
    try:
        ensure_current(database)
    except SchemaMismatch as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG

    if command == "serve":
        from bot.web import serve

        serve(settings)
        return 0
    from bot.bootstrap import build_war_room

    room = build_war_room(settings)
    if command == "socket":
        from bot.socket import run_socket_mode

        run_socket_mode(room)
        return 0
    if command == "clock":
        from bot.clock import run_clock

        # The clock builds no app (whose factory sets logging up for web and socket processes): without
        # this, a reminder it could not send would be logged nowhere.
        configure_logging(settings.log_level)
        run_clock(room)
        return 0
    raise AssertionError(command)


if __name__ == "__main__":
    sys.exit(main())
