"""Positions per NRMP program code, offer records per round, applicant availability, and the next round.

Public functions other features call:
- `positions_status(database, program_id) -> PositionsStatus`: code, label, total, filled, open per code.
- `set_positions(database, program_id=, actor=, pairs=)` (directors; the router checks the role).
- `record_offer(database, program_id=, actor=, candidate_key=, round_number=, status=, code=, now=)`.
- `clear_offer(...)` (directors): removes a mistaken record and says what it changed in the projection.
- `set_availability(...)`: an applicant accepted elsewhere, withdrew, or is available again.
- `next_round(database, program_id, now, round_number=None, committee=None) -> NextRound`: who R3
  will offer to, per code (the pure rules are `bot.domain.offers.project_next_round`).
- `next_offers_summary(database, program_id, now) -> list[str]`: lines for the pre-deadline reminder.
- `all_positions_filled(session, program_id) -> bool` (e.g. for the reminder planner).

Decisions (`../shared/DOMAIN.md` §2: each track is its own program in R3, with its own code and list):
- Positions are per program code (`1234140C0`), found in the applicants' track values. `/soap positions
  set categorical=3 preliminary=1` names a code by its label (or by the code itself); a label shared by
  two codes must be given as the code. A program whose export has no codes keeps track names chosen by
  the director (`categorical`), as before, and one list. A count below the code's accepted offers is
  refused; `code=0` removes a code with no recorded offer (a typo can be undone).
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
- An accepted offer fills one position of its code. When the last open position is filled, the
  program's pending reminders are cancelled in the same transaction and the handler posts a summary.
- Writers of one program's offers are serialised by a row lock on the program (PostgreSQL).
- The projection uses each code's locked list of the round when it is locked, else the committee's
  current order for that code, labelled "not locked". The round projected by default is the first
  whose offers are still ahead on the calendar, and never one at or before a round with records.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain.cards import CardButton, CardSection, CardViewer
from bot.domain.offers import (
    Availability,
    AvailabilityResult,
    CodeNext,
    CodeStatus,
    FilledSeat,
    NextRound,
    OfferCleared,
    OfferOutcome,
    OfferResult,
    OfferStatus,
    PositionsChange,
    PositionsStatus,
    ProjectedOffer,
    StoredOffer,
    check_new_offer,
    positions_summary,
    project_next_round,
    unrecorded_offers,
)
from bot.domain.program_codes import ProgramCode, matching, parse_track
from bot.domain.reminders import ListState
from bot.domain.when import format_local
from bot.domain.wording import plural, plural_s
from bot.errors import BadInput, Conflict, WarRoomError
from bot.messages.ids import ActionId
from bot.messages.mrkdwn import clip, escape, mention
from bot.messages.offers import next_summary_lines, opening_lines
from bot.services import audit, candidates, preference_list
from bot.services.voting import display_name, lock_program_row
from storage.database import Database
from storage.models import (
    ApplicantAvailability,
    Candidate,
    ListEntry,
    ListSnapshot,
    Offer,
    Position,
    Program,
    Reminder,
    Round,
)

TRACK_MAX = 64
MAX_POSITIONS = 500
MAX_TRACKS = 12
_TRACK_NAME = re.compile(r"^[a-z0-9][a-z0-9 _/.-]*$")
OUTCOME_ACTION_PREFIX = f"{ActionId.OFFER_OUTCOME.value}."


# --------------------------------------------------------------------------- codes and track names


def normalize_track(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def valid_track_name(text: str) -> str:
    track = normalize_track(text)
    if not track or len(track) > TRACK_MAX or not track.isascii() or not _TRACK_NAME.match(track):
        raise BadInput(f"`{escape(clip(text, 40))}` is not a track name: use letters, digits, spaces or dashes "
                       "(like `categorical`, `preliminary`, `primary-care`).")
    return track


def match_track(text: str, configured: Sequence[str]) -> str | None:
    """The configured track name an applicant's track text means, for a program without codes."""
    if not configured:
        return None
    wanted = normalize_track(text)
    if wanted in configured:
        return wanted
    hits = [c for c in configured if re.search(rf"(?<![a-z0-9]){re.escape(c)}(?![a-z0-9])", wanted)]
    return hits[0] if len(hits) == 1 else None


