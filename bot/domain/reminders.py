"""Planning reminders (pure): what to remind, when, and under which stable key.

No Slack, no database, no scheduler: the scheduler/storage layer persists the specs by
``key`` and sends them; this module only plans and classifies.

Keys (all instants in UTC, ``YYYY-MM-DDTHH:MM:SSZ``)::

    p{program}:r{n}:deadline-{lead}:{deadline}     deadline_lead, lead in minutes
    p{program}:r{n}:lock-{minutes}:{deadline}      lock_warning
    p{program}:r{n}:offers-open:{offers}           offers_open
    p{program}:r{n}:offers-expire:{expires}        offers_expire
    p{program}:r{n}:deadline-passed:{deadline}     deadline_alarm
    p{program}:i{interview_id}:interview-{lead}:{scheduled}   interview

A key encodes what the reminder is and the time it is about, so:

* re-planning an unchanged calendar gives the SAME keys (store with "insert if absent":
  idempotent);
* moving a deadline/offer/interview gives NEW keys; keys planned before and absent from the
  new plan are obsolete (:func:`obsolete_keys`) and should be cancelled.

Reminder times:

* ``deadline_lead``: ``lead`` minutes before each preference-list deadline (default 60, 15);
* ``lock_warning``: ``lock_warning_minutes`` before the deadline (default 15); the sender
  posts it to directors only if the list is not locked then (this module cannot know that);
* ``offers_open`` / ``offers_expire``: at the offer time / expiry itself;
* ``deadline_alarm``: at the deadline itself; the sender posts it only if a list of the round is
  not locked or not recorded as certified in R3 then (this module cannot know that). Its subject
  is the round's expiry: until then R3 is working from whatever list it had, which the committee
  must hear about even when the clock was down at the deadline;
* ``interview``: 10 minutes (configurable) before a scheduled interview.

Late delivery (the bot was down): :func:`classify` says ``on_time`` if the reminder is sent
within ``grace`` (default 2 minutes) of its due time; ``late`` if later but the subject time
(the deadline, the offers, the interview) has not passed yet: send it, marked late;
``missed`` once the subject time has passed: do not send, record as missed.  A reminder due
AT its subject time (offers_open, offers_expire) is therefore either on time (within grace)
or missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.domain.soap_calendar import Round

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_INTERVIEW_LEAD",
    "DEFAULT_LEADS",
    "DEFAULT_LOCK_WARNING_MINUTES",
    "MAX_LEAD_MINUTES",
    "Delivery",
    "LeadsError",
    "ListState",
    "ReminderChanges",
    "ReminderKind",
    "ReminderSpec",
    "classify",
    "due",
    "obsolete_keys",
    "parse_leads",
    "plan_interview_reminder",
    "plan_round_reminders",
]

DEFAULT_LEADS: tuple[int, ...] = (60, 15)
DEFAULT_LOCK_WARNING_MINUTES = 15
DEFAULT_INTERVIEW_LEAD = timedelta(minutes=10)
DEFAULT_GRACE = timedelta(minutes=2)
MAX_LEAD_MINUTES = 48 * 60


class ReminderKind(StrEnum):
    DEADLINE_LEAD = "deadline_lead"
    LOCK_WARNING = "lock_warning"
    OFFERS_OPEN = "offers_open"
    OFFERS_EXPIRE = "offers_expire"
    INTERVIEW = "interview"
    DEADLINE_ALARM = "deadline_alarm"


class ReminderState(StrEnum):
    """A stored reminder: waiting, claimed by one clock under a lease, sent, missed (too late to be
    worth sending; the next message names it) or cancelled (its calendar moved)."""

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    MISSED = "missed"
    CANCELLED = "cancelled"


class Delivery(StrEnum):
    PENDING = "pending"  # not due yet
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"


@dataclass(frozen=True)
class ListState:
    """Where one preference list stands for a round: locked in the war room, certified in R3.

    ``code`` is the NRMP program code (None for a program with a single list). R3 offers from
    what was certified there before the deadline (DOMAIN.md §2), so a list that is locked but
    not recorded as certified is still a risk the war room must hear about.
    """

    code: str | None
    label: str
    locked: bool
    certified: bool

    @property
    def name(self) -> str:
        return f"{self.code} {self.label}".strip() if self.code else self.label

    @property
    def missing(self) -> str | None:
        """What is still to do, in the committee's words; None when nothing is."""
        if not self.locked:
            return "not locked"
        if not self.certified:
            return "locked, not recorded as certified in R3"
        return None


class LeadsError(ValueError):
    """``leads=`` text that cannot be read; the message says why."""


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_KEY_PART = re.compile(r"[A-Za-z0-9_.\-]+")


