"""Import speed: 5,000 ERAS rows into SQLite through our import service vs bare `csv` + `executemany`.

Both sides start from the same CSV file on disk (synthetic rows from `tests.factories`, Excel style:
UTF-8 BOM, CRLF) and write into a fresh SQLite file in WAL mode with foreign keys on (our engine's
pragmas), and both include reading the file:

- ours: `bot.services.candidates.import_export(...)`: header matching, pydantic validation of every
  row, derived fields and triage, the profile as JSON, one transaction with executemany batches and an
  audit event. The schema and the program are created before the clock starts.
- bare: `csv.reader` over the file, then one `executemany` of the same rows into a table with one
  TEXT column per CSV column, in one transaction.

Each side runs `repeats` times on a fresh database; the figure is the best (fastest) run, the one
least disturbed by whatever else the machine was doing, and the ratio is best(ours) / best(bare).
Also timed: the read and validation step alone (`bot.eras_export.read_export`), so the doc can say
where our time goes.
"""

from __future__ import annotations

import csv
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from bench import COMMITTEE, DIRECTOR, TEAM_ID, WAR_ROOM, ratio

IMPORT_ROWS = 5_000
TODAY = date(2026, 3, 17)  # the Tuesday of SOAP week 2026: review starts


def write_synthetic_export(path: Path, rows: int, start: int = 0) -> Path:
    """`rows` synthetic applicants (a realistic mix, never real people) as an ERAS-style CSV."""
    from tests.factories import applicant_rows, write_export

    return write_export(path, applicant_rows(rows, start=start), "csv")


def prepare_program(database_url: str) -> int:
    """A migrated database with one program (war room `WAR_ROOM`, director `DIRECTOR`); its id."""
    from bot.services.programs import ChannelFacts, setup_war_room
    from storage.database import Database
    from storage.migrate import upgrade

    database = Database(database_url)
    upgrade(database)
    program, _ = setup_war_room(database, name="Internal Medicine – Bench", team_id=TEAM_ID,
                                channel=ChannelFacts(WAR_ROOM, is_private=True), user_id=DIRECTOR,
                                timezone="America/New_York", members=frozenset(COMMITTEE))
    return program.id


def import_ours(database_url: str, program_id: int, export: Path) -> Any:
    from bot.services.candidates import import_export
    from storage.database import Database

    result = import_export(Database(database_url), program_id, export, actor=DIRECTOR, today=TODAY)
    if not result.ok or result.new == 0:
        raise RuntimeError(f"bench import failed: problem={result.problem!r} errors={len(result.errors)} "
                           f"missing={result.missing_required}")
    return result


def import_bare(db_path: Path, export: Path) -> int:
    """csv.reader + executemany into an equivalent all-TEXT table; returns the rows written."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        with export.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
            conn.execute(f"CREATE TABLE applicants (id INTEGER PRIMARY KEY, {columns})")
            marks = ", ".join("?" for _ in header)
            rows = [row for row in reader if row]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO applicants ({', '.join(f'c{i}' for i in range(len(header)))}) "
                         f"VALUES ({marks})", rows)
        conn.execute("COMMIT")
        return len(rows)
    finally:
        conn.close()


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def run(rows: int = IMPORT_ROWS, repeats: int = 5) -> dict[str, Any]:
    import bot.services.candidates  # noqa: F401 (imported before any clock starts)
    from bot.eras_export import read_export
    from storage.database import dispose_engines

    with tempfile.TemporaryDirectory(prefix="soap-bench-import-") as tmp:
        work = Path(tmp)
        export = write_synthetic_export(work / "export.csv", rows)
        ours: list[float] = []
        bare: list[float] = []
        read_only: list[float] = []
        written = 0
        for attempt in range(repeats):
            url = f"sqlite:///{work / f'ours-{attempt}.db'}"
            program_id = prepare_program(url)
            seconds, result = _timed(partial(import_ours, url, program_id, export))
            ours.append(seconds)
            written = result.new
            seconds, count = _timed(partial(import_bare, work / f"bare-{attempt}.db", export))
            bare.append(seconds)
            if count != rows:
                raise RuntimeError(f"bare import wrote {count} rows, expected {rows}")
            seconds, report = _timed(partial(read_export, export))
            read_only.append(seconds)
            if len(report.rows) != rows:
                raise RuntimeError(f"read_export gave {len(report.rows)} rows, expected {rows}")
            dispose_engines()
        ours_s, bare_s, read_s = min(ours), min(bare), min(read_only)
        return {
            "rows": rows,
            "imported": written,
            "repeats": repeats,
            "file_bytes": export.stat().st_size,
            "ours_s": round(ours_s, 3),
            "bare_s": round(bare_s, 3),
            "ratio": ratio(ours_s, bare_s),
            "ours_samples_s": [round(s, 3) for s in ours],
            "bare_samples_s": [round(s, 3) for s in bare],
            "read_validate_s": round(read_s, 3),
            "write_s": round(max(ours_s - read_s, 0.0), 3),
            "rows_per_s": round(rows / ours_s) if ours_s else None,
            "target_ratio": 3.0,
            "met": bool(bare_s and ours_s / bare_s <= 3.0),
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
