"""Who R3 offers to in a round, per program code: the lists R3 used and the outcomes so far.

Public functions other features call:
- `next_round(database, program_id, now, round_number=None, committee=None) -> NextRound`: who R3
  will offer to, per code (the pure rules are `bot.domain.offers.project_next_round`).
- `next_offers_summary(database, program_id, now) -> list[str]`: lines for the pre-deadline reminder.
- `opening_summary(...)`: lines for the message as a round's offers go out.
- `round_lists(session, program_id, round_number, configured)`: each code's locked list of a round.

The rules are `bot.domain.r3_rounds` (the list R3 used, availability by round, both branches when an
answer is unknown). Per code, the projected round uses its own locked list (certified or not, and
said which), else the last certified list (R3 keeps using it), else the committee's current order,
labelled "not locked". Earlier rounds' offers that nobody recorded are worked out from the list R3
used in them: only a list recorded as certified by that round's deadline. The round projected by
default is the first whose offers are still ahead on the calendar, and never one at or before a
round with records; the offers of a round running now are open, not lapsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.offers import (
    Availability,
    CodeNext,
    NextRound,
    OfferStatus,
    PositionKind,
    ProjectedOffer,
    StoredOffer,
    can_hold_both,
    kind_of,
)
from bot.domain.r3_rounds import (
    LeftSoap,
    ListSource,
    SavedList,
    coming_list,
    list_used,
    live_round,
    out_from_round,
    plan_round,
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



def saved_lists(session: Session, program_id: int, configured: Sequence[str]) -> list[SavedList]:
    """Every list locked here and not unlocked, per position key and round, with its certification.

    A whole list locked before lists were kept per code is split by each entry's track."""
    snapshots = list(session.scalars(select(ListSnapshot).where(
        ListSnapshot.program_id == program_id, ListSnapshot.unlocked_at.is_(None))
        .order_by(ListSnapshot.round, ListSnapshot.id)))
    saved: list[SavedList] = []
    for number in sorted({s.round for s in snapshots}):
        of_round = [s for s in snapshots if s.round == number]
        lists: dict[str, list[str]] = {}
        certified: dict[str, datetime | None] = {}
        for snapshot in of_round:
            rows = session.execute(select(ListEntry.aamc_id, ListEntry.track).where(
                ListEntry.snapshot_id == snapshot.id).order_by(ListEntry.rank))
            if snapshot.code is not None:
                lists[snapshot.code] = [aamc for aamc, _ in rows]
                certified[snapshot.code] = snapshot.certified_at
                continue
            for aamc, track in rows:
                key = listed_track(track, configured)
                if key is not None and key not in {s.code for s in of_round}:
                    lists.setdefault(key, []).append(aamc)
                    certified[key] = snapshot.certified_at
        saved += [SavedList(code, number, tuple(ids), certified[code]) for code, ids in lists.items()]
    return saved


def round_lists(session: Session, program_id: int, round_number: int,
                configured: Sequence[str]) -> dict[str, list[str]] | None:
    """Each position key's locked list of the round (AAMC IDs in rank order), or None if nothing is locked."""
    found = {s.code: list(s.ids) for s in saved_lists(session, program_id, configured)
             if s.round_number == round_number}
    return found or None


def lists_r3_could_use(session: Session, program_id: int, round_number: int,
                       configured: Sequence[str]) -> dict[str, list[str]] | None:
    """Per position key, who R3 could have offered to in a round: the list certified by its deadline
    (carried from an earlier round when none is new) and the round's own locked list, even if its
    certification was not recorded here. None: no list at all."""
    saved = saved_lists(session, program_id, configured)
    deadline = session.scalar(select(Round.deadline_at).where(Round.program_id == program_id,
                                                              Round.number == round_number))
    found: dict[str, list[str]] = {}
    for code in configured:
        used = list_used(saved, code, round_number, deadline)
        own = [s for s in saved if s.code == code and s.round_number == round_number]
        ids = [*(used.ids if used else ()), *(own[-1].ids if own else ())]
        if used is not None or own:
            found[code] = list(dict.fromkeys(ids))
    return found or None


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


def read_left(session: Session, program_id: int, offers_at: Mapping[int, datetime]) -> list[LeftSoap]:
    """Who left SOAP and from which round's offers on (the round typed, else as of when it was recorded)."""
    rows = session.execute(select(Candidate.aamc_id, ApplicantAvailability.status, ApplicantAvailability.recorded_at,
                                  ApplicantAvailability.in_round, ApplicantAvailability.kind)
                           .join(Candidate, Candidate.id == ApplicantAvailability.candidate_id)
                           .where(ApplicantAvailability.program_id == program_id))
    return [LeftSoap(aamc, Availability(status), out_from_round(at, in_round, offers_at),
                     PositionKind(kind) if kind else None) for aamc, status, at, in_round, kind in rows]


