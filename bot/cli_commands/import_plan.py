"""`soapbot import-plan FILE --program <war-room channel id or program name>`: the pre-SOAP plan.

Prints what the plan holds now, or every bad row (row, column, reason). Exit status 0 when the
plan was imported, 1 when nothing was (bad file, unknown program), 2 for configuration problems
(as every soapbot command). The audit actor is `cli:<os user>`. The plan's notes for applicants
already in SOAP are posted in their threads by the clock (`plan.notes`) within a minute.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TextIO

from bot.cli_commands import EXIT_SCHEMA_BEHIND, Commands, schema_is_current
from bot.cli_commands.import_file import _actor
from bot.errors import WarRoomError
from bot.settings import Settings

EXIT_BAD_FILE = 1


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Import the program's pre-SOAP plan (.csv or .xlsx: AAMC ID, Applicant Name, Pre-SOAP, "
                          "optional Interviewed, Rotated Here, Home Student, Note); it replaces the plan.")
    parser.add_argument("file", help="the plan (.csv or .xlsx)")
    parser.add_argument("--program", required=True, help="the war-room channel id (G…/C…) or the program's name")


def run_import_plan(database_url: str, file: str, program_key: str, *, out: TextIO | None = None,
                    now: datetime | None = None) -> int:
    """The command's work, callable from tests: returns the exit status and writes the report to `out`."""
    from bot.domain.when import program_today
    from bot.messages.plan import plan_import_lines
    from bot.services.plan import import_plan
    from bot.services.programs import find_program
    from storage.database import Database

    write = (out if out is not None else sys.stdout).write
    database = Database(database_url)
    try:
        with database.reading() as session:
            program = find_program(session, program_key)
            program_id, timezone, name = program.id, program.timezone, program.name
    except WarRoomError as error:
        write(f"{error}\n")
        return EXIT_BAD_FILE
    moment = now or datetime.now(UTC)
    result = import_plan(database, program_id, file, actor=_actor(), today=program_today(moment, timezone),
                         now=moment)
    write(f"Program: {name}\n")
    for line in plan_import_lines(result, esc=str):
        write(line + "\n")
    return 0 if result.ok else EXIT_BAD_FILE


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_is_current(settings.database_url):
        return EXIT_SCHEMA_BEHIND
    return run_import_plan(settings.database_url, args.file, args.program)


COMMANDS: Commands = {"import-plan": (configure, run)}
