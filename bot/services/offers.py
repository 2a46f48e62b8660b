"""Offer records per round and program code, and applicant availability.

Public functions other features call:
- `record_offer(database, program_id=, actor=, candidate_key=, round_number=, status=, code=, now=)`.
- `clear_offer(...)` (directors): removes a mistaken record and says what it changed in the projection.
- `set_availability(...)`: an applicant accepted elsewhere, withdrew, or is available again.

Decisions (`../shared/DOMAIN.md` §2):
- `/soap offer <id|name> <round> offered|accepted|rejected|expired [code]` records or corrects one
  outcome (one row per applicant, round and code). Code, when not given: the one locked list of the
  round the applicant is on, else their offer already recorded in that round, else the program's
  only code; otherwise the person is asked for it.
- A new record is refused, with the reason, when: the round has not started by the program's
  calendar (offers go out at the round's offer time); the round's list for that code is not locked;
  the applicant was not on it (R3 offers only to names on the certified list); the applicant accepted
  (here or elsewhere) or withdrew; or the same code already had their rejection or expiry (R3 makes no
  further offer from that program). An earlier refusal on *another* code of the committee is allowed
  with a warning (DOMAIN.md §2 says it is unverified). A round offers at most the positions open
  before it (total minus earlier acceptances) on a code; an acceptance beyond the total is refused.
- `/soap offer <id> <round> clear [code]` (directors) removes a mistaken record; it is audited, and
  the answer compares the next round's projected offers before and after.
- `/soap status <id> accepted-elsewhere|withdrawn|available` (who may record offers): an applicant who
  accepted anywhere or withdrew leaves every list and gets no offer; the card says so.
- When the last open position is filled, the program's pending reminders are cancelled in the same
  transaction and the handler posts a summary.
- Writers of one program's offers are serialised by a row lock on the program (PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.offers import (
    Availability,
    AvailabilityResult,
    FilledSeat,
    NextRound,
    OfferCleared,
    OfferOutcome,
    OfferResult,
    OfferStatus,
    PositionKind,
    StoredOffer,
    check_new_offer,
)
from bot.domain.program_codes import ProgramCode
from bot.domain.reminders import ReminderState
from bot.domain.when import format_local
from bot.domain.wording import plural_s
from bot.errors import BadInput, Conflict, WarRoomError
from bot.messages.mrkdwn import clip, escape
from bot.services import audit, preference_list
from bot.services.candidate_lookup import resolve_one
from bot.services.positions import match_track, normalize_track, read_positions, read_status, stored_offers
from bot.services.projection import check_round, lists_r3_could_use, next_round
from bot.services.voting import display_name, lock_program_row
from storage.database import Database
from storage.models import ApplicantAvailability, Candidate, Offer, Program, Reminder, Round


def _check_started(session: Session, program_id: int, round_number: int, now: datetime) -> None:
    """R3 sends a round's offers at its offer time: a record before then is a mistake (DOMAIN.md §1)."""
    offers_at = session.scalar(select(Round.offers_at).where(Round.program_id == program_id,
                                                             Round.number == round_number))
    if offers_at is not None and offers_at > now:
        tz = ZoneInfo(session.scalar(select(Program.timezone).where(Program.id == program_id)) or "UTC")
        raise Conflict(f"Round {round_number} has not started: its offers go out {format_local(offers_at, tz)} by "
                       "the program's calendar (`/soap schedule`). Check the round number. Nothing was changed.")




