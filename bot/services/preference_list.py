"""The committee's preference list: ballots from storage, the aggregate, per-round locks and the CSV.

Public functions other features call:
- `current_list(database, program_id, committee=None) -> CurrentList`: the order right now.
- `locked_list(database, program_id, round) -> LockedList | None`: the round's locked snapshot.
- `missing_votes(database, program_id, committee) -> dict[user, list[AAMC ID]]`: who has not voted
  on which candidates of the current list.
- `lock_round` / `unlock_round` (directors) and `snapshot_csv(locked) -> bytes`.

Decisions (a program director's expectations, written down):
- The list holds every candidate that at least one counted member voted on or put in their
  ordering, plus every pinned candidate; candidates nobody mentioned are not on it (with 400
  applications, a list of 400 mostly-tied names helps no one). The triage bucket is advice: a
  candidate in "do not rank" stays on the list if the committee votes for them (the bucket shows
  on every line); a strict majority of "do not rank" *votes* leaves a candidate off.
- Counted ballots: when `committee` (the war-room channel's members) is given, the ballots of
  its members who are not observers; votes of people who left the channel stay stored and count
  again if they come back. Without `committee` (the CLI), every stored ballot counts.
- Ties are shown (`=`) and broken for submission by the aggregation's rule: the ballot of the
  program's first director (the one who set up the war room, then by the date the role was
  granted) who has a ballot, then the triage bucket (the director's override first), then AAMC ID.
- Pins come first. Among pinned candidates the committee's votes decide (a Schulze count over the
  pinned candidates alone, with the same tie-break), so the order of pins is defensible too.
- Locking round N stores a snapshot (rank, AAMC ID, name "Last, First", track = first track the
  applicant applied to, or "categorical"); later votes never change it. A round that is locked
  cannot be locked again until a director unlocks it with a reason; the old snapshot is kept with
  who unlocked it, when and why. Rounds are the program's rounds when the calendar is stored,
  otherwise 1-4 (NRMP's four SOAP rounds).
- The CSV (rank, AAMC ID, name, track) is UTF-8 with a byte-order mark and CRLF line ends, so
  Excel opens accented names correctly; a cell starting with `=`, `+`, `-`, `@`, tab or carriage
  return gets a leading `'` so that a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Role
from bot.domain.preference_list import Ballot, Vote, aggregate
from bot.domain.triage import Bucket
from bot.errors import BadInput, Conflict
from bot.messages.mrkdwn import mention
from bot.services import audit
from bot.services.programs import directors
from bot.services.voting import display_name, lock_program_row, stored_vote
from bot.spreadsheet import csv_bytes
from storage.database import Database
from storage.models import Candidate, CommitteeRole, ListEntry, ListSnapshot, Ranking, Round
from storage.models import Vote as VoteRow

DEFAULT_TRACK = "categorical"
TRACK_MAX = 64
NAME_MAX = 400
DEFAULT_ROUNDS = (1, 2, 3, 4)
UNLOCK_REASON_MAX = 500


@dataclass(frozen=True)
class ListLine:
    rank: int
    candidate_id: int
    aamc_id: str
    name: str
    bucket: str | None  # effective triage bucket (the director's override first)
    track: str
    tied: bool
    tie_group: int
    pinned: bool
    support: tuple[str, ...]  # members who voted rank or rank high
    dissent: tuple[str, ...]  # members who voted do not rank
    not_voted: tuple[str, ...]  # counted members who neither voted nor ranked this candidate


@dataclass(frozen=True)
class LockInfo:
    round: int
    locked_by: str
    locked_at: datetime
    entries: int


@dataclass(frozen=True)
class CurrentList:
    program_id: int
    lines: tuple[ListLine, ...]
    excluded: tuple[ListLine, ...]  # left off by a majority of "do not rank" (rank 0)
    members: tuple[str, ...]  # whose ballots count (sorted)
    ballots: int  # members with at least one vote or an ordering
    tie_breaker: str | None  # the director whose ballot breaks ties
    locks: tuple[LockInfo, ...]  # rounds currently locked


@dataclass(frozen=True)
class LockedEntry:
    rank: int
    aamc_id: str
    name: str
    track: str
    tied: bool


@dataclass(frozen=True)
class LockedList:
    program_id: int
    round: int
    snapshot_id: int
    locked_by: str
    locked_at: datetime
    entries: tuple[LockedEntry, ...]


@dataclass(frozen=True)
class Unlocked:
    round: int
    locked_by: str
    locked_at: datetime
    unlocked_by: str
    unlocked_at: datetime
    reason: str


# --------------------------------------------------------------------------- ballots and the list


def effective_bucket(candidate: Candidate) -> Bucket | None:
    value = candidate.override_bucket or candidate.bucket
    if not value:
        return None
    try:
        return Bucket(value)
    except ValueError:
        try:
            return Bucket.parse(value)
        except ValueError:
            return None


def first_track(candidate: Candidate) -> str:
    tracks = [str(t).strip() for t in (candidate.tracks or []) if str(t).strip()]
    return (tracks[0] if tracks else DEFAULT_TRACK)[:TRACK_MAX]


def _observers(session: Session, program_id: int) -> set[str]:
    return set(session.scalars(select(CommitteeRole.user_id).where(
        CommitteeRole.program_id == program_id, CommitteeRole.role == Role.OBSERVER.value)))


def load_ballots(session: Session, program_id: int, members: Iterable[str] | None = None) -> list[Ballot]:
    """Each member's ballot (scale votes and own ordering), keyed by AAMC ID; only `members` if given."""
    allowed = set(members) if members is not None else None
    scale: dict[str, dict[str, Vote]] = {}
    for user, aamc_id, choice in session.execute(
            select(VoteRow.user_id, Candidate.aamc_id, VoteRow.choice).join(
                Candidate, Candidate.id == VoteRow.candidate_id).where(VoteRow.program_id == program_id)):
        vote = stored_vote(choice)
        if vote is not None and (allowed is None or user in allowed):
            scale.setdefault(user, {})[aamc_id] = vote
    orderings: dict[str, list[str]] = {}
    for user, aamc_id in session.execute(
            select(Ranking.user_id, Candidate.aamc_id).join(Candidate, Candidate.id == Ranking.candidate_id)
            .where(Ranking.program_id == program_id).order_by(Ranking.user_id, Ranking.position)):
        if allowed is None or user in allowed:
            orderings.setdefault(user, []).append(aamc_id)
    users = sorted(set(scale) | set(orderings))
    return [Ballot(member=u, scale=scale.get(u, {}), ordering=tuple(orderings.get(u, ()))) for u in users]