def _listed_track(text: str | None, configured: Sequence[str]) -> str | None:
    """The position key a locked entry's track text belongs to (a code, else a track name)."""
    parsed = parse_track(text or "")
    if parsed is not None:
        return parsed.code if parsed.code in configured else None
    if text in configured:
        return text
    if len(configured) == 1:
        return configured[0]
    return match_track(text or "", configured)


# --------------------------------------------------------------------------- reading


def _positions(session: Session, program_id: int) -> dict[str, int]:
    """Positions per code. A row a director named by label before the export brought the codes
    (`categorical`, set at setup) counts for the one code with that label, so the lists and the
    projection meet; the next `/soap positions set` stores it under the code."""
    rows = {track: total for track, total in session.execute(
        select(Position.track, Position.total).where(Position.program_id == program_id).order_by(Position.track))}
    codes = preference_list.program_codes(session, program_id)
    for track in [t for t in rows if codes and t not in codes]:
        hits = matching(codes.values(), track)
        if len(hits) == 1 and hits[0].code not in rows:
            rows[hits[0].code] = rows.pop(track)
    return dict(sorted(rows.items()))


def _labels(session: Session, program_id: int) -> dict[str, str]:
    codes = preference_list.program_codes(session, program_id)
    labels = {code: c.label for code, c in codes.items()}
    for track, label in session.execute(select(Position.track, Position.label).where(
            Position.program_id == program_id)):
        labels[track] = labels.get(track) or label or ""
    return labels


def _stored_offers(session: Session, program_id: int) -> list[StoredOffer]:
    rows = session.execute(
        select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id).order_by(Offer.round, Offer.track, Candidate.aamc_id))
    return [StoredOffer(c.id, c.aamc_id, display_name(c), o.round, o.track, OfferStatus(o.status), o.recorded_by)
            for o, c in rows]


def _outcomes(offers: Iterable[StoredOffer], before_round: int | None = None) -> list[OfferOutcome]:
    return [OfferOutcome(o.aamc_id, o.code, o.round, o.status) for o in offers
            if before_round is None or o.round < before_round]


def _unavailable(session: Session, program_id: int) -> dict[str, Availability]:
    return {aamc: Availability(status) for aamc, status in session.execute(
        select(Candidate.aamc_id, ApplicantAvailability.status)
        .join(Candidate, Candidate.id == ApplicantAvailability.candidate_id)
        .where(ApplicantAvailability.program_id == program_id))}


def _status(session: Session, program_id: int) -> PositionsStatus:
    positions = _positions(session, program_id)
    labels = _labels(session, program_id)
    offers = [o for o in _stored_offers(session, program_id) if o.code in positions]
    latest = max((o.round for o in offers), default=None)
    summary = positions_summary(positions, _outcomes(offers))
    # An unanswered offer to someone who accepted another one lapsed with that acceptance.
    settled = {o.candidate_id for o in offers if o.status is OfferStatus.ACCEPTED}
    codes = tuple(CodeStatus(c.code, labels.get(c.code, ""), c.total, c.filled,
                             sum(1 for o in offers if o.code == c.code and o.round == latest
                                 and o.status is OfferStatus.OFFERED and o.candidate_id not in settled),
                             c.open, c.over_filled) for c in summary.values())
    return PositionsStatus(program_id, codes, latest)


def positions_status(database: Database, program_id: int) -> PositionsStatus:
    with database.reading() as session:
        return _status(session, program_id)


def all_positions_filled(session: Session, program_id: int) -> bool:
    """True when the program has positions and every one is filled by an accepted offer."""
    return _status(session, program_id).all_filled


# --------------------------------------------------------------------------- positions


def parse_position_pairs(pairs: Mapping[str, str]) -> dict[str, int]:
    if not pairs:
        raise BadInput("Give the number of positions per code or track: "
                       "`/soap positions set categorical=3 preliminary=1`.")
    wanted: dict[str, int] = {}
    for key, value in pairs.items():
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) > MAX_POSITIONS:
            raise BadInput(f"`{escape(clip(key, 40))}={escape(clip(value, 20))}`: the number of positions is a whole "
                           f"number from 0 to {MAX_POSITIONS}.")
        name = " ".join(key.split())
        if name.casefold() in {k.casefold() for k in wanted}:
            raise BadInput(f"`{escape(name)}` is given twice.")
        wanted[name] = int(text)
    return wanted


