"""CLI commands that features add to `soapbot` (import, export, purge, console…).

Each module here declares its subcommands in `COMMANDS` (name -> (configure parser, run));
`bot.cli` lists the modules whose commands `soapbot` offers.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot.settings import Settings

Configure = Callable[[argparse.ArgumentParser], None]
RunCommand = Callable[[argparse.Namespace, Settings], int]
Commands = dict[str, tuple[Configure, RunCommand]]
