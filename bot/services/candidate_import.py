"""Importing the ERAS export into the program's candidates.

Decisions (written down for the coordinator and the committee):
- An import is all-or-nothing: a file with any bad row (or a missing required column) imports
  nothing and the result lists every bad row. `dry_run` reads and counts without writing.
- Re-importing matches candidates by AAMC ID within the program. A row whose profile hash is the
  same and that adds no connection flag is *unchanged*. Notes, votes, overrides, threads and pins
  are never touched: they live in other columns/tables and the import only writes the profile,
  the searchable derived columns, the flags it adds and the computed triage.
- Connection flags in the file only ADD: a `Yes` sets the flag, a `No` never clears what the
  committee recorded with `/soap flag` (only `/soap flag <id> <word> off` clears).
- Applicants missing from a new file stay (SOAP applications are not withdrawn by an export).
- Triage is recomputed for the imported rows in the same transaction; one `candidates.import`
  audit event records the counts (never names).
- Bulk-friendly: the program's existing candidates are read once; inserts and updates are
  executemany batches, so thousands of rows import in seconds.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from sqlalchemy import Table, insert, select, update

from bot.domain.candidates import (
    LATER_FIELDS,
    ApplicantProfile,
    Connections,
    degree_type,
    exam_failures,
    graduation_year,
    states,
    visa_need,
)
from bot.domain.import_result import ImportResult
from bot.domain.plan import is_plan_file
from bot.eras import ColumnsMappingError, ExportFileError, ImportReport, read_export
from bot.errors import BadInput
from bot.services import audit
from bot.services.plan import apply_plan
from bot.services.triage import CONNECTION_COLUMNS, policy_of, triage_values
from storage.database import Database
from storage.models import Candidate, Program

CANDIDATES: Table = Candidate.__table__  # type: ignore[assignment]


def profile_hash(profile: ApplicantProfile | Mapping[str, Any]) -> str:
    """A stable hash of the profile's JSON (what decides "unchanged" on a re-import)."""
    dumped = profile.model_dump(mode="json") if isinstance(profile, ApplicantProfile) else profile
    dumped = {key: value for key, value in dumped.items() if key not in LATER_FIELDS or not _said_before(key, dumped)}
    # Byte for byte json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    # the text hashed before orjson, so hashes stored by earlier versions still compare equal.
    return hashlib.sha256(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS)).hexdigest()


#: A later list field that only repeats its single field (one school, one degree…) says nothing new.
_REPEATS = {"medical_schools": "medical_school", "degrees": "degree", "graduation_dates": "graduation_date"}


def _said_before(key: str, dumped: Mapping[str, Any]) -> bool:
    """True when a field added after profiles were first stored adds nothing an earlier version's
    profile did not say: empty, or a list that repeats its single field. Left out of the hash then,
    so re-importing the same file after an upgrade still reports its applicants unchanged."""
    value = dumped[key]
    if value in (None, []):
        return True
    if key == "tracks_applied":
        return bool(value == dumped.get("tracks"))
    single = _REPEATS.get(key)
    return single is not None and value == [dumped.get(single)]


def searchable_columns(profile: ApplicantProfile) -> dict[str, Any]:
    """The typed columns `/soap find` searches, derived from the profile."""
    needs, _ = visa_need(profile)
    return {
        "first_name": profile.first_name[:200],
        "last_name": profile.last_name[:200],
        "degree_type": degree_type(profile),
        "graduation_year": graduation_year(profile),
        "visa_needed": True if needs else profile.visa_needed,  # None: the file does not say
        "exam_failures": exam_failures(profile),
        "states": sorted(states(profile)),
        "tracks": list(profile.tracks),
    }



ExportSource = ImportReport | str | Path | bytes | BinaryIO


def _read(source: ExportSource, filename: str | None, columns: Mapping[str, str] | None) -> ImportReport | str:
    if isinstance(source, ImportReport):
        return source
    try:
        return read_export(source, filename=filename, columns_mapping=columns)
    except (ExportFileError, ColumnsMappingError) as error:
        return str(error)
    except OSError as error:
        shown = filename or (str(source) if isinstance(source, str | Path) else "the file")
        return f"{shown}: cannot open the file ({error.strerror or type(error).__name__})"