def _code_or_track(text: str) -> str:
    """Before the first export no applicant has named the program's codes: a program code typed alone
    (`1234140c0`) is kept as that code, as the export will write it, so positions set before Monday
    belong to the code's list; anything else is a track name."""
    parsed = parse_track(text)
    if parsed is not None and parsed.code == " ".join(text.split()).upper():
        return parsed.code
    return valid_track_name(text)


def _position_keys(codes: Mapping[str, ProgramCode], wanted: Mapping[str, int]) -> dict[str, tuple[str, int]]:
    """key text -> (position key, count): a program code when the export has codes, else a track name."""
    keys: dict[str, tuple[str, int]] = {}
    for text, total in wanted.items():
        key = preference_list.resolve_code(dict(codes), text).code if codes else _code_or_track(text)
        if key in {k for k, _ in keys.values()}:
            raise BadInput(f"`{escape(text)}` names {escape(key)}, which is given twice.")
        keys[text] = (key, total)
    return keys


def set_positions(database: Database, *, program_id: int, actor: str, pairs: Mapping[str, str]) -> PositionsChange:
    """`/soap positions set categorical=3 preliminary=1` (directors). Nothing changes on any error."""
    wanted = parse_position_pairs(pairs)
    with database.transaction() as session:
        lock_program_row(session, program_id)
        codes = preference_list.program_codes(session, program_id)
        keys = _position_keys(codes, wanted)
        before = _positions(session, program_id)
        labels = {t: label for t, label in session.execute(select(Position.track, Position.label).where(
            Position.program_id == program_id))}
        status = {c.code: c for c in _status(session, program_id).codes}
        offered = set(session.scalars(select(Offer.track).where(Offer.program_id == program_id)))
        after = dict(before)
        for key, total in keys.values():
            filled = status[key].filled if key in status else 0
            if total < filled:
                raise Conflict(f"`{escape(key)}` already has {plural(filled, 'accepted offer')}, so it cannot "
                               f"have fewer than {plural(filled, 'position')}. If an acceptance was recorded by "
                               "mistake, a director clears it with `/soap offer <id> <round> clear` first. "
                               "Nothing was changed.")
            if total == 0 and key not in offered:
                after.pop(key, None)
            else:
                after[key] = total
            if key in codes:
                labels[key] = codes[key].label
        if len(after) > MAX_TRACKS:
            raise BadInput(f"A program has at most {MAX_TRACKS} codes; remove one with `code=0` first.")
        if after != before:
            session.execute(delete(Position).where(Position.program_id == program_id))
            session.add_all(Position(program_id=program_id, track=t, label=labels.get(t, ""), total=n)
                            for t, n in sorted(after.items()))
            audit.record(session, program_id=program_id, actor=actor, action="positions.set",
                         target=f"program:{program_id}", before={"positions": before}, after={"positions": after})
            session.flush()
        return PositionsChange(before, after, _status(session, program_id))


# --------------------------------------------------------------------------- recording outcomes


@dataclass(frozen=True)
class OfferRequest:
    """`<id or name…> <round> <outcome> [code]`, or `<id> <round> clear [code]` (status None)."""

    candidate_key: str
    round_number: int
    status: OfferStatus | None
    code: str | None

    @property
    def clear(self) -> bool:
        return self.status is None


_STATUS_WORDS = {
    "offered": OfferStatus.OFFERED, "offer": OfferStatus.OFFERED, "made": OfferStatus.OFFERED,
    "accepted": OfferStatus.ACCEPTED, "accept": OfferStatus.ACCEPTED,
    "rejected": OfferStatus.REJECTED, "reject": OfferStatus.REJECTED, "declined": OfferStatus.REJECTED,
    "decline": OfferStatus.REJECTED,
    "expired": OfferStatus.EXPIRED, "expire": OfferStatus.EXPIRED, "lapsed": OfferStatus.EXPIRED,
}
_CLEAR_WORDS = {"clear", "remove", "delete"}
OFFER_USAGE = ("Use `/soap offer <AAMC ID> <round> offered|accepted|rejected|expired [code]`, like "
               "`/soap offer 12345678 1 accepted` or `/soap offer 12345678 2 offered preliminary`; a director "
               "removes a mistaken record with `/soap offer 12345678 2 clear`.")


def parse_status(text: str) -> OfferStatus:
    status = _STATUS_WORDS.get(text.strip().casefold())
    if status is None:
        raise BadInput(f"`{escape(clip(text, 30))}` is not an outcome. {OFFER_USAGE}")
    return status