def _check_key_part(value: str, name: str) -> str:
    if not _KEY_PART.fullmatch(value):
        raise ValueError(f"{name} must be letters, digits, '_', '.' or '-' (no ':' or spaces): {value!r}")
    return value


@dataclass(frozen=True)
class ReminderSpec:
    key: str
    kind: ReminderKind
    round: int | None
    due_at: datetime  # aware UTC: when to send
    subject_at: datetime  # aware UTC: the deadline / offers / expiry / interview it is about

    def __post_init__(self) -> None:
        object.__setattr__(self, "due_at", _utc(self.due_at, "due_at"))
        object.__setattr__(self, "subject_at", _utc(self.subject_at, "subject_at"))

    @property
    def lead(self) -> timedelta:
        """How long before its subject the reminder is due."""
        return self.subject_at - self.due_at


@dataclass(frozen=True)
class ReminderChanges:
    """What re-planning did to the reminders, as the director who changed the schedule reads it."""

    sent_now: tuple[ReminderSpec, ...] = ()  # its time is already past, its subject ahead: sent at once
    moved: tuple[tuple[ReminderSpec, ReminderSpec], ...] = ()  # (was, now) of the same kind and round
    dropped: tuple[tuple[ReminderSpec, str], ...] = ()  # no longer sent, with why

    def __bool__(self) -> bool:
        return bool(self.sent_now or self.moved or self.dropped)


def plan_round_reminders(
    program_key: str,
    rounds: Sequence[Round],
    leads_minutes: Iterable[int] = DEFAULT_LEADS,
    lock_warning_minutes: int | None = DEFAULT_LOCK_WARNING_MINUTES,
) -> list[ReminderSpec]:
    """All reminders for ``rounds``, sorted by due time then key.  Keys are unique and stable.

    ``lock_warning_minutes`` of ``None`` or 0 plans no lock warnings; duplicate leads are
    planned once.
    """
    _check_key_part(program_key, "program_key")
    leads = sorted(set(leads_minutes), reverse=True)
    for lead in leads:
        if not 0 < lead <= MAX_LEAD_MINUTES:
            raise ValueError(f"lead must be 1 to {MAX_LEAD_MINUTES} minutes, got {lead}")
    if lock_warning_minutes is not None and not 0 <= lock_warning_minutes <= MAX_LEAD_MINUTES:
        raise ValueError(f"lock_warning_minutes must be 0 to {MAX_LEAD_MINUTES}, got {lock_warning_minutes}")
    specs: list[ReminderSpec] = []
    for rnd in rounds:
        prefix = f"p{program_key}:r{rnd.number}"
        deadline = rnd.deadline_at
        for lead in leads:
            specs.append(
                ReminderSpec(
                    f"{prefix}:deadline-{lead}:{_stamp(deadline)}",
                    ReminderKind.DEADLINE_LEAD,
                    rnd.number,
                    deadline - timedelta(minutes=lead),
                    deadline,
                )
            )
        if lock_warning_minutes:
            specs.append(
                ReminderSpec(
                    f"{prefix}:lock-{lock_warning_minutes}:{_stamp(deadline)}",
                    ReminderKind.LOCK_WARNING,
                    rnd.number,
                    deadline - timedelta(minutes=lock_warning_minutes),
                    deadline,
                )
            )
        specs.append(
            ReminderSpec(
                f"{prefix}:offers-open:{_stamp(rnd.offers_at)}",
                ReminderKind.OFFERS_OPEN,
                rnd.number,
                rnd.offers_at,
                rnd.offers_at,
            )
        )
        specs.append(
            ReminderSpec(
                f"{prefix}:offers-expire:{_stamp(rnd.expires_at)}",
                ReminderKind.OFFERS_EXPIRE,
                rnd.number,
                rnd.expires_at,
                rnd.expires_at,
            )
        )
        specs.append(
            ReminderSpec(
                f"{prefix}:deadline-passed:{_stamp(deadline)}",
                ReminderKind.DEADLINE_ALARM,
                rnd.number,
                deadline,
                rnd.expires_at,
            )
        )
    specs.sort(key=lambda s: (s.due_at, s.key))
    return specs


