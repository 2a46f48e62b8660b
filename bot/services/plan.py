"""The pre-SOAP plan in storage, carried into SOAP; and who nobody on the committee has looked at.

Decisions (written down for the coordinator and the committee):
- Importing a plan is all-or-nothing, like the export: a file with any bad row stores nothing and
  every bad row is named. A good file replaces the whole plan (`plan_entries`).
- When an applicant of the plan is in SOAP (imported from the export, matched by AAMC ID), the plan
  sets their starting bucket as an override whose reason starts "pre-SOAP plan:" (thrilled →
  internal, soap-only → backup, no → do not rank), adds the connection flags the plan says Yes to
  (never clears one), and stores the plan's note as a note whose source is the plan, posted in the
  candidate's thread like any note. It is done once, when the applicant first appears (the
  import), or when the plan is imported and they are already there.
- The committee wins: a director's own override is never replaced by the plan, and votes decide
  the preference list whatever the bucket (bot.services.preference_list). The computed bucket is
  kept beside the plan's, so a deal-breaker the export shows is still named on the card.
- A re-imported plan updates the plan's buckets it set before, and clears them for applicants no
  longer in it; a director's override stays.
- Unseen: an applicant who is not in do not rank (by any bucket) and has no deal-breaker, whom no
  one has opened (`card_views`), voted on or ranked, pinned, written a note about (the plan's
  note does not count) or proposed for an interview.
- Plan rows are applicant data: shown only in the war room, never logged (logs carry counts), and
  deleted by the purge with the rest.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.names import fold_name
from bot.domain.notes import NoteSource, PostState
from bot.domain.plan import (
    NOT_APPLIED_RULE,
    PlanChoice,
    PlanImportResult,
    PlanOverview,
    PlanPerson,
    PlanReport,
    UnseenApplicant,
    plan_reason,
    read_plan_rows,
    within_reach,
)
from bot.domain.program_codes import codes_in
from bot.domain.triage import Bucket, OverrideSource, effective_bucket
from bot.eras import ExportFileError, SpreadsheetSource, canonical_header, open_spreadsheet
from bot.errors import BadInput, CandidateNotFound
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.triage import policy_of, recompute
from storage.database import Database
from storage.models import (
    ApplicantAvailability,
    Candidate,
    CardView,
    Interview,
    PlanEntry,
    Program,
    Ranking,
    ReferenceNote,
    Vote,
)

log = logging.getLogger(__name__)

PLAN_FLAGS = ("interviewed", "rotated_here", "home_student")


def read_plan(source: SpreadsheetSource, filename: str | None = None) -> PlanReport | str:
    """The plan in a CSV or .xlsx (same reading as the ERAS export: BOM, CRLF, Excel); a str when
    the file cannot be read at all."""
    try:
        sheet = open_spreadsheet(source, filename)
        return read_plan_rows(sheet.rows([]), sheet.name)
    except ExportFileError as error:
        return str(error)
    except OSError as error:
        return f"{filename or 'the file'}: cannot open the file ({error.strerror or type(error).__name__})"


def import_plan(database: Database, program_id: int, source: SpreadsheetSource, *, actor: str, today: date,
                now: datetime, filename: str | None = None) -> PlanImportResult:
    """Replace the program's plan with the file's rows (all or nothing) and carry it to the applicants
    already in SOAP."""
    report = read_plan(source, filename)
    if isinstance(report, str):
        return PlanImportResult(filename=filename or "the file", problem=report)
    result = PlanImportResult(filename=report.filename, errors=list(report.errors),
                              missing_required=list(report.missing_required),
                              unknown_columns=list(report.unknown_columns))
    export_columns = [c for c in result.unknown_columns if canonical_header(c)]
    if "Pre-SOAP" in result.missing_required and len(export_columns) >= 3:
        # The export shared as a plan: say which file it is rather than list its columns as unknown.
        return dataclasses.replace(result, problem=(
            f"{report.filename} is an ERAS export (it has {', '.join(export_columns[:3])}…), not a pre-SOAP plan: "
            "share it with the word `import`, or run `soapbot import`."))
    if not result.ok:
        return result
    if not report.rows:
        return dataclasses.replace(result, problem=f"{report.filename}: no applicant rows below the header")
    with database.transaction() as session:
        if session.get(Program, program_id) is None:
            raise BadInput(f"No program with id {program_id}.")
        replaced = session.scalar(select(func.count()).select_from(PlanEntry)
                                  .where(PlanEntry.program_id == program_id)) or 0
        session.execute(delete(PlanEntry).where(PlanEntry.program_id == program_id))
        session.execute(insert(PlanEntry), [
            {"program_id": program_id, "aamc_id": row.aamc_id, "first_name": row.first_name,
             "last_name": row.last_name, "choice": row.choice.value, "word": row.word,
             "interviewed": row.interviewed, "rotated_here": row.rotated_here, "home_student": row.home_student,
             "note": row.note, "row_number": row.row_number, "imported_by": actor[:64], "imported_at": now}
            for row in report.rows])
        _clear_dropped(session, program_id, {row.aamc_id for row in report.rows}, now)
        in_soap = len(apply_plan(session, program_id, None, actor=actor, today=today, now=now))
        counts = {choice.value: sum(1 for row in report.rows if row.choice is choice) for choice in PlanChoice}
        audit.record(session, program_id=program_id, actor=actor, action="plan.import",
                     target=f"program:{program_id}",
                     after={"rows": len(report.rows), "in_soap": in_soap, "replaced": replaced, **counts})
    log.info("plan imported: %d rows, %d in SOAP", len(report.rows), in_soap)
    return dataclasses.replace(result, rows=len(report.rows), in_soap=in_soap, replaced=replaced, counts=counts)


def _clear_dropped(session: Session, program_id: int, kept: set[str], now: datetime) -> None:
    """Applicants the new plan no longer holds lose the bucket the old plan gave them."""
    for candidate in session.scalars(select(Candidate).where(Candidate.program_id == program_id,
                                                             Candidate.override_bucket.is_not(None))):
        if candidate.aamc_id not in kept and candidate.override_source is OverrideSource.PLAN:
            candidate.override_bucket = candidate.override_source = None
            candidate.override_reason = candidate.override_by = None
            candidate.override_at = None
            candidate.card_stale = candidate.thread_ts is not None


def apply_plan(session: Session, program_id: int, aamc_ids: Collection[str] | None, *, actor: str, today: date,
               now: datetime) -> list[int]:
    """Carry the plan to the program's applicants in SOAP (those of `aamc_ids`, or all): the plan's
    bucket unless a director chose another, the flags it says Yes to, its note. Returns the ids of
    the candidates it applied to. Runs in the caller's transaction (the import's)."""
    query = select(PlanEntry).where(PlanEntry.program_id == program_id)
    wanted = None if aamc_ids is None else set(aamc_ids)
    if wanted is not None and len(wanted) <= 500:
        query = query.where(PlanEntry.aamc_id.in_(wanted))
    entries = {entry.aamc_id: entry for entry in session.scalars(query)
               if wanted is None or entry.aamc_id in wanted}
    if not entries:
        return []
    found = select(Candidate).where(Candidate.program_id == program_id)
    if len(entries) <= 500:
        found = found.where(Candidate.aamc_id.in_(list(entries)))
    candidates = [c for c in session.scalars(found.order_by(Candidate.id)) if c.aamc_id in entries]
    if not candidates:
        return []
    noted = {(row.candidate_id, row.text) for row in session.execute(
        select(ReferenceNote.candidate_id, ReferenceNote.text).where(
            ReferenceNote.program_id == program_id, ReferenceNote.source == NoteSource.PLAN))}
    flagged: list[int] = []
    for candidate in candidates:
        entry = entries[candidate.aamc_id]
        changed = False
        for name in PLAN_FLAGS:
            if getattr(entry, name) and not getattr(candidate, name):
                setattr(candidate, name, True)
                flagged.append(candidate.id)
                changed = True
        choice = PlanChoice(entry.choice)
        if candidate.override_bucket is None or candidate.override_source is OverrideSource.PLAN:
            reason = plan_reason(choice, entry.word)
            if (candidate.override_bucket, candidate.override_reason) != (choice.bucket, reason):
                candidate.override_bucket, candidate.override_reason = choice.bucket, reason
                candidate.override_source = OverrideSource.PLAN
                candidate.override_by, candidate.override_at = actor[:32], now
                changed = True
        if entry.note and (candidate.id, entry.note) not in noted:
            session.add(ReferenceNote(program_id=program_id, candidate_id=candidate.id, author=actor[:32],
                                      source=NoteSource.PLAN, text=entry.note, post_state=PostState.PENDING,
                                      post_attempts=0, created_at=now, updated_at=now))
        if changed and candidate.thread_ts is not None:
            candidate.card_stale = True  # the clock redraws a posted card (cards.redraw)
    session.flush()
    if flagged:
        recompute(session, program_id, policy_of(session, program_id), today, flagged)
    return [candidate.id for candidate in candidates]


def pending_plan_notes(database: Database, program_id: int | None = None, limit: int = 50) -> list[int]:
    """Plan notes never tried yet (the ones a person's note would have posted at once)."""
    with database.reading() as session:
        query = select(ReferenceNote.id).where(ReferenceNote.source == NoteSource.PLAN,
                                               ReferenceNote.post_state == PostState.PENDING,
                                               ReferenceNote.post_attempts == 0)
        if program_id is not None:
            query = query.where(ReferenceNote.program_id == program_id)
        return list(session.scalars(query.order_by(ReferenceNote.id).limit(limit)))


def not_applied(session: Session, program_id: int, key: str) -> CandidateNotFound | None:
    """The answer for someone the plan holds who has not applied in SOAP (by AAMC ID or full name):
    not a card (they may not be contacted or listed), but why not."""
    entries = list(session.scalars(select(PlanEntry).where(PlanEntry.program_id == program_id)))
    wanted = fold_name(key)
    for entry in entries:
        names = {fold_name(f"{entry.first_name} {entry.last_name}"),
                 fold_name(f"{entry.last_name}, {entry.first_name}")}
        if wanted == entry.aamc_id or (wanted.isdigit() and wanted.zfill(8) == entry.aamc_id) or wanted in names:
            return CandidateNotFound(
                f"{escape(entry.first_name)} {escape(entry.last_name)} ({entry.aamc_id}) is in the pre-SOAP plan "
                f"({PlanChoice(entry.choice).value}) but has not applied to us in SOAP. {NOT_APPLIED_RULE}")
    return None


# --- /soap plan --------------------------------------------------------------------------------


def overview(database: Database, program_id: int) -> PlanOverview:
    """The plan's people: applied in SOAP (with their bucket now), not applied, and how many SOAP
    applicants the plan does not hold."""
    with database.reading() as session:
        entries = list(session.scalars(select(PlanEntry).where(PlanEntry.program_id == program_id)
                                       .order_by(PlanEntry.last_name, PlanEntry.first_name, PlanEntry.aamc_id)))
        rows = {row.aamc_id: row for row in session.execute(
            select(Candidate.aamc_id, Candidate.first_name, Candidate.last_name, Candidate.bucket,
                   Candidate.override_bucket, Candidate.override_source)
            .where(Candidate.program_id == program_id))}
    applied: list[PlanPerson] = []
    not_applied: list[PlanPerson] = []
    for entry in entries:
        row = rows.get(entry.aamc_id)
        person = PlanPerson(aamc_id=entry.aamc_id, name=f"{entry.first_name} {entry.last_name}".strip(),
                            choice=PlanChoice(entry.choice), word=entry.word)
        if row is None:
            not_applied.append(person)
            continue
        applied.append(dataclasses.replace(
            person, name=f"{row.first_name} {row.last_name}".strip(),
            bucket=effective_bucket(row.bucket, row.override_bucket), computed_bucket=row.bucket,
            plan_bucket_kept=row.override_source is OverrideSource.PLAN))
    plan_ids = {entry.aamc_id for entry in entries}
    return PlanOverview(applied=tuple(applied), not_applied=tuple(not_applied),
                        not_in_plan=sum(1 for key in rows if key not in plan_ids), plan_rows=len(entries))


# --- who has looked at whom ------------------------------------------------------------------


def note_view(session: Session, *, program_id: int, candidate_id: int, user_id: str, now: datetime) -> None:
    """Remember, in the caller's transaction, that `user_id` opened the candidate's card (the first time
    is kept): the card's own transaction records it, so opening a card costs no transaction of its own."""
    insert_view = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert_view(CardView).values(candidate_id=candidate_id, user_id=user_id[:32],
                                                 program_id=program_id, first_at=now).on_conflict_do_nothing())