def parse_offer_words(words: Sequence[str]) -> OfferRequest:
    """`<id or name…> <round> <outcome|clear> [code…]`: the outcome word is found, the round is just before it."""
    at = next((i for i, w in enumerate(words) if w.casefold() in _STATUS_WORDS or w.casefold() in _CLEAR_WORDS),
              None)
    if at is None or at < 2:
        raise BadInput(OFFER_USAGE)
    round_word = words[at - 1]
    if not round_word.isascii() or not round_word.isdigit() or len(round_word) > 2:
        raise BadInput(f"`{escape(clip(round_word, 20))}` is not a round number. {OFFER_USAGE}")
    code_words = words[at + 1:]
    status = None if words[at].casefold() in _CLEAR_WORDS else parse_status(words[at])
    return OfferRequest(" ".join(words[: at - 1]), int(round_word), status,
                        " ".join(code_words) if code_words else None)


def _check_round(session: Session, program_id: int, round_number: int) -> None:
    rounds = preference_list.valid_rounds(session, program_id)
    if round_number not in rounds:
        raise BadInput(f"There is no round {round_number}; this program's SOAP rounds are "
                       f"{', '.join(str(r) for r in rounds)}.")


def _check_started(session: Session, program_id: int, round_number: int, now: datetime) -> None:
    """R3 sends a round's offers at its offer time: a record before then is a mistake (DOMAIN.md §1)."""
    offers_at = session.scalar(select(Round.offers_at).where(Round.program_id == program_id,
                                                             Round.number == round_number))
    if offers_at is not None and offers_at > now:
        tz = ZoneInfo(session.scalar(select(Program.timezone).where(Program.id == program_id)) or "UTC")
        raise Conflict(f"Round {round_number} has not started: its offers go out {format_local(offers_at, tz)} by "
                       "the program's calendar (`/soap schedule`). Check the round number. Nothing was changed.")


