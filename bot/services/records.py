"""The program's records: the audit trail, the archive a program may keep, and the purge after SOAP.

Purge deletes every row that holds applicant data (candidates and, by cascade, their notes,
votes, rankings, offers, interviews and scorecards; list snapshots and their entries; interview
reminders) and scrubs the audit trail of applicant identifiers, keeping who did what and when.
What remains is `purge_records`: anonymous counts.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.access import ProgramRef
from bot.errors import BadInput, CandidateNotFound
from bot.messages.mrkdwn import escape
from bot.services import audit
from bot.services.candidates import resolve_one
from bot.spreadsheet import csv_bytes
from storage.database import Database
from storage.models import (
    AuditEvent,
    Candidate,
    CardView,
    Interview,
    ListEntry,
    ListSnapshot,
    Offer,
    PlanEntry,
    Program,
    PurgeRecord,
    Ranking,
    ReferenceNote,
    Reminder,
    Scorecard,
    Vote,
)

# Audit targets that name a person applying (their AAMC ID) start with this.
CANDIDATE_TARGET = "candidate:"


@dataclass(frozen=True)
class PurgeCounts:
    candidates: int
    notes: int
    votes: int
    rankings: int
    snapshots: int
    offers: int
    interviews: int
    scorecards: int
    threads: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def describe(self) -> list[str]:
        return [f"{self.candidates} applicants (every imported field and triage result)",
                f"{self.notes} reference notes", f"{self.votes} votes and {self.rankings} ranking positions",
                f"{self.snapshots} locked preference lists", f"{self.offers} offer outcomes",
                f"{self.interviews} interviews and {self.scorecards} scorecards",
                f"{self.threads} candidate threads known to the bot (the bot's own cards are deleted from Slack)"]


def _count(session: Session, model: Any, program_id: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.program_id == program_id)) or 0


def purge_counts(database: Database, program_id: int) -> PurgeCounts:
    with database.reading() as session:
        threads = session.scalar(select(func.count()).select_from(Candidate).where(
            Candidate.program_id == program_id, Candidate.thread_ts.is_not(None))) or 0
        return PurgeCounts(
            candidates=_count(session, Candidate, program_id), notes=_count(session, ReferenceNote, program_id),
            votes=_count(session, Vote, program_id), rankings=_count(session, Ranking, program_id),
            snapshots=_count(session, ListSnapshot, program_id), offers=_count(session, Offer, program_id),
            interviews=_count(session, Interview, program_id), scorecards=_count(session, Scorecard, program_id),
            threads=threads)


def purge(database: Database, *, program_id: int, actor: str, now: datetime) -> tuple[PurgeCounts, list[str]]:
    """Delete the program's applicant data in one transaction. Returns the counts and the card ts to delete."""
    counts = purge_counts(database, program_id)
    with database.transaction() as session:
        card_ts = [ts for ts in session.scalars(select(Candidate.thread_ts).where(
            Candidate.program_id == program_id, Candidate.thread_ts.is_not(None))) if ts]
        snapshot_ids = select(ListSnapshot.id).where(ListSnapshot.program_id == program_id)
        session.execute(delete(ListEntry).where(ListEntry.snapshot_id.in_(snapshot_ids)))
        session.execute(delete(ListSnapshot).where(ListSnapshot.program_id == program_id))
        for model in (Scorecard, Interview, Offer, Ranking, Vote, ReferenceNote, CardView, PlanEntry):
            session.execute(delete(model).where(model.program_id == program_id))
        session.execute(delete(Reminder).where(Reminder.program_id == program_id, Reminder.interview_id.is_not(None)))
        session.execute(delete(Candidate).where(Candidate.program_id == program_id))
        # The audit trail keeps who did what and when, not about whom.
        session.execute(update(AuditEvent).where(
            AuditEvent.program_id == program_id, AuditEvent.target.like(f"{CANDIDATE_TARGET}%")
        ).values(target=f"{CANDIDATE_TARGET}purged", before=None, after=None))
        session.execute(update(AuditEvent).where(
            AuditEvent.program_id == program_id, AuditEvent.action.like("candidates.%")
        ).values(before=None, after=None))
        program = session.get(Program, program_id)
        if program is not None:
            program.purged_at = now
        session.add(PurgeRecord(program_id=program_id, purged_by=actor, purged_at=now, counts=counts.as_dict()))
        audit.record(session, program_id=program_id, actor=actor, action="program.purge",
                     target=f"program:{program_id}", after=counts.as_dict())
    return counts, card_ts


@dataclass(frozen=True)
class ProgramName:
    name: str


def _comparable_name(name: str) -> str:
    """A program name as a person may type it: any dash (–, —, -) and any spacing around it alike, any case."""
    dashed = "".join("-" if unicodedata.category(c) == "Pd" or c == "\u2212" else c for c in name)
    return re.sub(r"\s*-\s*", "-", " ".join(dashed.split())).casefold()


def confirm_purge(program: ProgramRef | ProgramName, typed_name: str) -> None:
    """The typed name must be the program's; a hyphen for its en dash, spacing and case do not matter."""
    if _comparable_name(typed_name) != _comparable_name(program.name):
        raise BadInput(f"Type the program's name ({escape(program.name)}) to confirm; any dash and any case "
                       "will do.")


