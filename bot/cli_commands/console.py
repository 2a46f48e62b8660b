"""`soapbot console [--as <member>] [--demo] [--now ISO-TIME]`: the local war room in the terminal.

`soapbot run` with no Slack credentials calls this with `Namespace(demo=True, member=None)`
(see bot.cli), so `make run` on a fresh clone opens the demo. See bot/console.py and docs/console.md.
"""

from __future__ import annotations

import argparse

from bot.cli_commands import Commands
from bot.settings import Settings


def _configure(parser: argparse.ArgumentParser) -> None:
    from bot.console import configure_parser

    configure_parser(parser)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import run_console

    return run_console(settings, demo=bool(getattr(args, "demo", False)), member=getattr(args, "member", None),
                       now=getattr(args, "now", None))


COMMANDS: Commands = {"console": (_configure, _run)}