def _round_lists(session: Session, program_id: int, round_number: int,
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
            key = _listed_track(track, configured)
            if key is not None and key not in {s.code for s in snapshots}:
                lists.setdefault(key, []).append(aamc)
    return lists


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
        raise Conflict(f"Round {round_number}'s list for {escape(code)} is not locked, so R3 cannot have offered "
                       f"from it. A director locks it first (`/soap list lock {round_number}`). Nothing was changed.")
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
    result = session.execute(update(Reminder).where(Reminder.program_id == program_id, Reminder.state == "pending")
                             .values(state="cancelled").execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _seats(offers: Sequence[StoredOffer]) -> tuple[FilledSeat, ...]:
    return tuple(FilledSeat(o.code, o.aamc_id, o.name, o.round) for o in offers if o.status is OfferStatus.ACCEPTED)


def _availability(session: Session, candidate_id: int) -> Availability:
    status = session.scalar(select(ApplicantAvailability.status).where(
        ApplicantAvailability.candidate_id == candidate_id))
    return Availability(status) if status else Availability.AVAILABLE


def record_offer(database: Database, *, program_id: int, actor: str, candidate_key: str, round_number: int,
                 status: OfferStatus, code: str | None = None, now: datetime) -> OfferResult:
    """Record (or correct) one offer outcome; the rules in the module docstring are checked first."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        _check_round(session, program_id, round_number)
        positions = _positions(session, program_id)
        if not positions:
            raise Conflict("No positions are set yet, so an offer cannot fill one. A director sets them first: "
                           "`/soap positions set categorical=3 preliminary=1`.")
        candidate = candidates.resolve_one(session, program_id, candidate_key)
        offers = [o for o in _stored_offers(session, program_id) if o.code in positions]
        mine = [o for o in offers if o.candidate_id == candidate.id]
        configured = sorted(positions)
        lists = _round_lists(session, program_id, round_number, configured)
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
        verdict = check_new_offer(history, chosen, round_number, status, _availability(session, candidate.id))
        if verdict.refusal:
            raise Conflict(f"{escape(display_name(candidate))}: {escape(verdict.refusal)}. If an earlier record is "
                           "wrong, a director clears it (`/soap offer <id> <round> clear`). Nothing was changed.")
        if row is None:
            warning = verdict.warning
        _check_capacity(offers, candidate.id, round_number, chosen, status, positions[chosen])
        before_status = _status(session, program_id)
        before = OfferStatus(row.status) if row is not None else None
        if before is not status:
            if row is None:
                session.add(Offer(program_id=program_id, candidate_id=candidate.id, round=round_number, track=chosen,
                                  status=status.value, recorded_by=actor, recorded_at=now))
            else:
                row.status, row.recorded_by, row.recorded_at = status.value, actor, now
            audit.record(session, program_id=program_id, actor=actor, action="offer.record",
                         target=f"candidate:{candidate.aamc_id}",
                         before={"round": round_number, "code": chosen, "status": before.value} if before else None,
                         after={"round": round_number, "code": chosen, "status": status.value})
            session.flush()
        after_status = _status(session, program_id)
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
                           _seats(_stored_offers(session, program_id)) if all_filled_now else (), warning)


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
        candidate = candidates.resolve_one(session, program_id, candidate_key)
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
        status_after = _status(session, program_id)
    names = {o.aamc_id: o.name for p in (before, after) if p for c in p.codes for o in c.offers}

    def offers_of(p: NextRound | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((c.code, tuple(o.aamc_id for o in c.offers)) for c in p.codes) if p else ()

    return OfferCleared(aamc, name, round_number, cleared[0], cleared[1],
                        after.round if after else None, offers_of(before), offers_of(after), names, status_after)


# --------------------------------------------------------------------------- availability

_AVAILABILITY_WORDS = {"accepted-elsewhere": Availability.ACCEPTED_ELSEWHERE,
                       "elsewhere": Availability.ACCEPTED_ELSEWHERE,
                       "withdrawn": Availability.WITHDRAWN, "withdrew": Availability.WITHDRAWN,
                       "available": Availability.AVAILABLE}
STATUS_USAGE = ("Use `/soap status <AAMC ID> accepted-elsewhere|withdrawn|available`, like "
                "`/soap status 12345678 withdrawn`.")


def parse_availability(text: str) -> Availability:
    found = _AVAILABILITY_WORDS.get(text.strip().casefold().replace(" ", "-"))
    if found is None:
        raise BadInput(f"`{escape(clip(text, 30))}` is not a status. {STATUS_USAGE}")
    return found


def set_availability(database: Database, *, program_id: int, actor: str, candidate_key: str,
                     availability: Availability, now: datetime) -> AvailabilityResult:
    """Record that an applicant accepted elsewhere or withdrew (they leave every list), or is available."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        candidate = candidates.resolve_one(session, program_id, candidate_key)
        row = session.get(ApplicantAvailability, candidate.id)
        before = Availability(row.status) if row is not None else Availability.AVAILABLE
        if before is not availability:
            if availability is Availability.AVAILABLE:
                session.delete(row)
            elif row is None:
                session.add(ApplicantAvailability(candidate_id=candidate.id, program_id=program_id,
                                                  status=availability.value, recorded_by=actor, recorded_at=now))
            else:
                row.status, row.recorded_by, row.recorded_at = availability.value, actor, now
            audit.record(session, program_id=program_id, actor=actor, action="candidate.availability",
                         target=f"candidate:{candidate.aamc_id}", before={"status": before.value},
                         after={"status": availability.value})
        return AvailabilityResult(candidate.id, candidate.aamc_id, display_name(candidate), before, availability)


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
        positions = _positions(session, program_id)
        if not positions:
            raise NothingToProject("No positions are set yet, so there is nothing to offer. A director sets them: "
                                   "`/soap positions set categorical=3 preliminary=1`.")
        labels = _labels(session, program_id)
        offers = [o for o in _stored_offers(session, program_id) if o.code in positions]
        if round_number is None:
            round_number = _pick_round(session, program_id, now, offers)
        else:
            _check_round(session, program_id, round_number)
        configured = sorted(positions)
        locked_lists = _round_lists(session, program_id, round_number, configured) or {}
        earlier_lists = {number: found for number in range(1, round_number)
                         if (found := _round_lists(session, program_id, number, configured))}
        unavailable = _unavailable(session, program_id)
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
                key = _listed_track(line.track, configured)
                if key is not None:
                    unlocked.setdefault(key, []).append(line.aamc_id)
        for code in positions:
            lists.setdefault(code, unlocked.get(code, []))
    if locked_lists:
        with database.reading() as session:
            wanted = sorted({a for ids in locked_lists.values() for a in ids} - set(names))
            names.update((c.aamc_id, display_name(c)) for c in session.scalars(select(Candidate).where(
                Candidate.program_id == program_id, Candidate.aamc_id.in_(wanted))))
    recorded = _outcomes(offers, before_round=round_number)
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


# --------------------------------------------------------------------------- the card's section

STATUS_LABELS = {OfferStatus.OFFERED: "offered, no answer yet", OfferStatus.ACCEPTED: "accepted",
                 OfferStatus.REJECTED: "rejected", OfferStatus.EXPIRED: "expired"}
AVAILABILITY_LABELS = {Availability.ACCEPTED_ELSEWHERE: "accepted a position elsewhere",
                       Availability.WITHDRAWN: "withdrew from SOAP"}


def outcome_value(aamc_id: str, round_number: int, status: OfferStatus, code: str) -> str:
    return f"{aamc_id}|{round_number}|{status.value}|{code}"


def parse_outcome_value(value: str) -> OfferRequest:
    parts = value.split("|")
    if len(parts) not in (3, 4) or not parts[1].isdigit():
        raise BadInput("That button is out of date; use `/soap offer <AAMC ID> <round> <outcome>`.")
    return OfferRequest(parts[0], int(parts[1]), parse_status(parts[2]), parts[3] if len(parts) == 4 else None)


def _button(aamc: str, rnd: int, status: OfferStatus, code: str, text: str, style: str | None) -> CardButton:
    return CardButton(action_id=OUTCOME_ACTION_PREFIX + status.value, text=text,
                      value=outcome_value(aamc, rnd, status, code), style=style)


def offers_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection | None:
    """The applicant's outcomes and availability; buttons only for what can happen next (module rules)."""
    positions = _positions(session, candidate.program_id)
    mine = [o for o in _stored_offers(session, candidate.program_id) if o.candidate_id == candidate.id]
    lines = [f"Round {o.round} · {escape(o.code)}: *{STATUS_LABELS[o.status]}* (recorded by {mention(o.recorded_by)})"
             for o in mine]
    availability = session.get(ApplicantAvailability, candidate.id)
    if availability is not None:
        lines.insert(0, f"*{AVAILABILITY_LABELS[Availability(availability.status)]}*: off every list, no offer "
                        f"from R3 (recorded by {mention(availability.recorded_by)})")
        return CardSection(title="Offers", lines=tuple(lines), buttons=())
    buttons: list[CardButton] = []
    pending = [o for o in mine if o.status is OfferStatus.OFFERED]
    if pending and not any(o.status is OfferStatus.ACCEPTED for o in mine):
        latest = max(o.round for o in mine)
        for o in [p for p in pending if p.round == latest][:1]:
            suffix = f" ({o.code})" if len(positions) > 1 else ""
            buttons += [_button(candidate.aamc_id, o.round, OfferStatus.ACCEPTED, o.code, "Accepted" + suffix,
                                "primary"),
                        _button(candidate.aamc_id, o.round, OfferStatus.REJECTED, o.code, "Rejected" + suffix, None),
                        _button(candidate.aamc_id, o.round, OfferStatus.EXPIRED, o.code, "Expired" + suffix, None)]
    elif not mine and positions:
        latest_round = session.scalar(select(ListSnapshot.round).where(
            ListSnapshot.program_id == candidate.program_id, ListSnapshot.unlocked_at.is_(None))
            .order_by(ListSnapshot.round.desc()).limit(1))
        if latest_round is not None:
            lists = _round_lists(session, candidate.program_id, latest_round, sorted(positions)) or {}
            for code in sorted(c for c, ids in lists.items() if candidate.aamc_id in ids and c in positions)[:2]:
                suffix = f" ({code})" if len(positions) > 1 else ""
                buttons.append(_button(candidate.aamc_id, latest_round, OfferStatus.OFFERED, code,
                                       f"Offered in round {latest_round}{suffix}", None))
    if not lines and not buttons:
        return None
    return CardSection(title="Offers", lines=tuple(lines) or ("No offer recorded yet.",), buttons=tuple(buttons))




def _are(n: int) -> str:
    return "is" if n == 1 else "are"


__all__ = [
    "NothingToProject", "OfferRequest", "all_positions_filled", "clear_offer", "match_track", "next_offers_summary",
    "next_round", "parse_availability", "parse_offer_words", "parse_outcome_value", "positions_status",
    "record_offer", "set_availability", "set_positions",
]