def plan_interview_reminder(
    program_key: str,
    interview_id: str | int,
    scheduled_at: datetime,
    lead: timedelta = DEFAULT_INTERVIEW_LEAD,
) -> ReminderSpec:
    """The reminder ``lead`` before an interview; rescheduling it yields a new key."""
    _check_key_part(program_key, "program_key")
    _check_key_part(str(interview_id), "interview_id")
    if lead < timedelta(0):
        raise ValueError("lead must not be negative")
    scheduled = _utc(scheduled_at, "scheduled_at")
    minutes = int(lead.total_seconds() // 60)
    return ReminderSpec(
        f"p{program_key}:i{interview_id}:interview-{minutes}:{_stamp(scheduled)}",
        ReminderKind.INTERVIEW,
        None,
        scheduled - lead,
        scheduled,
    )


def classify(spec: ReminderSpec, now: datetime, *, grace: timedelta = DEFAULT_GRACE) -> Delivery:
    """``pending`` before due; ``on_time`` within ``grace`` after due; then ``late`` while the
    subject time is still ahead, ``missed`` once it has passed."""
    now = _utc(now, "now")
    if now < spec.due_at:
        return Delivery.PENDING
    if now - spec.due_at <= grace:
        return Delivery.ON_TIME
    if now < spec.subject_at:
        return Delivery.LATE
    return Delivery.MISSED


def due(
    specs: Iterable[ReminderSpec],
    now: datetime,
    *,
    done_keys: Iterable[str] = (),
    grace: timedelta = DEFAULT_GRACE,
) -> list[tuple[ReminderSpec, Delivery]]:
    """Specs that are due at ``now`` and not already handled (``done_keys``), with how to
    treat each (send on time, send marked late, record as missed), in due order."""
    done = set(done_keys)
    result: list[tuple[ReminderSpec, Delivery]] = [
        (spec, verdict)
        for spec in specs
        if spec.key not in done and (verdict := classify(spec, now, grace=grace)) is not Delivery.PENDING
    ]
    result.sort(key=lambda pair: (pair[0].due_at, pair[0].key))
    return result


def obsolete_keys(previous_keys: Iterable[str], new_specs: Iterable[ReminderSpec]) -> set[str]:
    """Keys planned before that the new plan no longer contains (moved or removed times)."""
    return set(previous_keys) - {s.key for s in new_specs}


_LEAD_TOKEN = re.compile(r"(\d+)\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)?")


def parse_leads(text: str) -> tuple[int, ...]:
    """``60,15`` -> ``(60, 15)``: minutes before each deadline, largest first, duplicates dropped.

    Also accepts spaces as separators, units (``1h,15m``, ``90 min``) and ``none``/``off``
    for no deadline reminders.  Each lead must be 1 to 2880 minutes (48 h).
    """
    cleaned = text.strip().strip("\"'").strip().lower()
    if cleaned in ("none", "off", "0"):
        return ()
    parts = [p for p in re.split(r"[,;\s]+(?=\d)|[,;]", cleaned) if p.strip()]
    if not parts:
        raise LeadsError("No leads given: use minutes before the deadline, e.g. leads=60,15 (or leads=none).")
    leads: set[int] = set()
    for part in parts:
        m = _LEAD_TOKEN.fullmatch(part.strip())
        if not m:
            raise LeadsError(
                f"'{part.strip()}' is not a number of minutes: use e.g. leads=60,15 or leads=1h,15m."
            )
        value = int(m.group(1)) * (60 if (m.group(2) or "m").startswith("h") else 1)
        if not 0 < value <= MAX_LEAD_MINUTES:
            raise LeadsError(f"Lead '{part.strip()}' must be between 1 minute and 48 hours.")
        leads.add(value)
    return tuple(sorted(leads, reverse=True))


# --- what a reminder message says, as plain values (the reminders service fills them) ------------


@dataclass(frozen=True)
class MissedNote:
    """A reminder that could not be sent in time (the clock was down)."""

    kind: ReminderKind
    round: int | None
    subject_at: datetime


@dataclass(frozen=True)
class ReminderView:
    kind: ReminderKind
    round: int | None
    subject_at: datetime
    now: datetime
    tz: ZoneInfo
    late: bool = False
    missing: dict[str, int] | None = None  # member -> candidates without their vote
    candidates_total: int = 0
    directors: tuple[str, ...] = ()
    expires_at: datetime | None = None
    deadline_at: datetime | None = None  # the alarm's subject is the expiry; its headline names the deadline
    missed: tuple[MissedNote, ...] = ()
    next_offers: tuple[str, ...] = ()  # escaped mrkdwn from bot.services.projection.next_offers_summary
    lists: tuple[ListState, ...] = ()  # the round's lists: locked? certified in R3?
    unanswered: tuple[str, ...] = ()  # escaped mrkdwn: offers of the round still without an outcome
    unseen: int = 0  # eligible applicants nobody has looked at (deadline reminders)

    @property
    def all_locked(self) -> bool:
        return bool(self.lists) and all(state.locked for state in self.lists)

    @property
    def incomplete(self) -> tuple[ListState, ...]:
        return tuple(state for state in self.lists if state.missing)
