"""The program's records: the audit trail, the archive a program may keep, and the purge after SOAP.

Purge deletes every row that holds applicant data (candidates and, by cascade, their notes,
votes, rankings, offers, interviews and scorecards; list snapshots and their entries; interview
reminders) and scrubs the audit trail of applicant identifiers, keeping who did what and when.
What remains is `purge_records`: anonymous counts.
"""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import Text, cast, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from bot.access import ProgramRef
from bot.domain.audit import AuditLine
from bot.domain.file_names import file_slug
from bot.domain.posts import PostKind
from bot.domain.wording import comparable_name, plural
from bot.errors import BadInput, CandidateNotFound, WarRoomError
from bot.messages.mrkdwn import escape
from bot.services import audit, home
from bot.services.candidate_lookup import resolve_one
from bot.slack_gateway import GONE_ERRORS, is_transient
from bot.spreadsheet import csv_bytes
from bot.war_room import WarRoom
from storage.database import Database, WalNotTruncated
from storage.models import (
    ApplicantAvailability,
    AuditEvent,
    BotPost,
    Candidate,
    CardView,
    CodeRanking,
    CommitteeRole,
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

log = logging.getLogger(__name__)

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

    def summary(self) -> str:
        return ", ".join([plural(self.candidates, "applicant"), plural(self.notes, "note"), plural(self.votes, "vote"),
                          plural(self.rankings, "ranking position"), plural(self.snapshots, "locked list"),
                          plural(self.offers, "offer"), plural(self.interviews, "interview")])

    def describe(self) -> list[str]:
        return [f"{plural(self.candidates, 'applicant')} (every imported field and triage result)",
                plural(self.notes, "reference note"),
                f"{plural(self.votes, 'vote')} and {plural(self.rankings, 'ranking position')}",
                plural(self.snapshots, "locked preference list"), plural(self.offers, "offer outcome"),
                f"{plural(self.interviews, 'interview')} and {plural(self.scorecards, 'scorecard')}",
                f"{plural(self.threads, 'candidate thread')} known to the bot (the bot's own cards are deleted "
                "from Slack)"]


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


# Audit actions whose before/after never name an applicant nor hold free text about one: a purge keeps
# them. Every other action (including ones added later) loses its values: safe by default.
AUDIT_VALUES_KEPT = frozenset({
    "program.setup", "program.rename", "program.purge", "role.grant", "role.set", "triage.policy",
    "schedule.set", "schedule.seed", "schedule.leads", "positions.set", "reminders.replan",
})
# Audit targets that never name an applicant; any other target becomes "<kind>:purged".
AUDIT_TARGETS_KEPT = ("program:", "user:", "round:")
# The tables a purge deletes from (or blanks), compacted afterwards so their old rows leave the file.
PURGED_TABLES = ("candidates", "reference_notes", "votes", "rankings", "list_snapshots", "list_entries", "offers",
                 "applicant_availability", "interviews", "scorecards", "reminders", "card_views", "plan_entries",
                 "audit_events", "processed_events")


def _scrub_audit(session: Session, program_id: int) -> None:
    """The audit trail keeps who did what and when, not about whom: targets naming an applicant (by AAMC
    ID, internal id, note or interview) and every value that is not on the kept list are blanked."""
    events = session.execute(select(AuditEvent.id, AuditEvent.action, AuditEvent.target)
                             .where(AuditEvent.program_id == program_id)).all()
    for event_id, action, target in events:
        values: dict[str, Any] = {}
        if action not in AUDIT_VALUES_KEPT:
            values.update(before=None, after=None)
        if target and not target.startswith(AUDIT_TARGETS_KEPT) and not target.endswith(":purged"):
            values["target"] = f"{target.split(':', 1)[0][:40]}:purged"
        if values:
            session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(**values)
                            .execution_options(synchronize_session=False))


