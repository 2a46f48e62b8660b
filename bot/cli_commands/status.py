"""`soapbot status`: the schema, the reminder clock and the Slack token, for an operator or a monitor.

One line each, then exit 0 when all three are right and 1 when any is not (a monitor runs it every
minute). The schema is right when a process of this version may start against it; the clock when
some clock process ticked within 3 minutes; the token when Slack's `auth.test` accepts it.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from bot.cli_commands import Commands
from bot.domain.clock_health import SEEN_WITHIN
from bot.domain.soap_calendar import format_countdown
from bot.settings import Settings

EXIT_WRONG = 1


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Print the state of the database schema, the reminder clock and the Slack token; "
                          "exit 1 when any of them is wrong.")


def _schema(settings: Settings) -> tuple[bool, str]:
    from storage.database import Database
    from storage.migrate import schema_state

    try:
        state = schema_state(Database(settings.database_url))
    except Exception as error:  # an unreachable database is what this command is for
        return False, f"the database cannot be read ({type(error).__name__})"
    return state.runs, state.describe()


def _clock(settings: Settings, now: datetime) -> tuple[bool, str]:
    from bot.services import clock_health
    from storage.database import Database

    try:
        seen = clock_health.clocks(Database(settings.database_url))
    except Exception as error:
        return False, f"the clock's record cannot be read ({type(error).__name__})"
    if not seen:
        return False, "no reminder clock has ticked against this database: start `soapbot clock` (or `soapbot socket`)"
    latest = seen[0]
    ago = format_countdown(latest.ticked_at - now)
    others = f"; {len(seen) - 1} other clock process(es) seen in the last day" if len(seen) > 1 else ""
    if now - latest.ticked_at >= SEEN_WITHIN:
        return False, (f"no reminder clock has ticked for {ago.removesuffix(' ago')} (last: {latest.clock_id}): "
                       f"reminders are not being sent{others}")
    return True, f"{latest.clock_id} ticked {ago}{others}"


def _slack(settings: Settings) -> tuple[bool, str]:
    if not settings.slack_bot_token:
        return False, "SLACK_BOT_TOKEN is not set"
    from slack_sdk.errors import SlackApiError

    from bot.bootstrap import build_war_room

    room = build_war_room(settings)
    try:
        answer = room.gateway.call("auth.test", give_up_at=room.clock() + timedelta(seconds=15))
    except SlackApiError as error:
        return False, f"Slack refused the bot token: {error.response.get('error')}"
    except Exception as error:
        return False, f"Slack could not be reached ({type(error).__name__})"
    return True, f"the bot token works (workspace {answer.get('team')}, bot user {answer.get('user_id')})"


def _run(args: argparse.Namespace, settings: Settings) -> int:
    schema_ok, schema = _schema(settings)
    clock_ok, clock = _clock(settings, datetime.now(UTC)) if schema_ok else (False, "not checked: schema first")
    slack_ok, slack = _slack(settings)
    for name, ok, what in (("schema", schema_ok, schema), ("clock", clock_ok, clock), ("slack", slack_ok, slack)):
        print(f"{name:<7}{'ok' if ok else 'WRONG':<7}{what}")
    return 0 if schema_ok and clock_ok and slack_ok else EXIT_WRONG


COMMANDS: Commands = {"status": (_configure, _run)}