def import_export(database: Database, program_id: int, source: ExportSource, *, actor: str, today: date,
                  dry_run: bool = False, filename: str | None = None,
                  columns: Mapping[str, str] | None = None, now: datetime | None = None) -> ImportResult:
    """Import an ERAS export (a read report, a path, bytes or a file object) into the program."""
    report = _read(source, filename, columns)
    if isinstance(report, str):
        shown = filename or (str(source)[:200] if isinstance(source, str | Path) else "the file")
        return ImportResult(filename=shown, problem=report, dry_run=dry_run)
    base = ImportResult(filename=report.filename, errors=list(report.errors),
                        unknown_columns=list(report.unknown_columns),
                        missing_required=list(report.missing_required),
                        ignored_columns=list(report.ignored_columns), notes=list(report.notes),
                        honor_phrases=list(report.honor_phrases), rules_off=list(report.rules_off),
                        data_rows=report.data_rows, dry_run=dry_run)
    if not base.ok:
        return base
    if is_plan_file(report.unknown_columns):  # its people have not all applied: never SOAP applicants
        return dataclasses.replace(base, problem=f"{report.filename} is a pre-SOAP plan (it has a Pre-SOAP column), "
                                                 "not an ERAS export: share it with the word `plan`, or run "
                                                 "`soapbot import-plan`.")
    if not report.rows:
        return dataclasses.replace(base, problem=f"{report.filename}: no applicant rows below the header")
    stamp = now or datetime.now(UTC)

    with database.transaction() as session:
        # Imports of one program take turns (PostgreSQL: the program's row lock; SQLite: BEGIN IMMEDIATE
        # already): two members sharing the same new export at once would both insert its applicants, and
        # the second would fail on the unique AAMC ID. Taking turns, the second finds them and updates.
        program = session.get(Program, program_id, with_for_update=True)
        if program is None:
            raise BadInput(f"No program with id {program_id}.")
        policy = policy_of(session, program_id)
        existing = {row.aamc_id: row for row in session.execute(
            select(Candidate.id, Candidate.aamc_id, Candidate.profile_hash, Candidate.thread_ts,
                   *[getattr(Candidate, name) for name in CONNECTION_COLUMNS])
            .where(Candidate.program_id == program_id))}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        unchanged = 0
        for imported in report.rows:
            profile = imported.profile
            dumped = profile.model_dump(mode="json")
            digest = profile_hash(dumped)
            added = {name for name, value in imported.flags.items() if value}
            old = existing.get(profile.aamc_id)
            if old is None:
                connections = Connections(**{name: name in added for name in CONNECTION_COLUMNS})
                inserts.append({
                    "program_id": program_id, "aamc_id": profile.aamc_id, **searchable_columns(profile),
                    "profile": dumped, "profile_hash": digest,
                    **{name: name in added for name in CONNECTION_COLUMNS},
                    **triage_values(profile, connections, policy, today),
                    "imported_at": stamp, "updated_at": stamp,
                })
                continue
            new_flags = {name for name in added if not getattr(old, name)}
            if old.profile_hash == digest and not new_flags:
                unchanged += 1
                continue
            flags = {name: bool(getattr(old, name)) or name in added for name in CONNECTION_COLUMNS}
            updates.append({
                "id": old.id, **searchable_columns(profile), "profile": dumped,
                "profile_hash": digest, **flags,
                **triage_values(profile, Connections(**flags), policy, today), "updated_at": stamp,
                "card_stale": old.thread_ts is not None,  # the clock redraws a posted card (cards.redraw)
            })
        result = dataclasses.replace(base, new=len(inserts), updated=len(updates), unchanged=unchanged,
                                     cards_to_redraw=sum(1 for row in updates if row["card_stale"]))
        if dry_run:
            session.rollback()
            return result
        if inserts:  # Core executemany: no ORM bookkeeping for thousands of new rows
            session.execute(insert(CANDIDATES), inserts)
        if updates:
            session.execute(update(Candidate), updates)
        if inserts:
            result = dataclasses.replace(result, from_plan=len(apply_plan(
                session, program_id, [row["aamc_id"] for row in inserts], actor=actor, today=today, now=stamp)))
        audit.record(session, program_id=program_id, actor=actor, action="candidates.import",
                     target=f"program:{program_id}",
                     after={"file_rows": report.data_rows, "new": result.new, "updated": result.updated,
                            "unchanged": result.unchanged, "unknown_columns": len(report.unknown_columns)})
        return result

