"""SQLAlchemy 2 typed models: the war room's tables.

Times are stored as UTC (`UTCDateTime` refuses naive datetimes and always gives
back aware UTC values, on SQLite too) and shown in the program's time zone by
the application. States are the domain's enums (`bot.domain`), stored as their values in string
columns (`Stored`). Applicant data lives in `candidates`, `reference_notes`, `votes`, `rankings`,
`code_rankings`, `list_entries`, `list_placements`, `offers`, `applicant_availability`, `interviews`,
`scorecards`, `plan_entries`, `card_views`: a purge deletes those rows of the program and keeps
`purge_records` (anonymous counts).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain.candidates import DegreeType
from bot.domain.interviews import InterviewState
from bot.domain.lists import PlacementKind
from bot.domain.notes import NoteSource, PostState, Sentiment
from bot.domain.offers import Availability, OfferStatus, PositionKind
from bot.domain.plan import PlanChoice
from bot.domain.posts import PostKind
from bot.domain.preference_list import Vote as VoteChoice
from bot.domain.reminders import ReminderKind, ReminderState
from bot.domain.roles import Role
from bot.domain.triage import Bucket, OverrideSource, Risk
from bot.domain.votes import VoteSource

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class Stored(TypeDecorator[E]):
    """A domain state stored as its value in a plain string column: the schema holds strings, the
    model reads and writes the enum, and a value outside it is refused before it reaches a row."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)

    @property
    def python_type(self) -> type[E]:
        return self.enum


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


# --- program and committee -------------------------------------------------------------------


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Triage policy (bot.domain.triage.TriagePolicy as JSON); empty means the defaults.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Reminder leads in minutes before each preference-list deadline.
    reminder_leads: Mapped[list[Any]] = mapped_column(default=lambda: [60, 15])
    match_year: Mapped[int | None] = mapped_column(Integer)
    purged_at: Mapped[datetime | None] = mapped_column()
    # Set when the channel was found shared with another organisation or public (why, for the directors):
    # nothing more is posted there (bot.slack_gateway) until it is private and unshared again.
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_reason: Mapped[str | None] = mapped_column(String(200))