def _choose_code(candidate: Candidate, requested: str | None, configured: Sequence[str],
                 codes: Mapping[str, ProgramCode], on_lists: Sequence[str], same_round: Sequence[StoredOffer]) -> str:
    names = ", ".join(f"`{escape(t)}`" for t in configured)
    if requested is not None:
        if codes:
            key = preference_list.resolve_code({c: codes[c] for c in configured if c in codes}
                                               or dict(codes), requested).code
        else:
            key = match_track(requested, configured) or ""
        if key not in configured:
            raise BadInput(f"This program has no positions on `{escape(clip(requested, 40))}`; it has {names}. "
                           "A director sets them with `/soap positions set <code or label>=<count>`.")
        return key
    if len(same_round) == 1:
        return same_round[0].code
    if len(on_lists) == 1:
        return on_lists[0]
    if len(configured) == 1:
        return configured[0]
    where = f"on {len(on_lists)} of this round's lists" if on_lists else "on none of this round's locked lists"
    raise BadInput(f"Which code? {escape(display_name(candidate))} is {where}, and this program has "
                   f"{len(configured)} ({names}). Add it at the end, like "
                   f"`/soap offer {escape(candidate.aamc_id)} <round> <outcome> {escape(configured[0])}`.")


def _check_listed(candidate: Candidate, round_number: int, code: str, lists: Mapping[str, list[str]] | None) -> None:
    if lists is None or code not in lists:
        raise Conflict(f"Round {round_number}'s list for {escape(code)} is not locked, and no earlier list for it is "
                       "recorded as certified in R3, so R3 cannot have offered from it. A director locks it first "
                       f"(`/soap list lock {round_number}`). Nothing was changed.")
    if candidate.aamc_id not in lists[code]:
        raise Conflict(f"{escape(display_name(candidate))} ({escape(candidate.aamc_id)}) was not on round "
                       f"{round_number}'s locked list for {escape(code)}, and R3 offers only to names on the "
                       "certified list. Check the applicant, the round and the code. Nothing was changed.")


def _check_capacity(offers: Sequence[StoredOffer], candidate_id: int, round_number: int, code: str,
                    status: OfferStatus, total: int) -> None:
    others = [o for o in offers if o.code == code and o.candidate_id != candidate_id]
    accepted_earlier = sum(1 for o in others if o.status is OfferStatus.ACCEPTED and o.round < round_number)
    open_before = max(0, total - accepted_earlier)
    made_this_round = sum(1 for o in others if o.round == round_number) + 1
    if status is OfferStatus.ACCEPTED:
        accepted = sum(1 for o in others if o.status is OfferStatus.ACCEPTED)
        if accepted + 1 > total:
            raise Conflict(f"Every {escape(code)} position is already filled ({accepted} of {total} accepted). "
                           "If the count is wrong, a director changes it with "
                           f"`/soap positions set {escape(code)}=<count>`; if an acceptance was recorded by mistake, "
                           "clear it first. Nothing was changed.")
    if made_this_round > open_before:
        made = made_this_round - 1
        raise Conflict(f"Round {round_number} can offer at most {open_before} {escape(code)} position"
                       f"{plural_s(open_before)} ({total} in all, {accepted_earlier} accepted in earlier rounds), and "
                       f"{made} offer{plural_s(made)} of that round {_are(made)} already recorded. "
                       "Check the round and the code (`/soap positions`). Nothing was changed.")