def record_view(database: Database, *, program_id: int, candidate_id: int, user_id: str, now: datetime) -> bool:
    """Remember that `user_id` opened the candidate's card (the first time; True if it was)."""
    try:
        with database.transaction() as session:
            if session.get(CardView, (candidate_id, user_id)) is not None:
                return False
            session.add(CardView(candidate_id=candidate_id, user_id=user_id[:32], program_id=program_id,
                                 first_at=now))
            return True
    except IntegrityError:  # the same person opening the card twice at once
        return False


def _unseen_query(program_id: int) -> Any:
    dnr = Bucket.DO_NOT_RANK
    touched = [
        exists().where(CardView.candidate_id == Candidate.id),
        exists().where(Vote.candidate_id == Candidate.id),
        exists().where(Ranking.candidate_id == Candidate.id),
        exists().where(ReferenceNote.candidate_id == Candidate.id, ReferenceNote.source != NoteSource.PLAN),
        exists().where(Interview.candidate_id == Candidate.id),
        # out of SOAP (accepted elsewhere, withdrew): no list can reach them any more
        exists().where(ApplicantAvailability.candidate_id == Candidate.id),
    ]
    query = select(Candidate.id, Candidate.aamc_id, Candidate.first_name, Candidate.last_name, Candidate.bucket,
                   Candidate.override_bucket, Candidate.risk, Candidate.triage_reasons, Candidate.tracks).where(
        Candidate.program_id == program_id, Candidate.pinned_by.is_(None),
        or_(Candidate.bucket.is_(None), Candidate.bucket != dnr),
        or_(Candidate.override_bucket.is_(None), Candidate.override_bucket != dnr))
    for condition in touched:
        query = query.where(~condition)
    return query


