"""`soapbot import FILE --program <war-room channel id or program name> [--dry-run] [--columns FILE]`.

Prints the counts (new, updated, unchanged), or every bad row (row, column, reason); unknown
columns once; missing required columns by name. Exit status 0 when the file is good (imported,
or would be with --dry-run), 1 when nothing was imported (bad file, bad mapping, unknown program),
2 for configuration problems (as every soapbot command). The audit actor is `cli:<os user>`.
Cards already posted in Slack for updated applicants are redrawn by the clock (`cards.redraw`),
as after an import shared in Slack.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.cli_commands import EXIT_SCHEMA_BEHIND, Commands, schema_is_current
from bot.errors import WarRoomError
from bot.settings import Settings

EXIT_BAD_FILE = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Import an ERAS applicant export (.csv or .xlsx) into a program's war room."
    parser.add_argument("file", help="the ERAS export (.csv or .xlsx)")
    parser.add_argument("--program", required=True, help="the war-room channel id (G…/C…) or the program's name")
    parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    parser.add_argument("--columns", metavar="FILE", help="a mapping file: their header,our header (docs/import.md)")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


def run_import(database_url: str, file: str, program_key: str, *, dry_run: bool = False,
               columns_file: str | None = None, out: TextIO | None = None, now: datetime | None = None) -> int:
    """The command's work, callable from tests: returns the exit status and writes the report to `out`."""
    from bot.domain.when import program_today
    from bot.eras import ColumnsMappingError, read_columns_mapping
    from bot.messages.candidate_lists import import_lines
    from bot.services.candidate_import import import_export
    from bot.services.programs import find_program
    from storage.database import Database

    stream = out if out is not None else sys.stdout
    write = stream.write
    database = Database(database_url)
    try:
        with database.reading() as session:
            program = find_program(session, program_key)
            program_id, timezone, name = program.id, program.timezone, program.name
        columns = read_columns_mapping(columns_file) if columns_file else None
    except (WarRoomError, ColumnsMappingError) as error:
        write(f"{error}\n")
        return EXIT_BAD_FILE
    except OSError as error:
        write(f"Cannot read the columns file {columns_file}: {error.strerror or error}\n")
        return EXIT_BAD_FILE
    moment = now or datetime.now(UTC)
    result = import_export(database, program_id, file, actor=_actor(), today=program_today(moment, timezone),
                           dry_run=dry_run, columns=columns, now=moment)
    write(f"Program: {name}\n")
    for line in import_lines(result, max_errors=None, esc=str):
        write(line + "\n")
    return 0 if result.ok else EXIT_BAD_FILE


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_is_current(settings.database_url):
        return EXIT_SCHEMA_BEHIND
    return run_import(settings.database_url, args.file, args.program, dry_run=args.dry_run,
                      columns_file=args.columns)


COMMANDS: Commands = {"import": (configure, run)}