def next_round(database: Database, program_id: int, now: datetime, round_number: int | None = None,
               committee: Iterable[str] | None = None) -> NextRound:
    """Who round `round_number` (default: the next one) would offer to, per code.

    `committee` (the war-room channel's members) decides whose ballots count for a code whose list is
    neither locked nor carried (see `bot.services.preference_list.current_list`)."""
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
        saved = saved_lists(session, program_id, configured)
        times = {number: (deadline, opens, closes) for number, deadline, opens, closes in session.execute(
            select(Round.number, Round.deadline_at, Round.offers_at, Round.expires_at)
            .where(Round.program_id == program_id))}
        left = read_left(session, program_id, {n: t[1] for n, t in times.items()})
        used: dict[int, dict[str, tuple[str, ...]]] = {}
        for number in range(1, round_number):
            deadline = times[number][0] if number in times else None
            found = {code: x.ids for code in configured if (x := list_used(saved, code, number, deadline))}
            if found:
                used[number] = found
        snapshot = session.scalar(select(ListSnapshot).where(
            ListSnapshot.program_id == program_id, ListSnapshot.round == round_number,
            ListSnapshot.unlocked_at.is_(None)).order_by(ListSnapshot.id.desc()).limit(1))
        locked_by, locked_at = (snapshot.locked_by, snapshot.locked_at) if snapshot else (None, None)
    names = {o.aamc_id: o.name for o in offers}
    coming = {code: coming_list(saved, code, round_number, ()) for code in configured}
    if any(c.source is ListSource.CURRENT for c in coming.values()):
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
        coming = {code: coming_list(saved, code, round_number, unlocked.get(code, [])) for code in configured}
    lists = {code: list(c.ids) for code, c in coming.items()}
    plan = plan_round(round_number, lists, used, outcomes_of(offers, before_round=round_number), positions, left)
    wanted = sorted(({a for ids in lists.values() for a in ids} | {o.aamc_id for o in plan.inferred}) - set(names))
    if wanted:
        with database.reading() as session:
            people = {c.aamc_id: c for c in session.scalars(select(Candidate).where(
                Candidate.program_id == program_id, Candidate.aamc_id.in_(wanted)))}
        names.update((a, display_name(c)) for a, c in people.items())
    ids_of = {o.aamc_id: o.candidate_id for o in offers}
    offers += [StoredOffer(ids_of.get(o.aamc_id, 0), o.aamc_id, names.get(o.aamc_id, o.aamc_id), o.round_number,
                           o.code, OfferStatus.OFFERED, "R3, not recorded here") for o in plan.inferred]

    def projected(ids: Iterable[str]) -> tuple[ProjectedOffer, ...]:
        return tuple(ProjectedOffer(a, names.get(a, a)) for a in ids)

    codes = tuple(CodeNext(p.code, labels.get(p.code, ""), p.total, p.filled, p.open, projected(p.offers),
                           p.unfilled_after, len(lists.get(p.code, ())), len(p.skipped),
                           coming[p.code].source is not ListSource.CURRENT, coming[p.code].source.value,
                           coming[p.code].from_round,
                           projected(plan.if_accepted.codes[p.code].offers)
                           if plan.if_accepted.codes[p.code].offers != p.offers else None)
                  for p in plan.if_lapsed.codes.values())
    by_key = {(o.aamc_id, o.code, o.round): o for o in offers}
    # An offer to someone who accepted a position that cannot go with it lapsed with that acceptance.
    taken = [o for o in offers if o.status is OfferStatus.ACCEPTED]
    unanswered = [by_key[(o.aamc_id, o.code, o.round_number)] for o in plan.unanswered
                  if not any(t.aamc_id == o.aamc_id and not can_hold_both(kind_of(t.code), kind_of(o.code))
                             for t in taken)]
    live = live_round(now, {n: (t[1], t[2]) for n, t in times.items()})
    every_locked = all(c.source in (ListSource.CERTIFIED, ListSource.LOCKED) for c in coming.values())
    return NextRound(program_id, round_number, every_locked, locked_by if every_locked else None,
                     locked_at if every_locked else None, codes,
                     tuple(o for o in unanswered if o.round != live), sum(len(ids) for ids in lists.values()),
                     tuple(o for o in unanswered if o.round == live), times[live][2] if live else None)


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