class CommitteeRole(Base):
    """A recorded role. Channel members without a row are plain members."""

    __tablename__ = "committee_roles"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[Role] = mapped_column(Stored(Role, 16))  # director or observer
    granted_by: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_program_target", "program_id", "target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# --- candidates ------------------------------------------------------------------------------


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("program_id", "aamc_id"),
        # A thread belongs to one card: two applicants sharing one would route one's notes to the other.
        UniqueConstraint("program_id", "thread_ts"),
        # The preference list reads pinned candidates: an index keeps that off a scan of every applicant.
        Index("ix_candidates_program_pinned", "program_id", "pinned_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    aamc_id: Mapped[str] = mapped_column(String(16))
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    # Searchable derived values (bot.domain.candidates), kept in step with `profile`.
    degree_type: Mapped[DegreeType | None] = mapped_column(Stored(DegreeType, 16))
    graduation_year: Mapped[int | None] = mapped_column(Integer)
    visa_needed: Mapped[bool | None] = mapped_column(Boolean)
    exam_failures: Mapped[int] = mapped_column(Integer, default=0)
    states: Mapped[list[Any]] = mapped_column(default=list)
    tracks: Mapped[list[Any]] = mapped_column(default=list)
    # The whole imported row (bot.domain.candidates.ApplicantProfile as JSON) and its hash.
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profile_hash: Mapped[str] = mapped_column(String(64), default="")
    # Known connection, set by the coordinator (or the file).
    home_student: Mapped[bool] = mapped_column(Boolean, default=False)
    rotated_here: Mapped[bool] = mapped_column(Boolean, default=False)
    interviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    prior_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    prelim_here: Mapped[bool] = mapped_column(Boolean, default=False)
    strong_letters: Mapped[bool] = mapped_column(Boolean, default=False)
    # Triage: computed bucket, and the override a director (or the pre-SOAP plan) set over it.
    bucket: Mapped[Bucket | None] = mapped_column(Stored(Bucket, 32), index=True)
    risk: Mapped[Risk | None] = mapped_column(Stored(Risk, 16))
    triage_reasons: Mapped[list[Any]] = mapped_column(default=list)
    override_bucket: Mapped[Bucket | None] = mapped_column(Stored(Bucket, 32))
    override_source: Mapped[OverrideSource | None] = mapped_column(Stored(OverrideSource, 16))
    override_reason: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[str | None] = mapped_column(String(32))
    override_at: Mapped[datetime | None] = mapped_column()
    pinned_by: Mapped[str | None] = mapped_column(String(32))
    # The candidate's thread in the war room: the first card's ts.
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # Set while one request posts the candidate's first card, so a second request at the same
    # moment waits and answers in that card's thread instead of posting another parent.
    card_claimed_at: Mapped[datetime | None] = mapped_column()
    # A re-import changed the data of a candidate whose card is posted: the clock redraws it.
    card_stale: Mapped[bool] = mapped_column(default=False, server_default=false())
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReferenceNote(Base):
    __tablename__ = "reference_notes"
    __table_args__ = (UniqueConstraint("program_id", "source_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(32))
    source: Mapped[NoteSource] = mapped_column(Stored(NoteSource, 16))
    called_name: Mapped[str | None] = mapped_column(String(200))
    called_institution: Mapped[str | None] = mapped_column(String(200))
    called_role: Mapped[str | None] = mapped_column(String(200))
    relationship: Mapped[str | None] = mapped_column(String(200))
    sentiment: Mapped[Sentiment | None] = mapped_column(Stored(Sentiment, 32))
    text: Mapped[str] = mapped_column(Text)
    # A thread reply typed by a person: its ts; a note the bot posted: the post's ts once posted.
    source_ts: Mapped[str | None] = mapped_column(String(32))
    posted_ts: Mapped[str | None] = mapped_column(String(32))
    post_state: Mapped[PostState] = mapped_column(Stored(PostState, 16), default=PostState.NONE)
    post_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery is ignored."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenRequest(Base):
    """A verified Slack request, by the hash of what its signature covers (timestamp and body), kept until
    that signature expires: every web worker and process refuses the same request a second time."""

    __tablename__ = "seen_requests"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


# --- the pre-SOAP plan and who has looked at whom ----------------------------------------------


class PlanEntry(Base):
    """One row of the program's pre-SOAP plan (bot.domain.plan): someone the program knew before
    SOAP, keyed by AAMC ID, whether or not they have applied in SOAP. Re-importing replaces them all."""

    __tablename__ = "plan_entries"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    aamc_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(200))
    last_name: Mapped[str] = mapped_column(String(200))
    choice: Mapped[PlanChoice] = mapped_column(Stored(PlanChoice, 16))
    word: Mapped[str] = mapped_column(String(200))  # as the program wrote it
    interviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    rotated_here: Mapped[bool] = mapped_column(Boolean, default=False)
    home_student: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    row_number: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardView(Base):
    """A committee member opened a candidate's card (the first time is enough for `/soap unseen`)."""

    __tablename__ = "card_views"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)


class BotPost(Base):
    """A message the bot posted or a file it uploaded in Slack (recorded by bot.slack_gateway for every
    post), so a purge can delete each one; `deleted_at` is set once Slack has deleted it (or had).

    The outbox: a message is first stored as an `intent` (ref = its marker) before Slack is asked, and
    becomes a `message` (ref = its ts) once Slack has answered, so a post whose answer was lost (a
    crash, a timeout) is still known and can be looked up in Slack by its marker."""

    __tablename__ = "bot_posts"
    __table_args__ = (UniqueConstraint("kind", "channel_id", "ref"),
                      Index("ix_bot_posts_channel_pending", "channel_id", "deleted_at"),
                      Index("ix_bot_posts_marker", "marker", unique=True))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PostKind] = mapped_column(Stored(PostKind, 8))
    channel_id: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(32))  # the message ts or the file id (an intent: its marker)
    # The message's marker (also in its Slack metadata): one post per marker, whoever retries it.
    marker: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column()
    # Why Slack would not delete it (a purge reports it and tries again next time).
    problem: Mapped[str | None] = mapped_column(String(64))


# --- voting and the preference list ----------------------------------------------------------


class Vote(Base):
    __tablename__ = "votes"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    choice: Mapped[VoteChoice] = mapped_column(Stored(VoteChoice, 32))
    source: Mapped[VoteSource] = mapped_column(Stored(VoteSource, 16), default=VoteSource.VOTE)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Ranking(Base):
    """A member's own ordering of a subset (`/soap rank`): position 1 is best."""

    __tablename__ = "rankings"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class CodeRanking(Base):
    """A member's own ordering for one program code (`/soap rank <code> …`): position 1 is best. It
    replaces the member's general ordering on that code's list only."""

    __tablename__ = "code_rankings"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class ListSnapshot(Base):
    """One locked preference list: one per NRMP program code and round (DOMAIN.md §2)."""

    __tablename__ = "list_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    # The program code this list is for; None: the program's one list (an export without codes, or a
    # list locked before lists were kept per code, whose entries carry each applicant's track).
    code: Mapped[str | None] = mapped_column(String(64))
    locked_by: Mapped[str] = mapped_column(String(32))
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
    unlocked_by: Mapped[str | None] = mapped_column(String(32))
    unlocked_at: Mapped[datetime | None] = mapped_column()
    unlock_reason: Mapped[str | None] = mapped_column(Text)
    # Locking is the committee's decision; entering the list in R3 and certifying it there is a
    # separate act a director records, and what the deadline alarm checks.
    certified_by: Mapped[str | None] = mapped_column(String(32))
    certified_at: Mapped[datetime | None] = mapped_column()


class ListEntry(Base):
    __tablename__ = "list_entries"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("list_snapshots.id", ondelete="CASCADE"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidates.id", ondelete="SET NULL"))
    aamc_id: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(400))
    track: Mapped[str | None] = mapped_column(String(64))
    tied: Mapped[bool] = mapped_column(Boolean, default=False)


