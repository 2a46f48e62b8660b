"""`soapbot export --program …` (the archive a program may keep) and `soapbot purge --program …`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from bot.cli_commands import Commands, FileTaken, output_name, write_new_file
from bot.errors import WarRoomError
from bot.services import records
from bot.services.programs import find_program, program_ref
from bot.settings import Settings
from storage.database import Database
from storage.migrate import SchemaMismatch, ensure_current


def _open(settings: Settings, key: str) -> tuple[Database, int, str]:
    """The database (brought up to date) and the program's id and name; WarRoomError if there is none."""
    database = Database(settings.database_url)
    try:
        ensure_current(database)
    except SchemaMismatch as error:  # said as any refusal is: what to upgrade, the database or the code
        raise WarRoomError(str(error)) from error
    with database.reading() as session:
        program = program_ref(find_program(session, key))
    return database, program.id, program.name


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.description = "Write the program's archive: a zip of formula-safe CSVs (applicants, notes, votes, " \
                         "locked lists, offers, interviews, audit). Keep it where the program keeps records."
    parser.add_argument("--program", required=True, help="war-room channel id or program name")
    parser.add_argument("--out", help="file to write (default: <program>-archive-<date>.zip in the current "
                                      "directory, the program's name reduced to letters, digits and dashes, "
                                      "with -2, -3… when that name is taken); never overwritten")


def _run_export(args: argparse.Namespace, settings: Settings) -> int:
    try:
        database, program_id, name = _open(settings, args.program)
    except WarRoomError as error:
        print(error, file=sys.stderr)
        return 1
    path, chosen = output_name(args.out, records.archive_filename(name, datetime.now(UTC).date()))
    try:
        out = write_new_file(path, records.export_archive(database, program_id), chosen=chosen)
    except FileTaken as error:
        print(error, file=sys.stderr)
        return 1
    taken = "" if out == path else f"; {path} was taken"
    print(f"wrote {out} ({out.stat().st_size} bytes{taken})")
    return 0


def _configure_purge(parser: argparse.ArgumentParser) -> None:
    parser.description = "Delete every applicant's data of a program (after SOAP), keeping anonymous counts."
    parser.add_argument("--program", required=True, help="war-room channel id or program name")
    parser.add_argument("--yes", action="store_true", help="do not ask to type the program's name")


def _run_purge(args: argparse.Namespace, settings: Settings) -> int:
    try:
        database, program_id, name = _open(settings, args.program)
    except WarRoomError as error:
        print(error, file=sys.stderr)
        return 1
    counts = records.purge_counts(database, program_id)
    print("Download the report before purging: `soapbot report --program … --out report.md` (or `/soap report`) "
          "keeps the week's outcome and the accepted applicants; the purge deletes everything else.")
    print(f"This deletes, for good, from {name}:")
    for line in counts.describe():
        print(f"  - {line}")
    if not args.yes:
        typed = input(f"Type the program's name ({name}) to confirm: ")
        try:
            records.confirm_purge(records.ProgramName(name), typed)
        except WarRoomError as error:
            print(error, file=sys.stderr)
            return 1
    if not settings.slack_bot_token:
        try:
            counts, _ = records.purge(database, program_id=program_id, actor="cli", now=datetime.now(UTC))
        except records.DatabaseFileNotClean as error:
            print(error, file=sys.stderr)
            return 1
        print(f"purged {counts.summary()}; anonymous counts kept")
        print("SLACK_BOT_TOKEN is not set, so the bot's messages and files are still in the war room: run this "
              "again with the bot's token (or `/soap purge` in Slack) to delete them")
        return 1
    from bot.bootstrap import build_war_room

    room = build_war_room(settings)
    counts, slack = records.purge_everywhere(room, program_id=program_id, actor="cli")
    print(f"purged {counts.summary()}; anonymous counts kept")
    for line in slack.describe():
        print(line, file=sys.stdout if slack.finished else sys.stderr)
    return 0 if slack.finished else 1


COMMANDS: Commands = {"export": (_configure_export, _run_export), "purge": (_configure_purge, _run_purge)}