def _compute(session: Session, program_id: int, committee: Iterable[str] | None) -> CurrentList:
    if committee is not None:
        members = sorted(set(committee) - _observers(session, program_id))
        ballots = load_ballots(session, program_id, members)
    else:
        ballots = load_ballots(session, program_id)
        members = sorted(b.member for b in ballots)
    mentioned = {c for b in ballots for c in (*b.scale, *b.ordering)}
    # Two indexed reads (by AAMC ID, and the pinned ones) rather than one OR that visits every applicant.
    candidates = {c.aamc_id: c for c in session.scalars(select(Candidate).where(
        Candidate.program_id == program_id, Candidate.aamc_id.in_(sorted(mentioned))))}
    candidates.update((c.aamc_id, c) for c in session.scalars(select(Candidate).where(
        Candidate.program_id == program_id, Candidate.pinned_by.is_not(None))))
    ids = sorted(candidates)
    buckets = {a: b.order for a, c in candidates.items() if (b := effective_bucket(c)) is not None}
    by_member = {b.member: b for b in ballots}
    tie_breaker = next((d for d in directors(session, program_id) if d in by_member), None)
    director_ballot = by_member.get(tie_breaker) if tie_breaker else None

    pinned = [a for a in ids if candidates[a].pinned_by]
    pin_order: list[str] = []
    if pinned:
        among_pins = aggregate(pinned, ballots, director_ballot=director_ballot, bucket_rank=buckets)
        pin_order = [*among_pins.order, *among_pins.excluded]
    result = aggregate(ids, ballots, pins=pin_order, director_ballot=director_ballot, bucket_rank=buckets,
                       committee=members)

    def line(aamc_id: str, rank: int, tied: bool, group: int, pin: bool) -> ListLine:
        candidate = candidates[aamc_id]
        bucket = effective_bucket(candidate)
        return ListLine(rank, candidate.id, aamc_id, display_name(candidate)[:NAME_MAX],
                        bucket.value if bucket else None, first_track(candidate), tied, group, pin,
                        result.support[aamc_id], result.dissent[aamc_id], result.not_voted[aamc_id])

    lines = tuple(line(e.candidate, e.rank, e.tied, e.tie_group, e.pinned) for e in result.entries)
    excluded = tuple(line(a, 0, False, 0, False) for a in result.excluded)
    locks = tuple(LockInfo(s.round, s.locked_by, s.locked_at, n) for s, n in _active_snapshots(session, program_id))
    return CurrentList(program_id, lines, excluded, tuple(members), len(ballots), tie_breaker, locks)