class DatabaseFileNotClean(WarRoomError):
    """The purge is committed, but the database's files still hold the deleted rows (SQLite's WAL kept by
    another reader). Running the purge again, once the reader is gone, finishes it."""

    def __init__(self, counts: PurgeCounts, why: str) -> None:
        self.counts = counts
        super().__init__(
            f"Not finished: the applicants' data is deleted from the tables, but {why}, so the deleted names, "
            "notes and contact details are still readable in that file. Stop every process that uses this "
            "database (soapbot serve, clock, socket, any sqlite3 shell or backup tool reading it), then run "
            "the purge again: it finishes the job.")


def purge(database: Database, *, program_id: int, actor: str, now: datetime) -> tuple[PurgeCounts, list[str]]:
    """Delete the program's applicant data in one transaction. Returns the counts and the card ts (the bot's
    posts that existed before every post was recorded are added to `bot_posts`, so the Slack part of the
    purge deletes them too)."""
    counts = purge_counts(database, program_id)
    with database.transaction() as session:
        program = session.get(Program, program_id)
        channel = program.channel_id if program is not None else ""
        card_ts = [ts for ts in session.scalars(select(Candidate.thread_ts).where(
            Candidate.program_id == program_id, Candidate.thread_ts.is_not(None))) if ts]
        _record_known_posts(session, program_id, channel, now)
        snapshot_ids = select(ListSnapshot.id).where(ListSnapshot.program_id == program_id)
        session.execute(delete(ListEntry).where(ListEntry.snapshot_id.in_(snapshot_ids)))
        session.execute(delete(ListSnapshot).where(ListSnapshot.program_id == program_id))
        for model in (Scorecard, Interview, Offer, ApplicantAvailability, Ranking, CodeRanking, Vote, ReferenceNote,
                      CardView, PlanEntry):
            session.execute(delete(model).where(model.program_id == program_id))
        session.execute(delete(Reminder).where(Reminder.program_id == program_id, Reminder.interview_id.is_not(None)))
        session.execute(update(Reminder).where(Reminder.program_id == program_id).values(message_ts=None))
        session.execute(delete(Candidate).where(Candidate.program_id == program_id))
        _scrub_audit(session, program_id)
        if program is not None:
            program.purged_at = now
        session.add(PurgeRecord(program_id=program_id, purged_by=actor, purged_at=now, counts=counts.as_dict()))
        audit.record(session, program_id=program_id, actor=actor, action="program.purge",
                     target=f"program:{program_id}", after=counts.as_dict())
    try:
        database.compact(PURGED_TABLES)
    except WalNotTruncated as error:
        raise DatabaseFileNotClean(counts, str(error)) from None
    return counts, card_ts


def _record_known_posts(session: Session, program_id: int, channel: str, now: datetime) -> None:
    """Posts the tables know (cards, notes, interview and reminder posts) into `bot_posts`, in case one was
    posted before the gateway recorded every post."""
    known: dict[str, str | None] = {}
    for ts in session.scalars(select(Candidate.thread_ts).where(Candidate.program_id == program_id)):
        if ts:
            known.setdefault(ts, None)
    for ts, thread in session.execute(select(ReferenceNote.posted_ts, Candidate.thread_ts)
                                      .join(Candidate, Candidate.id == ReferenceNote.candidate_id)
                                      .where(ReferenceNote.program_id == program_id)):
        if ts:
            known[ts] = thread
    for model in (Interview, Reminder):
        for ts in session.scalars(select(model.message_ts).where(model.program_id == program_id)):
            if ts:
                known.setdefault(ts, None)
    recorded = set(session.scalars(select(BotPost.ref).where(BotPost.kind == PostKind.MESSAGE,
                                                             BotPost.channel_id == channel)))
    session.add_all(BotPost(kind=PostKind.MESSAGE, channel_id=channel, ref=ts, thread_ts=thread, posted_at=now)
                    for ts, thread in known.items() if ts not in recorded)


