"""Import speed: 5,000 ERAS rows into SQLite through our import service vs bare `csv` + `executemany`.

Both sides start from the same CSV file on disk (synthetic rows from `tests.factories`, Excel style:
UTF-8 BOM, CRLF) and write into a fresh SQLite file in WAL mode with foreign keys on (our engine's
pragmas), and both include reading the file:

- ours: `bot.services.candidate_import.import_export(...)`: header matching, pydantic validation of every
  row, derived fields and triage, the profile as JSON, one transaction with executemany batches and an
  audit event. The schema and the program are created before the clock starts.
- bare: `csv.reader` over the file, then one `executemany` of the same rows into a table with one
  TEXT column per CSV column, in one transaction.

The same 5,000 applicants are also imported from an export in the archive shape PDWS produces
(`write_archive_export`: one `Applicant Name` in capitals, `Medical Degree`, `Medical School Degree Date
of Graduation`, AOA phrases, Y/N red flags, `Tracks Applied by Applicant` and `_1`, ignored columns):
`archive_s` beside `ours_s`, against the same bare import of that file (`archive_bare_s`).

Each side runs `repeats` times on a fresh database; the figure is the best (fastest) run, the one
least disturbed by whatever else the machine was doing, and the ratio is best(ours) / best(bare).
Also timed: the read and validation step alone (`bot.eras.read_export`), so the doc can say
where our time goes, and three parts of a floor that no import meeting issue #3 can go under:

- `csv_read_s`: `csv.reader` over the file alone (the first half of the bare side);
- `store_floor_s`: the rows exactly as our import stored them (read back from our database), written
  with one raw `sqlite3` `executemany` into a fresh copy of our schema (its indexes, unique key and
  foreign key): storing what `/soap find` and the card need, with no Python work at all;
- `validate_floor_s`: `ApplicantProfile.model_validate` alone on the 5,000 already-typed rows (what
  "each row is validated by a pydantic model" costs before any cell is parsed); `validate_leanest_s`
  the same with the leanest model pydantic allows for these fields (`leanest_profile_model`).

`floor_ratio` = (csv_read + store_floor + validate_floor) / bare; `floor_leanest_s` is that floor
with `validate_leanest_s` instead.
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
from typing import Annotated, Any

from pydantic import ConfigDict, Field, create_model
from typing_extensions import TypedDict

from bench import COMMITTEE, DIRECTOR, TEAM_ID, WAR_ROOM, ratio

IMPORT_ROWS = 5_000
TODAY = date(2026, 3, 17)  # the Tuesday of SOAP week 2026: review starts


def write_synthetic_export(path: Path, rows: int, start: int = 0) -> Path:
    """`rows` synthetic applicants (a realistic mix, never real people) as an ERAS-style CSV."""
    from tests.factories import applicant_rows, write_export

    return write_export(path, applicant_rows(rows, start=start), "csv")


#: The archive shape (../shared/DOMAIN.md §4): one `Applicant Name`, `Medical Degree`, `Medical School Degree
#: Date of Graduation`, `Alpha Omega Alpha` phrases, Y/N red flags, `Tracks Applied by Applicant` and `_1`.
ARCHIVE_HEADER = ("AAMC ID", "Applicant Name", "Medical School of Graduation", "Medical School Country",
                  "Medical School State/Province", "Medical School Type", "Medical Degree",
                  "Medical School Degree Date of Graduation", "USMLE Step 1 Score", "USMLE Step 2 CK Score",
                  "COMLEX-USA Level 1 Score", "COMLEX-USA Level 2 CE Score", "Citizenship", "Visa Sponsorship Needed",
                  "Expected Visa Status", "Alpha Omega Alpha", "Misdemeanor Conviction", "Felony Conviction",
                  "Permanent State", "Preferred Phone", "Tracks Applied by Applicant", "Tracks Applied by Applicant_1",
                  "Gender", "Date of Birth", "Count of Poster Presentation")
_AOA_PHRASES = ("Alpha Omega Alpha (Member of AOA)", "No Alpha Omega Alpha (AOA) chapter at my school",
                "Alpha Omega Alpha (AOA) elections held during senior year", "")
_TRACKS = ("Internal Medicine|1234140C0 (Categorical)", "Internal Medicine|1234140P0 (Preliminary)")
_DEGREES = {"MD": "M.D.", "DO": "D.O.", "MBBS": "M.B.,B.S."}


def write_archive_export(path: Path, rows: int, start: int = 0) -> Path:
    """The same synthetic applicants as `write_synthetic_export`, in the archive shape PDWS produces:
    names as `LAST, FIRST` in capitals, degrees and dates as PDWS writes them, AOA as phrases, Y/N flags."""
    import io

    from tests.factories import applicant_rows

    def yn(value: object) -> str:
        return {"Yes": "Y", "No": "N"}.get(str(value or ""), "")

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ARCHIVE_HEADER)
    for index, row in enumerate(applicant_rows(rows, start=start)):
        month, _, year = str(row.get("Medical School Graduation Date", "")).rpartition("/")
        writer.writerow([
            row["AAMC ID"], f"{row['Last Name'].upper()}, {row['First Name'].upper()}",
            row.get("Medical School of Graduation", ""), row.get("Medical School Country", ""),
            row.get("Medical School State/Province") or "", row.get("Medical School Type", ""),
            _DEGREES.get(str(row.get("Degree")), row.get("Degree", "")), f"{month[:2]}/{year}" if year else "",
            row.get("USMLE Step 1 Score") or "", row.get("USMLE Step 2 CK Score") or "",
            row.get("COMLEX-USA Level 1 Score") or "", row.get("COMLEX-USA Level 2 CE Score") or "",
            row.get("Citizenship", ""), yn(row.get("Visa Sponsorship Needed")), row.get("Expected Visa Status") or "",
            _AOA_PHRASES[index % len(_AOA_PHRASES)], yn(row.get("Misdemeanor Conviction")),
            yn(row.get("Felony Conviction")), row.get("Permanent State") or "", f"(555) 010-{index % 10000:04d}",
            _TRACKS[0], _TRACKS[1] if index % 3 == 0 else "", "", "", "0",
        ])
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode())  # as Excel saves "CSV UTF-8"
    return path


def prepare_program(database_url: str) -> int:
    """A migrated database with one program (war room `WAR_ROOM`, director `DIRECTOR`); its id."""
    from bot.bootstrap import SETUP_HOOKS
    from bot.services.programs import ChannelFacts, setup_war_room
    from storage.database import Database
    from storage.migrate import upgrade

    database = Database(database_url)
    upgrade(database)
    program, _ = setup_war_room(database, name="Internal Medicine – Bench", team_id=TEAM_ID,
                                channel=ChannelFacts(WAR_ROOM, is_private=True), user_id=DIRECTOR,
                                timezone="America/New_York", members=frozenset(COMMITTEE), seed=SETUP_HOOKS)
    return program.id


def import_ours(database_url: str, program_id: int, export: Path) -> Any:
    from bot.services.candidate_import import import_export
    from storage.database import Database

    result = import_export(Database(database_url), program_id, export, actor=DIRECTOR, today=TODAY)
    if not result.ok or result.new == 0:
        raise RuntimeError(f"bench import failed: problem={result.problem!r} errors={len(result.errors)} "
                           f"missing={result.missing_required}")
    return result


def _insert_in_one_transaction(db_path: Path, table: str, columns: list[str], rows: list[Any],
                               create: str | None = None) -> int:
    """One raw `executemany` of `rows` into `table`, in one transaction, with our engine's pragmas
    (WAL, foreign keys on); `create` makes the table first. Returns the rows written."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        if create:
            conn.execute(create)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                         rows)
        conn.execute("COMMIT")
        return len(rows)
    finally:
        conn.close()