def current_list(database: Database, program_id: int, committee: Iterable[str] | None = None) -> CurrentList:
    """The committee's order right now (see the module docstring for who counts and what is listed)."""
    with database.reading() as session:
        return _compute(session, program_id, committee)


def missing_votes(database: Database, program_id: int, committee: set[str]) -> dict[str, list[str]]:
    """Members of `committee` (observers left out) -> AAMC IDs of the current list they have neither
    voted on nor ranked, in list order. Members with nothing missing are left out."""
    current = current_list(database, program_id, committee)
    missing: dict[str, list[str]] = {}
    for entry in current.lines:
        for user in entry.not_voted:
            missing.setdefault(user, []).append(entry.aamc_id)
    return missing


# --------------------------------------------------------------------------- locks


def _active_snapshots(session: Session, program_id: int) -> list[tuple[ListSnapshot, int]]:
    snapshots = list(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.round)))
    counts: dict[int, int] = {}
    if snapshots:
        for snapshot_id in session.scalars(select(ListEntry.snapshot_id).where(
                ListEntry.snapshot_id.in_([s.id for s in snapshots]))):
            counts[snapshot_id] = counts.get(snapshot_id, 0) + 1
    return [(s, counts.get(s.id, 0)) for s in snapshots]


def _active_snapshot(session: Session, program_id: int, round_number: int) -> ListSnapshot | None:
    return session.scalar(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id.desc()).limit(1))


def valid_rounds(session: Session, program_id: int) -> tuple[int, ...]:
    stored = tuple(session.scalars(select(Round.number).where(Round.program_id == program_id).order_by(Round.number)))
    return stored or DEFAULT_ROUNDS


def parse_round(text: str | None) -> int:
    if text is None or not text.strip().isdigit() or not text.isascii() or len(text.strip()) > 3:
        raise BadInput("Give the round number, like `/soap list lock 1`.")
    return int(text.strip())


def _check_round(session: Session, program_id: int, round_number: int) -> None:
    rounds = valid_rounds(session, program_id)
    if round_number not in rounds:
        raise BadInput(f"There is no round {round_number}; this program's SOAP rounds are "
                       f"{', '.join(str(r) for r in rounds)}.")


def _locked(session: Session, snapshot: ListSnapshot) -> LockedList:
    entries = tuple(LockedEntry(e.rank, e.aamc_id, e.name, e.track or DEFAULT_TRACK, e.tied)
                    for e in session.scalars(select(ListEntry).where(ListEntry.snapshot_id == snapshot.id)
                                             .order_by(ListEntry.rank)))
    return LockedList(snapshot.program_id, snapshot.round, snapshot.id, snapshot.locked_by, snapshot.locked_at,
                      entries)