@dataclass(frozen=True)
class SlackCleanup:
    """What the purge did in Slack: the bot's messages and files deleted now, those still there (the purge
    can be run again to finish), and people's own messages in applicant threads (the bot cannot delete
    them; None when Slack would not say)."""

    messages_deleted: int
    files_deleted: int
    still_there: int
    human_messages: int | None
    # People whose App Home Slack would not republish: theirs may still show applicants.
    homes_left: int = 0
    # Why the database's files still hold the deleted rows, when they do.
    file_left: str | None = None

    @property
    def finished(self) -> bool:
        return not (self.still_there or self.homes_left or self.file_left)

    def describe(self) -> list[str]:
        lines = [f":warning: {self.file_left}"] if self.file_left else []
        lines += [f"Deleted from Slack: {plural(self.messages_deleted, 'bot message')} and "
                 f"{plural(self.files_deleted, 'file')} the bot posted in the war room."]
        if self.still_there:
            lines.append(f"{plural(self.still_there, 'bot post')} could not be deleted yet (Slack was busy or "
                         "refused): run the purge again to finish; it continues where it stopped.")
        if self.homes_left:
            lines.append(f"{plural(self.homes_left, 'member')}' App Home could not be cleared yet (Slack was busy "
                         "or refused) and may still show applicants: run the purge again to finish.")
        if self.human_messages is None:
            lines.append("Slack did not say how many of people's own replies remain in the applicant threads.")
        if self.human_messages:
            lines.append(f"Messages people wrote that remain in applicant threads: {self.human_messages}. The bot "
                         "cannot delete them: each author can delete their own; a workspace admin can delete any, "
                         "or set this channel's message retention (workspace settings → Retention & Exports) so "
                         "Slack removes them.")
        return lines


def _human_messages(room: WarRoom, channel: str, threads: set[str]) -> int | None:
    """People's messages (not the bot's) in the given threads, counted with conversations.replies."""
    bot = room.bot_user_id()
    total = 0
    for thread in sorted(threads):
        cursor = None
        while True:
            try:
                page = room.gateway.call("conversations.replies", channel=channel, ts=thread, limit=200,
                                         **({"cursor": cursor} if cursor else {}))
            except SlackApiError as error:
                if error.response.get("error") == "thread_not_found":
                    break
                return None
            total += sum(1 for m in page.get("messages") or [] if isinstance(m, dict) and not m.get("bot_id")
                         and m.get("subtype") not in ("bot_message", "tombstone") and m.get("user") != bot)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    return total


# How long one purge keeps deleting while Slack answers 429 (chat.delete allows about 50 a minute).
SLACK_PURGE_GIVE_UP = timedelta(hours=2)


def delete_bot_posts(room: WarRoom, channel: str) -> tuple[int, int, int]:
    """Delete every recorded bot post in `channel` that is still in Slack: files, then thread replies, then
    thread parents (a parent deleted before its replies leaves "This message was deleted" in Slack).
    Retries until done: each call honours 429's Retry-After; a post that still fails is tried again in
    the next pass, as long as a pass deletes something. Returns (messages deleted, files deleted, left)."""
    give_up = room.clock() + SLACK_PURGE_GIVE_UP
    # A post whose answer was lost (a process killed, a timeout) is found in Slack by its marker first.
    room.gateway.reconcile(channel=channel, older_than=room.clock())
    deleted = {PostKind.MESSAGE: 0, PostKind.FILE: 0}
    done: set[int] = set()
    with room.database.transaction() as session:  # what a previous run could not delete is tried again
        session.execute(update(BotPost).where(BotPost.channel_id == channel, BotPost.deleted_at.is_(None))
                        .values(problem=None))
    while True:
        with room.database.reading() as session:
            pending = session.execute(
                select(BotPost.id, BotPost.kind, BotPost.ref)
                .where(BotPost.channel_id == channel, BotPost.kind != PostKind.INTENT, BotPost.deleted_at.is_(None),
                       BotPost.problem.is_(None))
                .order_by((BotPost.kind == PostKind.MESSAGE).asc(), BotPost.thread_ts.is_(None).asc(),
                          BotPost.id.desc())
            ).all()
        pending = [post for post in pending if post[0] not in done]
        progress = False
        for post_id, kind, ref in pending:
            done.add(post_id)  # deleted or gone: never asked again in this run, whatever the record says
            try:
                if kind is PostKind.FILE:
                    room.gateway.call("files.delete", give_up_at=give_up, file=ref)
                else:
                    room.gateway.call("chat.delete", give_up_at=give_up, channel=channel, ts=ref)
                deleted[kind] += 1
                progress = True
            except SlackApiError as error:
                reason = str(error.response.get("error") or error.response.status_code)
                if reason in GONE_ERRORS:
                    progress = True  # already gone (a person or an admin deleted it): recorded by the gateway
                    continue
                done.discard(post_id)
                if not is_transient(error):
                    _problem(room.database, post_id, reason)
            except OSError:
                done.discard(post_id)  # the network: the next pass tries again
        if not pending or not progress or room.clock() >= give_up:
            break
    with room.database.reading() as session:
        left = session.scalar(select(func.count()).select_from(BotPost).where(
            BotPost.channel_id == channel, BotPost.deleted_at.is_(None))) or 0
    log.info("purge in Slack: %d messages and %d files deleted, %d left",
             deleted[PostKind.MESSAGE], deleted[PostKind.FILE], left)
    return deleted[PostKind.MESSAGE], deleted[PostKind.FILE], left


