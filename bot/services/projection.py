"""Who R3 offers to in a round, per program code: the lists R3 used and the outcomes so far.

Public functions other features call:
- `next_round(database, program_id, now, round_number=None, committee=None) -> NextRound`: who R3
  will offer to, per code (the pure rules are `bot.domain.offers.project_next_round`).
- `next_offers_summary(database, program_id, now) -> list[str]`: lines for the pre-deadline reminder.
- `opening_summary(...)`: lines for the message as a round's offers go out.
- `round_lists(session, program_id, round_number, configured)`: each code's locked list of a round.

The projection uses each code's locked list of the round when it is locked, else the committee's
current order for that code, labelled "not locked". The round projected by default is the first
whose offers are still ahead on the calendar, and never one at or before a round with records.
Offers of earlier locked rounds that nobody recorded are worked out from that round's locked list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.offers import (
    CodeNext,
    NextRound,
    OfferStatus,
    ProjectedOffer,
    StoredOffer,
    project_next_round,
    unrecorded_offers,
)
from bot.domain.reminders import ListState
from bot.errors import BadInput, WarRoomError
from bot.messages.offers import next_summary_lines, opening_lines
from bot.services import preference_list
from bot.services.positions import (
    listed_track,
    outcomes_of,
    read_labels,
    read_positions,
    read_unavailable,
    stored_offers,
)
from bot.services.voting import display_name
from storage.database import Database
from storage.models import ApplicantAvailability, Candidate, ListEntry, ListSnapshot, Round


def check_round(session: Session, program_id: int, round_number: int) -> None:
    rounds = preference_list.valid_rounds(session, program_id)
    if round_number not in rounds:
        raise BadInput(f"There is no round {round_number}; this program's SOAP rounds are "
                       f"{', '.join(str(r) for r in rounds)}.")



def round_lists(session: Session, program_id: int, round_number: int,
                 configured: Sequence[str]) -> dict[str, list[str]] | None:
    """Each position key's locked list of the round (AAMC IDs in rank order), or None if nothing is locked.

    A whole list locked before lists were kept per code is split by each entry's track."""
    snapshots = list(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
        ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id)))
    if not snapshots:
        return None
    lists: dict[str, list[str]] = {}
    for snapshot in snapshots:
        rows = session.execute(select(ListEntry.aamc_id, ListEntry.track).where(
            ListEntry.snapshot_id == snapshot.id).order_by(ListEntry.rank))
        if snapshot.code is not None:
            lists[snapshot.code] = [aamc for aamc, _ in rows]
            continue
        for aamc, track in rows:
            key = listed_track(track, configured)
            if key is not None and key not in {s.code for s in snapshots}:
                lists.setdefault(key, []).append(aamc)
    return lists




# --------------------------------------------------------------------------- the next round


class NothingToProject(WarRoomError):
    """No positions, or no round left."""


def _stored_round_times(session: Session, program_id: int) -> list[tuple[int, datetime]]:
    return [(number, at) for number, at in session.execute(
        select(Round.number, Round.offers_at).where(Round.program_id == program_id).order_by(Round.number))]


def _pick_round(session: Session, program_id: int, now: datetime, offers: Sequence[StoredOffer]) -> int:
    rounds = preference_list.valid_rounds(session, program_id)
    after_recorded = max((o.round for o in offers), default=0) + 1
    upcoming = [n for n, at in _stored_round_times(session, program_id) if at > now]
    by_calendar = upcoming[0] if upcoming else (None if _stored_round_times(session, program_id) else rounds[0])
    if by_calendar is None:
        raise NothingToProject(f"Every SOAP round of the calendar has run (the last was round {rounds[-1]}): there "
                               "is no next round to project. `/soap positions` shows the outcome.")
    wanted = max(by_calendar, after_recorded)
    later = [r for r in rounds if r >= wanted]
    if not later:
        raise NothingToProject(f"Offers are recorded up to round {after_recorded - 1}, the last round: there is no "
                               "next round to project. `/soap positions` shows the outcome.")
    return later[0]


