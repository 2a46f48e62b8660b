"""Where each round stands: its lists locked and certified in R3, its offers still unanswered.

Locking a list is the committee's decision in the war room; entering it in R3 and certifying it
there is a separate act that only a director can do in R3 and records here
(`/soap list certified <round>`). The deadline alarm, the reminders and `/soap schedule` read
this module, so they never disagree about what is still to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.offers import OfferStatus
from bot.domain.reminders import ListState
from bot.errors import BadInput, Conflict
from bot.services import audit, preference_list
from bot.services.voting import lock_program_row
from storage.database import Database
from storage.models import Candidate, ListSnapshot, Offer, Position, Round

SINGLE_LIST = "The list"


def _active(session: Session, program_id: int, round_number: int) -> list[ListSnapshot]:
    return list(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id)))


def program_codes(session: Session, program_id: int) -> list[tuple[str, str]]:
    """(code, label) of each NRMP program code that needs a list in R3: the codes with open positions
    when positions are set, otherwise every code of the export; empty for a program with one list."""
    codes = preference_list.program_codes(session, program_id)
    positioned = {track for track, total in session.execute(
        select(Position.track, Position.total).where(Position.program_id == program_id)) if total > 0}
    wanted = [code for code in codes if code in positioned] or list(codes)
    return [(code, codes[code].label) for code in wanted]


def list_states(session: Session, program_id: int, round_number: int) -> tuple[ListState, ...]:
    """Every list of the round (one per program code) with whether it is locked and certified."""
    snapshots = {snapshot.code: snapshot for snapshot in _active(session, program_id, round_number)}
    codes = program_codes(session, program_id)
    if not codes:
        single = snapshots.get(None)
        return (ListState(None, SINGLE_LIST, single is not None,
                          single is not None and single.certified_at is not None),)
    return tuple(ListState(code, label, code in snapshots, code in snapshots
                           and snapshots[code].certified_at is not None) for code, label in codes)


def unanswered_offers(session: Session, program_id: int, round_number: int) -> tuple[tuple[str, str, str], ...]:
    """(name, AAMC ID, track) of each offer of the round still recorded as offered, by name."""
    rows = session.execute(
        select(Candidate.last_name, Candidate.first_name, Candidate.aamc_id, Offer.track)
        .join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id, Offer.round == round_number, Offer.status == OfferStatus.OFFERED)
        .order_by(Candidate.last_name, Candidate.first_name, Offer.track))
    return tuple((f"{last}, {first}", aamc, track) for last, first, aamc, track in rows)


def deadline_of(session: Session, program_id: int, round_number: int) -> datetime | None:
    row = session.get(Round, (program_id, round_number))
    return row.deadline_at if row is not None else None


@dataclass(frozen=True)
class Certified:
    round: int
    lists: tuple[ListState, ...]  # the lists this recorded as certified
    after_deadline: bool  # R3 may already have used the list it had


@dataclass(frozen=True)
class RoundTiming:
    deadline_passed: bool  # R3 may already have used the list it had
    offers_expired: bool  # the round is over: its list is a record, no longer for entry in R3


def timing(database: Database, program_id: int, round_number: int, now: datetime) -> RoundTiming:
    with database.reading() as session:
        row = session.get(Round, (program_id, round_number))
    if row is None:
        return RoundTiming(False, False)
    return RoundTiming(now > row.deadline_at, now >= row.expires_at)


def certify(database: Database, *, program_id: int, actor: str, round_number: int, now: datetime,
            code: str | None = None) -> Certified:
    """Record that a director entered the round's locked lists (or one code's, named by code or
    label) in R3 and certified them there."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        if code is not None:
            code = preference_list.resolve_code(preference_list.program_codes(session, program_id), code).code
        snapshots = [s for s in _active(session, program_id, round_number) if code is None or s.code == code]
        which = f"Round {round_number}'s list" + (f" for {code}" if code else "")
        if not snapshots:
            raise BadInput(f"{which} is not locked. Lock it first (`/soap list lock {round_number}`), enter "
                           "that list in R3, certify it there, then record it here.")
        fresh = [s for s in snapshots if s.certified_at is None]
        if not fresh:
            raise Conflict(f"{which} is already recorded as certified in R3.")
        for snapshot in fresh:
            snapshot.certified_by, snapshot.certified_at = actor, now
            audit.record(session, program_id=program_id, actor=actor, action="list.certified",
                         target=f"round:{round_number}", before={"snapshot": snapshot.id, "certified": False},
                         after={"snapshot": snapshot.id, "code": snapshot.code, "certified": True})
        session.flush()
        certified = {s.code for s in fresh}
        lists = tuple(state for state in list_states(session, program_id, round_number) if state.code in certified)
        deadline = deadline_of(session, program_id, round_number)
        return Certified(round_number, lists, deadline is not None and now > deadline)
