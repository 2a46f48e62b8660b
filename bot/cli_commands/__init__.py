"""CLI commands that features add to `soapbot` (import, export, purge, console…).

Each module here declares its subcommands in `COMMANDS` (name -> (configure parser, run));
`bot.cli` lists the modules whose commands `soapbot` offers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings

Configure = Callable[[argparse.ArgumentParser], None]
RunCommand = Callable[[argparse.Namespace, Settings], int]
Commands = dict[str, tuple[Configure, RunCommand]]


EXIT_SCHEMA_BEHIND = 2


def schema_is_current(database_url: str) -> bool:
    """False, with the reason and what to upgrade (the database or the code) on stderr, when this code
    cannot run against the database."""
    from storage.database import Database
    from storage.migrate import SchemaMismatch, ensure_current

    try:
        ensure_current(Database(database_url))
    except SchemaMismatch as error:
        sys.stderr.write(f"{error}\n")
        return False
    return True


class FileTaken(Exception):
    """The file an operator named exists already (or is a link): the export refuses to write through it."""


def output_name(out: str | None, default: str) -> tuple[Path, bool]:
    """Where an export goes and whether the operator chose the name: `--out FILE`, or the default name
    in the current folder, or in the folder `--out` names (`--out exports/` or an existing folder)."""
    if not out:
        return Path(default), False
    if out.endswith(("/", os.sep)) or Path(out).is_dir():
        return Path(out) / default, False
    return Path(out), True


def write_new_file(name: str | Path, data: bytes, *, chosen: bool) -> Path:
    """Write `data` to a file that did not exist, readable by its owner only (it holds applicants' data), and
    return its path. Never through a symbolic link, never over another file: the default name of an export
    (`chosen` False) that is taken gets `-2`, `-3`…, since two programs whose names differ only in punctuation
    share it; a name the operator chose (`--out`) that is taken raises FileTaken."""
    path = Path(name)
    tries = [path] if chosen else [path, *(path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(2, 1000))]
    # O_EXCL fails on any existing name, a symbolic link included (dangling or not): nothing is followed.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for candidate in tries:
        try:
            descriptor = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        return candidate
    raise FileTaken(f"{path} already exists (or is a link): choose another --out, or move the old file away")