class ListPlacement(Base):
    """A director's pin or exclusion of an applicant on one program code's list (`code` empty: every
    list). A pin puts them first on that list after the program-wide pins; an exclusion leaves them off."""

    __tablename__ = "list_placements"
    __table_args__ = (UniqueConstraint("candidate_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[PlacementKind] = mapped_column(Stored(PlacementKind, 16))
    placed_by: Mapped[str] = mapped_column(String(32))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- rounds, reminders, positions, offers ----------------------------------------------------


class Round(Base):
    __tablename__ = "rounds"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    deadline_at: Mapped[datetime] = mapped_column()
    offers_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()


class Reminder(Base):
    """One reminder with a unique key, claimed under a lease before it is posted (exactly once)."""

    __tablename__ = "reminders"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(Stored(ReminderKind, 32))
    round: Mapped[int | None] = mapped_column(Integer)
    interview_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(index=True)
    subject_at: Mapped[datetime] = mapped_column()
    state: Mapped[ReminderState] = mapped_column(Stored(ReminderState, 16), default=ReminderState.PENDING)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column()
    message_ts: Mapped[str | None] = mapped_column(String(32))


class Position(Base):
    """Positions of one NRMP program code (`track` holds the code, e.g. 1234140C0; a program whose
    export carries no codes keeps track names such as `categorical`)."""

    __tablename__ = "positions"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    track: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100), default="", server_default="")
    total: Mapped[int] = mapped_column(Integer)


class Offer(Base):
    """One offer R3 made on one program code (`track`, as in `positions`) in one round."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("candidate_id", "round", "track"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    track: Mapped[str] = mapped_column(String(64))
    status: Mapped[OfferStatus] = mapped_column(Stored(OfferStatus, 16))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ApplicantAvailability(Base):
    """An applicant known to be out of SOAP: accepted elsewhere or withdrew (no row: available)."""

    __tablename__ = "applicant_availability"

    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    # Never `available`: an applicant still in SOAP has no row.
    status: Mapped[Availability] = mapped_column(Stored(Availability, 32))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The round it happened in, as typed (`… round 1`): out from the next round's offers on. None: as
    # of when it was recorded.
    in_round: Mapped[int | None] = mapped_column(Integer)
    # accepted-elsewhere: the kind of position (preliminary | categorical | advanced); None: unknown.
    kind: Mapped[PositionKind | None] = mapped_column(Stored(PositionKind, 16))


# --- interviews ------------------------------------------------------------------------------


class Interview(Base):
    __tablename__ = "interviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), index=True)
    state: Mapped[InterviewState] = mapped_column(Stored(InterviewState, 16))
    proposed_by: Mapped[str] = mapped_column(String(32))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    interviewer: Mapped[str | None] = mapped_column(String(32))
    scheduled_at: Mapped[datetime | None] = mapped_column()
    first_contact_at: Mapped[datetime | None] = mapped_column()
    reached_at: Mapped[datetime | None] = mapped_column()
    outcome_note: Mapped[str | None] = mapped_column(Text)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Scorecard(Base):
    __tablename__ = "scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(32))
    clinical: Mapped[int] = mapped_column(Integer)
    communication: Mapped[int] = mapped_column(Integer)
    reliability: Mapped[int] = mapped_column(Integer)
    fit: Mapped[int] = mapped_column(Integer)
    red_flags: Mapped[str | None] = mapped_column(Text)
    recommendation: Mapped[VoteChoice] = mapped_column(Stored(VoteChoice, 32))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- retention -------------------------------------------------------------------------------


class PurgeRecord(Base):
    """What a purge leaves: anonymous counts, nothing that identifies an applicant."""

    __tablename__ = "purge_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    purged_by: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime] = mapped_column(default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RunnableRevision(Base):
    """A revision whose code may run against this database, written by `soapbot db upgrade`
    (storage/migrate.py): the database's own and each below it reached through expand-only migrations.
    Every release reads this table to decide whether it may start: its shape never changes."""

    __tablename__ = "runnable_revisions"

    revision: Mapped[str] = mapped_column(String(32), primary_key=True)
    recorded_at: Mapped[datetime]


# --- the clock, seen from outside ----------------------------------------------------------------


class ClockTick(Base):
    """One clock process (`soapbot clock`, or the clock inside `soapbot socket`) and its last tick."""

    __tablename__ = "clock_ticks"

    clock_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid:random
    started_at: Mapped[datetime]
    ticked_at: Mapped[datetime]


class ClockSilenceAlarm(Base):
    """The one alarm a silence of the clock gets in a war room: the process that inserts the row posts it."""

    __tablename__ = "clock_silence_alarms"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    silent_since: Mapped[datetime] = mapped_column(primary_key=True)  # the last tick, or the war room's setup
    claimed_by: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    ts: Mapped[str | None] = mapped_column(String(32))
