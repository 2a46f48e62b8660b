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

from bot.domain.reminders import ListState
from bot.errors import BadInput, Conflict
from bot.services import audit
from bot.services.voting import lock_program_row
from storage.database import Database
from storage.models import Candidate, ListSnapshot, Offer, Round

SINGLE_LIST = "The list"


def _active(session: Session, program_id: int, round_number: int) -> ListSnapshot | None:
    return session.scalar(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id.desc()).limit(1))


def list_states(session: Session, program_id: int, round_number: int) -> tuple[ListState, ...]:
    """Every list of the round with whether it is locked and recorded as certified."""
    snapshot = _active(session, program_id, round_number)
    return (ListState(None, SINGLE_LIST, snapshot is not None,
                      snapshot is not None and snapshot.certified_at is not None),)


def unanswered_offers(session: Session, program_id: int, round_number: int) -> tuple[tuple[str, str, str], ...]:
    """(name, AAMC ID, track) of each offer of the round still recorded as offered, by name."""
    rows = session.execute(
        select(Candidate.last_name, Candidate.first_name, Candidate.aamc_id, Offer.track)
        .join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id, Offer.round == round_number, Offer.status == "offered")
        .order_by(Candidate.last_name, Candidate.first_name, Offer.track))
    return tuple((f"{last}, {first}", aamc, track) for last, first, aamc, track in rows)


def deadline_of(session: Session, program_id: int, round_number: int) -> datetime | None:
    row = session.get(Round, (program_id, round_number))
    return row.deadline_at if row is not None else None


@dataclass(frozen=True)
class Certified:
    round: int
    locked_by: str
    after_deadline: bool  # R3 may already have used the list it had


def certify(database: Database, *, program_id: int, actor: str, round_number: int, now: datetime) -> Certified:
    """Record that a director entered the locked round list in R3 and certified it there."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        snapshot = _active(session, program_id, round_number)
        if snapshot is None:
            raise BadInput(f"Round {round_number}'s list is not locked. Lock it first (`/soap list lock "
                           f"{round_number}`), enter that list in R3, certify it there, then record it here.")
        if snapshot.certified_at is not None:
            raise Conflict(f"Round {round_number}'s list is already recorded as certified in R3.")
        snapshot.certified_by, snapshot.certified_at = actor, now
        audit.record(session, program_id=program_id, actor=actor, action="list.certified",
                     target=f"round:{round_number}", before={"snapshot": snapshot.id, "certified": False},
                     after={"snapshot": snapshot.id, "certified": True})
        deadline = deadline_of(session, program_id, round_number)
        return Certified(round_number, snapshot.locked_by, deadline is not None and now > deadline)
