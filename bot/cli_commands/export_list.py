"""`soapbot export-list --program … --round N [--out FILE]`: a locked round's preference list as CSV.

The bytes are exactly those uploaded into the war room when the round was locked (rank, AAMC ID,
name, track; formula-safe; UTF-8 with BOM, CRLF). `--out -` writes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_commands import Commands
from bot.errors import WarRoomError
from bot.services import preference_list
from bot.services.programs import find_program, program_ref
from bot.settings import Settings
from storage.database import Database
from storage.migrate import SchemaBehind, ensure_current


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write a locked round's preference list as CSV (rank, AAMC ID, name, track), "
                          "the same bytes the bot uploaded into the war room when the round was locked.")
    parser.add_argument("--program", required=True, help="war-room channel id or program name")
    parser.add_argument("--round", required=True, type=int, dest="round_number", help="SOAP round number")
    parser.add_argument("--out", help="file to write (default: <program>-soap-round-<N>-preference-list.csv; "
                                      "`-` for standard output)")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    database = Database(settings.database_url)
    try:
        ensure_current(database)
    except SchemaBehind as error:
        print(error, file=sys.stderr)
        return 2
    try:
        with database.reading() as session:
            program = program_ref(find_program(session, args.program))
        data = preference_list.export_csv(database, program.id, args.round_number)
    except WarRoomError as error:
        print(str(error).replace("`", ""), file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    out = Path(args.out or preference_list.csv_filename(program.name, args.round_number))
    out.write_bytes(data)
    print(f"wrote {out} ({len(data)} bytes, round {args.round_number})")
    return 0


COMMANDS: Commands = {"export-list": (_configure, _run)}