def _cancel_reminders(session: Session, program_id: int) -> int:
    """Pending reminders of the program become 'cancelled' (a claimed one is being sent right now)."""
    result = session.execute(update(Reminder).where(Reminder.program_id == program_id,
                                                     Reminder.state == ReminderState.PENDING)
                             .values(state=ReminderState.CANCELLED).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _seats(offers: Sequence[StoredOffer]) -> tuple[FilledSeat, ...]:
    return tuple(FilledSeat(o.code, o.aamc_id, o.name, o.round) for o in offers if o.status is OfferStatus.ACCEPTED)


def _availability(session: Session, candidate_id: int) -> tuple[Availability, PositionKind | None]:
    row = session.get(ApplicantAvailability, candidate_id)
    if row is None:
        return Availability.AVAILABLE, None
    return Availability(row.status), row.kind


def record_offer(database: Database, *, program_id: int, actor: str, candidate_key: str, round_number: int,
                 status: OfferStatus, code: str | None = None, now: datetime) -> OfferResult:
    """Record (or correct) one offer outcome; the rules in the module docstring are checked first."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        check_round(session, program_id, round_number)
        positions = read_positions(session, program_id)
        if not positions:
            raise Conflict("No positions are set yet, so an offer cannot fill one. A director sets them first: "
                           "`/soap positions set categorical=3 preliminary=1`.")
        candidate = resolve_one(session, program_id, candidate_key)
        offers = [o for o in stored_offers(session, program_id) if o.code in positions]
        mine = [o for o in offers if o.candidate_id == candidate.id]
        configured = sorted(positions)
        lists = lists_r3_could_use(session, program_id, round_number, configured)
        on_lists = [c for c, ids in (lists or {}).items() if candidate.aamc_id in ids and c in positions]
        chosen = _choose_code(candidate, code, configured, preference_list.program_codes(session, program_id),
                              on_lists, [o for o in mine if o.round == round_number])
        row = session.scalar(select(Offer).where(Offer.candidate_id == candidate.id, Offer.round == round_number,
                                                 Offer.track == chosen))
        warning = None
        if row is None:
            _check_started(session, program_id, round_number, now)
            _check_listed(candidate, round_number, chosen, lists)
        history = [OfferOutcome(o.aamc_id, o.code, o.round, o.status) for o in mine
                   if (o.code, o.round) != (chosen, round_number)]
        verdict = check_new_offer(history, chosen, round_number, status, *_availability(session, candidate.id))
        if verdict.refusal:
            raise Conflict(f"{escape(display_name(candidate))}: {escape(verdict.refusal)}. If an earlier record is "
                           "wrong, a director clears it (`/soap offer <id> <round> clear`). Nothing was changed.")
        if row is None:
            warning = verdict.warning
        _check_capacity(offers, candidate.id, round_number, chosen, status, positions[chosen])
        before_status = read_status(session, program_id)
        before = OfferStatus(row.status) if row is not None else None
        if before is not status:
            if row is None:
                session.add(Offer(program_id=program_id, candidate_id=candidate.id, round=round_number, track=chosen,
                                  status=status, recorded_by=actor, recorded_at=now))
            else:
                row.status, row.recorded_by, row.recorded_at = status, actor, now
            audit.record(session, program_id=program_id, actor=actor, action="offer.record",
                         target=f"candidate:{candidate.aamc_id}",
                         before={"round": round_number, "code": chosen, "status": before.value} if before else None,
                         after={"round": round_number, "code": chosen, "status": status.value})
            session.flush()
        after_status = read_status(session, program_id)
        all_filled_now = after_status.all_filled and not before_status.all_filled
        cancelled = 0
        if all_filled_now:
            cancelled = _cancel_reminders(session, program_id)
            audit.record(session, program_id=program_id, actor=actor, action="reminders.cancel",
                         target=f"program:{program_id}", before=None,
                         after={"reason": "all positions filled", "cancelled": cancelled})
        code_status = next(c for c in after_status.codes if c.code == chosen)
        return OfferResult(candidate.id, candidate.aamc_id, display_name(candidate), round_number, chosen, before,
                           status, after_status, code_status, all_filled_now, cancelled,
                           _seats(stored_offers(session, program_id)) if all_filled_now else (), warning)


def _projected(database: Database, program_id: int, now: datetime,
               committee: Iterable[str] | None) -> NextRound | None:
    try:
        return next_round(database, program_id, now, committee=committee)
    except WarRoomError:
        return None


def clear_offer(database: Database, *, program_id: int, actor: str, candidate_key: str, round_number: int,
                code: str | None = None, now: datetime, committee: Iterable[str] | None = None) -> OfferCleared:
    """Remove a mistaken offer record (directors; the caller checks the role), audited, and compare the
    next round's projection before and after."""
    before = _projected(database, program_id, now, committee)
    with database.transaction() as session:
        lock_program_row(session, program_id)
        candidate = resolve_one(session, program_id, candidate_key)
        rows = list(session.scalars(select(Offer).where(Offer.candidate_id == candidate.id,
                                                        Offer.round == round_number)))
        if code is not None:
            codes = preference_list.program_codes(session, program_id)
            wanted = preference_list.resolve_code(codes, code).code if codes else normalize_track(code)
            rows = [r for r in rows if r.track == wanted]
        if not rows:
            raise Conflict(f"No round-{round_number} offer to {escape(display_name(candidate))} is recorded"
                           f"{' on ' + escape(code) if code else ''}, so there is nothing to clear.")
        if len(rows) > 1:
            raise BadInput(f"{escape(display_name(candidate))} has round-{round_number} offers on "
                           + ", ".join(escape(r.track) for r in rows) + "; add the code at the end, like "
                           f"`/soap offer {escape(candidate.aamc_id)} {round_number} clear {escape(rows[0].track)}`.")
        row = rows[0]
        cleared = (row.track, OfferStatus(row.status))
        session.delete(row)
        audit.record(session, program_id=program_id, actor=actor, action="offer.clear",
                     target=f"candidate:{candidate.aamc_id}",
                     before={"round": round_number, "code": row.track, "status": row.status,
                             "recorded_by": row.recorded_by}, after=None)
        aamc, name = candidate.aamc_id, display_name(candidate)
    after = _projected(database, program_id, now, committee)
    with database.reading() as session:
        status_after = read_status(session, program_id)
    names = {o.aamc_id: o.name for p in (before, after) if p for c in p.codes for o in c.offers}

    def offers_of(p: NextRound | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((c.code, tuple(o.aamc_id for o in c.offers)) for c in p.codes) if p else ()

    return OfferCleared(aamc, name, round_number, cleared[0], cleared[1],
                        after.round if after else None, offers_of(before), offers_of(after), names, status_after)


def set_availability(database: Database, *, program_id: int, actor: str, candidate_key: str,
                     availability: Availability, now: datetime, in_round: int | None = None,
                     kind: PositionKind | None = None) -> AvailabilityResult:
    """Record that an applicant accepted elsewhere or withdrew, in round `in_round` when known (out from
    the next round's offers on), or is available again. An applicant who accepted an advanced position
    elsewhere stays on preliminary lists, and the other way round (`kind`)."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        if in_round is not None:
            check_round(session, program_id, in_round)
        candidate = resolve_one(session, program_id, candidate_key)
        row = session.get(ApplicantAvailability, candidate.id)
        before = ((Availability(row.status), row.in_round, row.kind) if row is not None
                  else (Availability.AVAILABLE, None, None))
        after = (availability, in_round, kind)
        if before != after:
            if availability is Availability.AVAILABLE:
                session.delete(row)
            elif row is None:
                session.add(ApplicantAvailability(candidate_id=candidate.id, program_id=program_id,
                                                  status=availability, recorded_by=actor, recorded_at=now,
                                                  in_round=in_round, kind=kind))
            else:
                row.status, row.recorded_by, row.recorded_at = availability, actor, now
                row.in_round, row.kind = in_round, kind
            audit.record(session, program_id=program_id, actor=actor, action="candidate.availability",
                         target=f"candidate:{candidate.aamc_id}",
                         before={"status": before[0].value, "round": before[1],
                                 "kind": before[2].value if before[2] else None},
                         after={"status": availability.value, "round": in_round, "kind": kind.value if kind else None})
        return AvailabilityResult(candidate.id, candidate.aamc_id, display_name(candidate), before[0], availability,
                                  in_round, kind, before != after)



def _are(n: int) -> str:
    return "is" if n == 1 else "are"



__all__ = ["clear_offer", "record_offer", "set_availability"]
