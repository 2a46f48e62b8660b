"""CLI commands that features add to `soapbot` (import, export, purge, console…).

Each module here declares its subcommands in `COMMANDS` (name -> (configure parser, run));
`bot.cli` lists the modules whose commands `soapbot` offers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from bot.settings import Settings

Configure = Callable[[argparse.ArgumentParser], None]
RunCommand = Callable[[argparse.Namespace, Settings], int]
Commands = dict[str, tuple[Configure, RunCommand]]


EXIT_SCHEMA_BEHIND = 2


def schema_is_current(database_url: str) -> bool:
    """False, with the reason and the command that fixes it on stderr, when the database is behind the code."""
    from storage.database import Database
    from storage.migrate import SchemaBehind, ensure_current

    try:
        ensure_current(Database(database_url))
    except SchemaBehind as error:
        sys.stderr.write(f"{error}\n")
        return False
    return True