def _problem(database: Database, post_id: int, reason: str) -> None:
    with database.transaction() as session:
        session.execute(update(BotPost).where(BotPost.id == post_id).values(problem=reason[:64]))
    log.warning("purge: Slack would not delete a bot post (%s)", reason)


def applicant_threads(database: Database, program_id: int, channel: str) -> set[str]:
    """The threads of applicants: each candidate's card thread, and every thread the bot posted in."""
    with database.reading() as session:
        threads = {ts for ts in session.scalars(select(Candidate.thread_ts).where(Candidate.program_id == program_id))
                   if ts}
        threads |= {ts for ts in session.scalars(select(BotPost.thread_ts).where(
            BotPost.channel_id == channel, BotPost.kind == PostKind.MESSAGE, BotPost.deleted_at.is_(None))) if ts}
    return threads


def purge_everywhere(room: WarRoom, *, program_id: int, actor: str) -> tuple[PurgeCounts, SlackCleanup]:
    """The whole purge: people's messages in applicant threads counted (before the threads go), the
    database purged and compacted, then every bot post deleted from Slack. Run again, it finishes
    what an interrupted run left."""
    with room.database.reading() as session:
        program = session.get(Program, program_id)
        if program is None:
            raise BadInput("That program does not exist any more.")
        channel = program.channel_id
        team_id = program.team_id
        roles = set(session.scalars(select(CommitteeRole.user_id).where(CommitteeRole.program_id == program_id)))
    humans = _human_messages(room, channel, applicant_threads(room.database, program_id, channel))
    file_left = None
    try:
        counts, _ = purge(room.database, program_id=program_id, actor=actor, now=room.clock())
    except DatabaseFileNotClean as error:  # the rows are gone: the posts still go, and the report says it
        counts, file_left = error.counts, str(error)
    messages, files, left = delete_bot_posts(room, channel)
    # Each member's App Home was published with the dashboard (names, AAMC IDs) and stays so in Slack until
    # published again: now it shows another war room of theirs, or nothing about applicants.
    homes_left = home.republish(room, team_id, _people_of(room, channel) | roles)
    return counts, SlackCleanup(messages, files, left, humans, homes_left, file_left)


def _people_of(room: WarRoom, channel: str) -> set[str]:
    try:
        return room.people(channel)
    except (WarRoomError, SlackApiError) as error:  # shared or gone: the recorded roles are all we know
        log.warning("could not list the war room's members to clear their App Home: %s", type(error).__name__)
        return set()


def pending_bot_posts(database: Database, channel: str) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(BotPost).where(
            BotPost.channel_id == channel, BotPost.deleted_at.is_(None))) or 0


@dataclass(frozen=True)
class ProgramName:
    name: str


