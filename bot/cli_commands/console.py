"""`soapbot console [--as <member>] [--demo] [--now ISO-TIME]`: the local war room in the terminal.

`soapbot run` with no Slack credentials calls this with `Namespace(demo=True, member=None)`
(see bot.cli), so `make run` on a fresh clone opens the demo. See bot/console/ and docs/console.md.
The console package is imported only when the command runs: no other process loads it.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli_commands import Commands
from bot.settings import Settings


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("A local war room in the terminal: the real app, with a stand-in for Slack. "
                          "Nothing reaches Slack.")
    parser.add_argument("--demo", action="store_true",
                        help="a synthetic program with ~300 applicants, in var/demo.db (rebuilt each time)")
    parser.add_argument("--as", dest="member", metavar="MEMBER",
                        help="act as this committee member (name, handle or user id)")
    parser.add_argument("--now", type=_iso_time, default=None, metavar="ISO-TIME",
                        help="start the console clock at this time (e.g. 2027-03-18T08:50-04:00)")


def _iso_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console.launch import run_console

    return run_console(settings, demo=bool(getattr(args, "demo", False)), member=getattr(args, "member", None),
                       now=getattr(args, "now", None))


COMMANDS: Commands = {"console": (_configure, _run)}