def import_bare(db_path: Path, export: Path) -> int:
    """csv.reader + executemany into an equivalent all-TEXT table; returns the rows written."""
    with export.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for row in reader if row]
    columns = [f"c{i}" for i in range(len(header))]
    create = f"CREATE TABLE applicants (id INTEGER PRIMARY KEY, {', '.join(f'{c} TEXT' for c in columns)})"
    return _insert_in_one_transaction(db_path, "applicants", columns, rows, create=create)


def read_csv_only(export: Path) -> int:
    with export.open(newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def stored_rows(db_path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The candidates rows our import wrote (every column but the id), for the store floor."""
    conn = sqlite3.connect(db_path)
    try:
        cursor = conn.execute("SELECT * FROM candidates ORDER BY id")
        columns = [description[0] for description in cursor.description][1:]
        return columns, [row[1:] for row in cursor.fetchall()]
    finally:
        conn.close()


def store_raw(db_path: Path, columns: list[str], rows: list[tuple[Any, ...]]) -> int:
    """One raw executemany of finished rows into our schema (a migrated database with the program)."""
    return _insert_in_one_transaction(db_path, "candidates", columns, rows)


def validate_only(typed_rows: list[dict[str, Any]], model: Any = None) -> int:
    from bot.domain.candidates import ApplicantProfile

    model = model or ApplicantProfile
    return len([model.model_validate(row) for row in typed_rows])


class LeanExam(TypedDict, total=False):
    score: Annotated[int, Field(ge=1, le=999)] | None
    passed: bool | None
    attempts: Annotated[int, Field(ge=0, le=20)] | None
    failures: Annotated[int, Field(ge=0, le=20)]


def leanest_profile_model() -> Any:
    """ApplicantProfile's fields with nothing run in Python: no field validators, exams as plain
    TypedDicts instead of models. The cheapest per-row pydantic validation the import could have."""
    from bot.domain.candidates import ApplicantProfile

    fields: dict[str, Any] = {name: (info.annotation, info) for name, info in ApplicantProfile.model_fields.items()}
    fields["exams"] = (dict[str, LeanExam], Field(default_factory=dict))
    config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)
    return create_model("LeanestProfile", __config__=config, **fields)


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def run(rows: int = IMPORT_ROWS, repeats: int = 5) -> dict[str, Any]:
    import bot.services.candidate_import  # noqa: F401 (imported before any clock starts)
    from bot.eras import read_export
    from storage.database import dispose_engines

    with tempfile.TemporaryDirectory(prefix="soap-bench-import-") as tmp:
        work = Path(tmp)
        export = write_synthetic_export(work / "export.csv", rows)
        archive = write_archive_export(work / "archive.csv", rows)
        archive_ours: list[float] = []
        archive_bare: list[float] = []
        ours: list[float] = []
        bare: list[float] = []
        read_only: list[float] = []
        csv_only: list[float] = []
        store_only: list[float] = []
        validate: list[float] = []
        validate_lean: list[float] = []
        lean = leanest_profile_model()
        written = profile_bytes = 0
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
            seconds, _ = _timed(partial(read_csv_only, export))
            csv_only.append(seconds)
            columns, finished = stored_rows(work / f"ours-{attempt}.db")
            at = columns.index("profile")
            profile_bytes = round(sum(len(str(row[at]).encode()) for row in finished) / len(finished))
            floor_db = work / f"floor-{attempt}.db"
            prepare_program(f"sqlite:///{floor_db}")
            dispose_engines()
            seconds, _ = _timed(partial(store_raw, floor_db, columns, finished))
            store_only.append(seconds)
            url = f"sqlite:///{work / f'archive-{attempt}.db'}"
            program_id = prepare_program(url)
            seconds, result = _timed(partial(import_ours, url, program_id, archive))
            archive_ours.append(seconds)
            if result.new != rows:
                raise RuntimeError(f"archive import wrote {result.new} rows, expected {rows}")
            seconds, _ = _timed(partial(import_bare, work / f"archive-bare-{attempt}.db", archive))
            archive_bare.append(seconds)
            typed = [imported.profile.model_dump() for imported in report.rows]
            seconds, _ = _timed(partial(validate_only, typed))
            validate.append(seconds)
            seconds, _ = _timed(partial(validate_only, typed, lean))
            validate_lean.append(seconds)
            dispose_engines()
        ours_s, bare_s, read_s = min(ours), min(bare), min(read_only)
        floor_s = min(csv_only) + min(store_only) + min(validate)
        floor_leanest_s = min(csv_only) + min(store_only) + min(validate_lean)
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
            "csv_read_s": round(min(csv_only), 3),
            "store_floor_s": round(min(store_only), 3),
            "validate_floor_s": round(min(validate), 3),
            "validate_leanest_s": round(min(validate_lean), 3),
            "profile_json_bytes": profile_bytes,
            "floor_s": round(floor_s, 3),
            "floor_leanest_s": round(floor_leanest_s, 3),
            "floor_ratio": ratio(floor_s, bare_s),
            "archive_s": round(min(archive_ours), 3),
            "archive_bare_s": round(min(archive_bare), 3),
            "archive_ratio": ratio(min(archive_ours), min(archive_bare)),
            "archive_rows_per_s": round(rows / min(archive_ours)) if min(archive_ours) else None,
            "archive_file_bytes": archive.stat().st_size,
            "target_ratio": 3.0,
            "met": bool(bare_s and ours_s / bare_s <= 3.0),
        }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