def confirm_purge(program: ProgramRef | ProgramName, typed_name: str) -> None:
    """The typed name must be the program's; a hyphen for its en dash, spacing and case do not matter."""
    if comparable_name(typed_name) != comparable_name(program.name):
        raise BadInput(f"Type the program's name ({escape(program.name)}) to confirm; any dash and any case "
                       "will do.")


def _line(event: AuditEvent) -> AuditLine:
    return AuditLine(event.at, event.actor, event.action, event.target, event.before, event.after)


def audit_trail(database: Database, program_id: int, applicant: str | None = None,
                limit: int = 30) -> list[AuditLine]:
    """The program's latest audit events, or those about one applicant by AAMC ID (`applicant_audit_trail`)."""
    with database.reading() as session:
        if applicant is None:
            return [_line(event) for event in audit.recent(session, program_id, limit=limit)]
        return [_line(event) for event in _events_about(session, program_id, applicant.strip(), None, limit)]


def _events_about(session: Session, program_id: int, aamc_id: str, candidate: Candidate | None,
                  limit: int) -> list[AuditEvent]:
    """Every event about one applicant, whatever it was keyed by: the AAMC ID, the row id (a triage
    override), one of their notes or interviews, or a value that lists or names the AAMC ID (an
    ordering, a lock and its exclusions, a reason typed by a person)."""
    targets = {f"{CANDIDATE_TARGET}{aamc_id}"}
    if candidate is None:
        candidate = session.scalar(select(Candidate).where(Candidate.program_id == program_id,
                                                           Candidate.aamc_id == aamc_id))
    if candidate is not None:
        targets.add(f"{CANDIDATE_TARGET}{candidate.id}")
        targets |= {f"note:{i}" for i in session.scalars(select(ReferenceNote.id).where(
            ReferenceNote.candidate_id == candidate.id))}
        targets |= {f"interview:{i}" for i in session.scalars(select(Interview.id).where(
            Interview.candidate_id == candidate.id))}
    about: ColumnElement[bool] = AuditEvent.target.in_(targets)
    digits = re.sub(r"[^0-9A-Za-z]", "", aamc_id)
    if digits:
        inside = f"%{digits}%"
        about = about | cast(AuditEvent.before, Text).like(inside) | cast(AuditEvent.after, Text).like(inside)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.program_id == program_id, about)
                                .order_by(AuditEvent.id.desc()).limit(limit)))


def applicant_audit_trail(database: Database, program_id: int, key: str,
                          limit: int = 30) -> tuple[str, list[AuditLine]]:
    """(who, events) for one applicant named by AAMC ID or name, as every applicant command takes them.
    An AAMC ID no longer in the program (purged) still finds what the audit kept under it."""
    with database.reading() as session:
        try:
            candidate = resolve_one(session, program_id, key)
        except CandidateNotFound:
            if not re.fullmatch(r"[0-9]{6,8}", key.strip()):
                raise
            events = _events_about(session, program_id, key.strip(), None, limit)
            return f"applicant {key.strip()}", [_line(event) for event in events]
        events = _events_about(session, program_id, candidate.aamc_id, candidate, limit)
        return f"{candidate.first_name} {candidate.last_name} ({candidate.aamc_id})", [_line(e) for e in events]


def _rows(session: Session, query: Any) -> list[Any]:
    return list(session.execute(query).all())


def archive_filename(program_name: str, today: date) -> str:
    return f"{file_slug(program_name)}-archive-{today:%Y%m%d}.zip"


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


def latest_message_ts(database: Database) -> str | None:
    """The newest message ts the bot has stored (a post or a card's thread), so a workspace that
    makes its own timestamps (the local console) can continue after it instead of repeating one."""
    with database.reading() as session:
        stored = [session.scalar(select(func.max(BotPost.ref)).where(BotPost.kind == "message")),
                  session.scalar(select(func.max(Candidate.thread_ts)))]
    # Slack's ts are epoch seconds with six decimals; compared as numbers, not text.
    known = [ts for ts in stored if ts]
    return max(known, key=float) if known else None
