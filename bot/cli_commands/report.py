"""`soapbot report --program … [--out FILE|-] [--csv FILE]`: the chair's report, as `/soap report` posts it.

The Markdown (with the accepted applicants' CSV at its end) goes to `--out` (default: the file name
`/soap report` uploads, like `internal-medicine-chair-report-20270319.md`; `-` for standard output);
`--csv` also writes the accepted applicants as a CSV file of its own. Read-only: it changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli_commands import EXIT_SCHEMA_BEHIND, Commands, schema_is_current
from bot.errors import WarRoomError
from bot.services import chair_report
from bot.services.programs import find_program, program_ref
from bot.settings import Settings
from storage.database import Database


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Write the chair's report (Markdown): positions per program code, each round's list and "
                          "offers, the committee's work, missed deadlines and alarms, and the accepted applicants "
                          "as CSV for onboarding. Keep it: the purge deletes everything else.")
    parser.add_argument("--program", required=True, help="war-room channel id or program name")
    parser.add_argument("--out", help="file to write (default: like internal-medicine-chair-report-20270319.md; "
                                      "`-` for standard output)")
    parser.add_argument("--csv", help="also write the accepted applicants as a CSV file")


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if not schema_is_current(settings.database_url):
        return EXIT_SCHEMA_BEHIND
    database = Database(settings.database_url)
    now = datetime.now(UTC)
    try:
        with database.reading() as session:
            program = program_ref(find_program(session, args.program))
        report, markdown, accepted = chair_report.report_files(database, program.id, now)
    except WarRoomError as error:
        print(str(error).replace("`", ""), file=sys.stderr)
        return 1
    if args.csv:
        Path(args.csv).write_bytes(accepted)
    if args.out == "-":
        sys.stdout.buffer.write(markdown)
        sys.stdout.buffer.flush()
        return 0
    out = Path(args.out or chair_report.report_filenames(program.name, program.timezone, now)[0])
    out.write_bytes(markdown)
    print(f"wrote {out} ({len(markdown)} bytes; {len(report.accepted)} accepted applicants)")
    return 0


COMMANDS: Commands = {"report": (_configure, _run)}
