"""`soapbot export-list --program … --round N [--code CODE] [--out FILE]`: a locked list as CSV.

Each NRMP program code has its own list (`../shared/DOMAIN.md` §2), so a round of a program with
several codes needs `--code` (a code or its label). The bytes are exactly those uploaded into the
war room when the round was locked (rank, AAMC ID, name, track; formula-safe; UTF-8 with BOM, CRLF),
and the default file name is the upload's (`internal-medicine-1234140C0-round-1.csv`, `-2`, `-3`… when
taken: an existing file or link is never written through). `--out -` writes to standard output.
"""

from __future__ import annotations

import argparse
import sys

from bot.cli_commands import (
    EXIT_SCHEMA_BEHIND,
    Commands,
    FileTaken,
    output_name,
    schema_is_current,
    write_new_file,
)
from bot.errors import WarRoomError
from bot.services import preference_list
from bot.services.programs import find_program, program_ref
from bot.settings import Settings
from storage.database import Database


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write a locked round's preference list (one per program code) as CSV (rank, AAMC ID, "
                          "name, track), the same bytes the bot uploaded into the war room when it was locked.")
    parser.add_argument("--program", required=True, help="war-room channel id or program name")
    parser.add_argument("--round", required=True, type=int, dest="round_number", help="SOAP round number")
    parser.add_argument("--code", help="NRMP program code or its label (needed when the round has one list "
                                       "per code)")
    parser.add_argument("--out", help="file to write (default: the name of the file uploaded at the lock, like "
                                      "internal-medicine-1234140C0-round-1.csv, with -2, -3… when that name is taken; "
                                      "`-` for standard output); never overwritten")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_is_current(settings.database_url):
        return EXIT_SCHEMA_BEHIND
    database = Database(settings.database_url)
    try:
        with database.reading() as session:
            program = program_ref(find_program(session, args.program))
        locked, data = preference_list.export_csv(database, program.id, args.round_number, args.code)
    except WarRoomError as error:
        print(str(error).replace("`", ""), file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    name, chosen = output_name(args.out, preference_list.locked_filename(program.name, locked))
    try:
        out = write_new_file(name, data, chosen=chosen)
    except FileTaken as error:
        print(error, file=sys.stderr)
        return 1
    which = f", {locked.code}" if locked.code else ""
    taken = "" if str(out) == str(name) else f"; {name} was taken"
    print(f"wrote {out} ({len(data)} bytes, round {args.round_number}{which}{taken})")
    return 0


COMMANDS: Commands = {"export-list": (_configure, _run)}