_RISK_ORDER = {"low": 0, "elevated": 1, "high": 2}


def unseen(database: Database, program_id: int) -> list[UnseenApplicant]:
    """Eligible applicants nobody on the committee has opened, voted on, noted or interviewed, best
    triage first (bucket, then risk, then name)."""
    with database.reading() as session:
        rows = session.execute(_unseen_query(program_id)).all()
    order = {bucket.value: bucket.order for bucket in Bucket}
    items = [UnseenApplicant(candidate_id=row.id, aamc_id=row.aamc_id, name=f"{row.first_name} {row.last_name}",
                             bucket=effective_bucket(row.bucket, row.override_bucket), risk=row.risk,
                             why=tuple(str(r.get("text")) for r in (row.triage_reasons or [])
                                       if isinstance(r, dict) and r.get("kind") == "bucket"),
                             codes=tuple(code.code for code in codes_in(str(t) for t in (row.tracks or []))))
             for row in rows]
    items.sort(key=lambda item: (order.get(item.bucket or "", 99), _RISK_ORDER.get(item.risk or "", 3),
                                 item.name.casefold(), item.aamc_id))
    return items


def unseen_count(database: Database, program_id: int, open_codes: frozenset[str] | None = None) -> int:
    """How many unseen applicants a list could still reach: those who applied to a program code with
    positions open (`open_codes`; None when the program has set no positions: everyone)."""
    return len(within_reach(unseen(database, program_id), open_codes))