def next_round(database: Database, program_id: int, now: datetime, round_number: int | None = None,
               committee: Iterable[str] | None = None) -> NextRound:
    """Who round `round_number` (default: the next one) would offer to, per code.

    `committee` (the war-room channel's members) decides whose ballots count for a code whose list is
    not locked (see `bot.services.preference_list.current_list`)."""
    with database.reading() as session:
        positions = read_positions(session, program_id)
        if not positions:
            raise NothingToProject("No positions are set yet, so there is nothing to offer. A director sets them: "
                                   "`/soap positions set categorical=3 preliminary=1`.")
        labels = read_labels(session, program_id)
        offers = [o for o in stored_offers(session, program_id) if o.code in positions]
        if round_number is None:
            round_number = _pick_round(session, program_id, now, offers)
        else:
            check_round(session, program_id, round_number)
        configured = sorted(positions)
        locked_lists = round_lists(session, program_id, round_number, configured) or {}
        earlier_lists = {number: found for number in range(1, round_number)
                         if (found := round_lists(session, program_id, number, configured))}
        unavailable = read_unavailable(session, program_id)
        # Who was already out of SOAP as each earlier round's offers went out: R3 skipped only them.
        since = dict(session.execute(select(Candidate.aamc_id, ApplicantAvailability.recorded_at)
                                     .join(Candidate, Candidate.id == ApplicantAvailability.candidate_id)
                                     .where(ApplicantAvailability.program_id == program_id)).all())
        out_by_round = {number: {a: v for a, v in unavailable.items() if since[a] <= at}
                        for number, at in _stored_round_times(session, program_id) if number in earlier_lists}
        snapshot = session.scalar(select(ListSnapshot).where(
            ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
            ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id.desc()).limit(1))
        locked_by, locked_at = (snapshot.locked_by, snapshot.locked_at) if snapshot else (None, None)
    names = {o.aamc_id: o.name for o in offers}
    lists: dict[str, list[str]] = {code: ids for code, ids in locked_lists.items() if code in positions}
    if set(lists) != set(positions):
        current = preference_list.current_list(database, program_id, committee)
        names.update((line.aamc_id, line.name) for line in current.lines)
        unlocked: dict[str, list[str]] = {}
        for listed in current.lists:
            if listed.code is not None:
                unlocked[listed.code] = [line.aamc_id for line in listed.lines]
                continue
            for line in listed.lines:  # the one list of a program without codes, split by track name
                key = listed_track(line.track, configured)
                if key is not None:
                    unlocked.setdefault(key, []).append(line.aamc_id)
        for code in positions:
            lists.setdefault(code, unlocked.get(code, []))
    if locked_lists:
        with database.reading() as session:
            wanted = sorted({a for ids in locked_lists.values() for a in ids} - set(names))
            names.update((c.aamc_id, display_name(c)) for c in session.scalars(select(Candidate).where(
                Candidate.program_id == program_id, Candidate.aamc_id.in_(wanted))))
    recorded = outcomes_of(offers, before_round=round_number)
    inferred = unrecorded_offers(earlier_lists, recorded, positions, round_number, out_by_round)
    if inferred:
        with database.reading() as session:
            wanted = sorted({o.aamc_id for o in inferred})
            people = {c.aamc_id: c for c in session.scalars(select(Candidate).where(
                Candidate.program_id == program_id, Candidate.aamc_id.in_(wanted)))}
        names.update((a, display_name(c)) for a, c in people.items())
        offers += [StoredOffer(people[o.aamc_id].id if o.aamc_id in people else 0, o.aamc_id,
                               names.get(o.aamc_id, o.aamc_id), o.round_number, o.code, OfferStatus.OFFERED,
                               "R3, not recorded here") for o in inferred]
    projection = project_next_round(lists, [*recorded, *inferred], positions, round_number, unavailable)
    codes = tuple(CodeNext(p.code, labels.get(p.code, ""), p.total, p.filled, p.open,
                           tuple(ProjectedOffer(a, names.get(a, a)) for a in p.offers), p.unfilled_after,
                           len(lists.get(p.code, ())), len(p.skipped), p.code in locked_lists)
                  for p in projection.codes.values())
    by_key = {(o.aamc_id, o.code, o.round): o for o in offers}
    assumed = tuple(by_key[(o.aamc_id, o.code, o.round_number)] for o in projection.assumed_expired)
    every_locked = all(c.locked for c in codes)
    return NextRound(program_id, round_number, every_locked, locked_by if every_locked else None,
                     locked_at if every_locked else None, codes, assumed, sum(len(ids) for ids in lists.values()))


def next_offers_summary(database: Database, program_id: int, now: datetime) -> list[str]:
    """Escaped mrkdwn lines for the pre-deadline reminder: the next round's projected offers per code.

    [] when there is nothing to say (no positions set, no round left). When a code's list is not
    locked the lines say so; ballots of every member count then (no Slack call from the clock)."""
    try:
        projection = next_round(database, program_id, now)
    except WarRoomError:
        return []
    return next_summary_lines(projection)


def opening_summary(database: Database, program_id: int, now: datetime, round_number: int,
                    lists: Sequence[ListState]) -> list[str]:
    """Escaped mrkdwn lines for the message as a round's offers go out: per code, who R3 is offering
    to and from which list (certified, locked only, or not locked). [] when no positions are set."""
    try:
        projection = next_round(database, program_id, now, round_number)
    except WarRoomError:
        return []
    return opening_lines(projection, lists)




__all__ = ["NothingToProject", "check_round", "next_offers_summary", "next_round", "opening_summary", "round_lists"]