def audit_trail(database: Database, program_id: int, target: str | None, limit: int = 30) -> list[AuditEvent]:
    with database.reading() as session:
        return audit.recent(session, program_id, target=target, limit=limit)


def applicant_audit_trail(database: Database, program_id: int, key: str,
                          limit: int = 30) -> tuple[str, list[AuditEvent]]:
    """(who, events) for one applicant named by AAMC ID or name, as every applicant command takes them.
    An AAMC ID no longer in the program (purged) still finds what the audit kept under it."""
    with database.reading() as session:
        try:
            candidate = resolve_one(session, program_id, key)
        except CandidateNotFound:
            if not re.fullmatch(r"[0-9]{6,8}", key.strip()):
                raise
            return f"applicant {key.strip()}", audit.recent(session, program_id, f"{CANDIDATE_TARGET}{key.strip()}",
                                                            limit)
        # Some events name the applicant by AAMC ID, others by the row id.
        targets = [f"{CANDIDATE_TARGET}{candidate.aamc_id}", f"{CANDIDATE_TARGET}{candidate.id}"]
        events = list(session.scalars(select(AuditEvent).where(
            AuditEvent.program_id == program_id, AuditEvent.target.in_(targets))
            .order_by(AuditEvent.id.desc()).limit(limit)))
        return f"{candidate.first_name} {candidate.last_name} ({candidate.aamc_id})", events


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).all())


def export_archive(database: Database, program_id: int) -> bytes:
    """A zip of formula-safe CSVs: applicants, notes, votes, locked lists, offers, interviews, audit."""
    buffer = io.BytesIO()
    with database.reading() as session, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        candidates = session.scalars(select(Candidate).where(Candidate.program_id == program_id)
                                     .order_by(Candidate.aamc_id)).all()
        by_id = {c.id: c.aamc_id for c in candidates}
        archive.writestr("applicants.csv", csv_bytes(
            ["AAMC ID", "First Name", "Last Name", "Degree type", "Graduation year", "Bucket", "Override",
             "Override reason", "Risk", "Reasons", "Profile (JSON)"],
            [[c.aamc_id, c.first_name, c.last_name, c.degree_type, c.graduation_year, c.bucket, c.override_bucket,
              c.override_reason, c.risk, "; ".join(map(str, c.triage_reasons)), json.dumps(c.profile)]
             for c in candidates]))
        notes = session.scalars(select(ReferenceNote).where(ReferenceNote.program_id == program_id)
                                .order_by(ReferenceNote.id)).all()
        archive.writestr("reference_notes.csv", csv_bytes(
            ["AAMC ID", "Author", "Source", "Called", "Institution", "Role", "Relationship", "Sentiment", "Note",
             "Created (UTC)"],
            [[by_id.get(n.candidate_id), n.author, n.source, n.called_name, n.called_institution, n.called_role,
              n.relationship, n.sentiment, n.text, n.created_at.isoformat()] for n in notes]))
        votes = session.scalars(select(Vote).where(Vote.program_id == program_id)).all()
        archive.writestr("votes.csv", csv_bytes(
            ["AAMC ID", "Member", "Vote", "Source", "Updated (UTC)"],
            [[by_id.get(v.candidate_id), v.user_id, v.choice, v.source, v.updated_at.isoformat()] for v in votes]))
        entries = _rows(session, select(ListSnapshot.round, ListSnapshot.locked_at, ListSnapshot.unlocked_at,
                                        ListEntry.rank, ListEntry.aamc_id, ListEntry.name, ListEntry.track)
                        .join(ListEntry, ListEntry.snapshot_id == ListSnapshot.id)
                        .where(ListSnapshot.program_id == program_id)
                        .order_by(ListSnapshot.round, ListSnapshot.id, ListEntry.rank))
        archive.writestr("preference_lists.csv", csv_bytes(
            ["Round", "Locked (UTC)", "Unlocked (UTC)", "Rank", "AAMC ID", "Name", "Track"],
            [[r, locked.isoformat(), unlocked.isoformat() if unlocked else "", rank, aamc, name, track]
             for r, locked, unlocked, rank, aamc, name, track in entries]))
        offers = session.scalars(select(Offer).where(Offer.program_id == program_id).order_by(Offer.id)).all()
        archive.writestr("offers.csv", csv_bytes(
            ["AAMC ID", "Round", "Track", "Status", "Recorded by", "Recorded (UTC)"],
            [[by_id.get(o.candidate_id), o.round, o.track, o.status, o.recorded_by, o.recorded_at.isoformat()]
             for o in offers]))
        interviews = session.scalars(select(Interview).where(Interview.program_id == program_id)
                                     .order_by(Interview.id)).all()
        archive.writestr("interviews.csv", csv_bytes(
            ["AAMC ID", "State", "Interviewer", "Scheduled (UTC)", "Outcome note"],
            [[by_id.get(i.candidate_id), i.state, i.interviewer,
              i.scheduled_at.isoformat() if i.scheduled_at else "", i.outcome_note] for i in interviews]))
        events = session.scalars(select(AuditEvent).where(AuditEvent.program_id == program_id)
                                 .order_by(AuditEvent.id)).all()
        archive.writestr("audit.csv", csv_bytes(
            ["At (UTC)", "Actor", "Action", "Target", "Before", "After"],
            [[e.at.isoformat(), e.actor, e.action, e.target, json.dumps(e.before), json.dumps(e.after)]
             for e in events]))
    return buffer.getvalue()