def lock_round(database: Database, *, program_id: int, actor: str, round_number: int, now: datetime,
               committee: Iterable[str] | None = None) -> LockedList:
    """Freeze the current order as round `round_number`'s list (directors; the caller checks the role)."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        _check_round(session, program_id, round_number)
        existing = _active_snapshot(session, program_id, round_number)
        if existing is not None:
            raise Conflict(f"Round {round_number}'s list is already locked (by {mention(existing.locked_by)}, "
                           f"{len(_locked(session, existing).entries)} candidates). To lock it again, a director "
                           f"unlocks it first: `/soap list unlock {round_number} <reason>`.")
        current = _compute(session, program_id, committee)
        if not current.lines:
            raise BadInput("There is nothing to lock yet: no candidate has a vote, an ordering or a pin.")
        snapshot = ListSnapshot(program_id=program_id, round=round_number, locked_by=actor, locked_at=now)
        session.add(snapshot)
        session.flush()
        session.add_all(ListEntry(snapshot_id=snapshot.id, rank=line.rank, candidate_id=line.candidate_id,
                                  aamc_id=line.aamc_id, name=line.name, track=line.track, tied=line.tied)
                        for line in current.lines)
        session.flush()
        audit.record(session, program_id=program_id, actor=actor, action="list.lock", target=f"round:{round_number}",
                     before=None, after={"snapshot": snapshot.id, "entries": len(current.lines),
                                         "order": [line.aamc_id for line in current.lines],
                                         "excluded": [line.aamc_id for line in current.excluded]})
        return _locked(session, snapshot)


def unlock_round(database: Database, *, program_id: int, actor: str, round_number: int, reason: str,
                 now: datetime) -> Unlocked:
    """Reopen round `round_number`'s list; the snapshot is kept with who unlocked it, when and why."""
    reason = " ".join(reason.split())
    if not reason:
        raise BadInput(f"Say why: `/soap list unlock {round_number} <reason>` (the reason is kept in the record).")
    if len(reason) > UNLOCK_REASON_MAX:
        raise BadInput(f"The reason is {len(reason)} characters; keep it under {UNLOCK_REASON_MAX}.")
    with database.transaction() as session:
        lock_program_row(session, program_id)
        snapshot = _active_snapshot(session, program_id, round_number)
        if snapshot is None:
            raise Conflict(f"Round {round_number}'s list is not locked, so there is nothing to unlock.")
        snapshot.unlocked_by, snapshot.unlocked_at, snapshot.unlock_reason = actor, now, reason
        audit.record(session, program_id=program_id, actor=actor, action="list.unlock",
                     target=f"round:{round_number}", before={"snapshot": snapshot.id, "locked": True},
                     after={"snapshot": snapshot.id, "locked": False, "reason": reason})
        return Unlocked(round_number, snapshot.locked_by, snapshot.locked_at, actor, now, reason)


def locked_list(database: Database, program_id: int, round_number: int) -> LockedList | None:
    """The locked snapshot of round `round_number`, or None when that round is not locked."""
    with database.reading() as session:
        snapshot = _active_snapshot(session, program_id, round_number)
        return _locked(session, snapshot) if snapshot is not None else None


# --------------------------------------------------------------------------- CSV

CSV_HEADER = ("Rank", "AAMC ID", "Name", "Track")


def list_csv(entries: Sequence[LockedEntry]) -> bytes:
    """The NRMP-entry CSV: formula-safe cells, UTF-8 with BOM, CRLF (bot.spreadsheet)."""
    return csv_bytes(CSV_HEADER, ((e.rank, e.aamc_id, e.name, e.track) for e in entries))


def snapshot_csv(locked: LockedList) -> bytes:
    return list_csv(locked.entries)


def csv_filename(program_name: str, round_number: int) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in program_name.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part)[:60] or "program"
    return f"{slug}-soap-round-{round_number}-preference-list.csv"


def require_locked(database: Database, program_id: int, round_number: int) -> LockedList:
    """Round `round_number`'s locked list, or the refusal that says how to lock it."""
    locked = locked_list(database, program_id, round_number)
    if locked is None:
        raise Conflict(f"Round {round_number}'s list is not locked; a director locks it first with "
                       f"`/soap list lock {round_number}`.")
    return locked


def export_csv(database: Database, program_id: int, round_number: int) -> bytes:
    """The CSV of round `round_number`'s locked list, byte for byte what the lock uploaded."""
    return snapshot_csv(require_locked(database, program_id, round_number))
