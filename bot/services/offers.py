"""Positions per track, offer outcomes per round, and the next round's projected offers.

Public functions other features call:
- `positions_status(database, program_id) -> PositionsStatus`: total / filled / outstanding / open per track.
- `set_positions(database, program_id=, actor=, pairs=)` (directors; the router checks the role).
- `record_offer(database, program_id=, actor=, candidate_key=, round_number=, status=, track=, now=)`.
- `next_round(database, program_id, now, round_number=None, committee=None) -> NextRound`: who the
  next round would offer to, per track (the pure rules are `bot.domain.offers.project_next_round`).
- `next_offers_summary(database, program_id, now) -> list[str]`: escaped mrkdwn lines for the
  pre-deadline reminder ([] when there is nothing to project: no positions set, SOAP over…).
- `all_positions_filled(session, program_id) -> bool` (e.g. for the reminder planner).

Decisions (what a program director and coordinator expect, written down):
- Tracks are names a director chooses (`categorical`, `preliminary`, `primary care`…), stored
  lower-case. `/soap positions set categorical=4 preliminary=2` creates or changes tracks; a count
  below the track's accepted offers is refused; `track=0` removes a track that has no recorded
  offer (a typo can be undone), and keeps it at 0 when offers refer to it.
- An applicant's ERAS track text ("Categorical", "Internal Medicine - Preliminary") is matched to
  a configured track case-insensitively: the same name, else the one configured track named as a
  whole word in it. When the program has one track, every applicant is on it.
- `/soap offer <id|name> <round> offered|accepted|rejected|expired [track]` records or corrects one
  outcome (one row per applicant, round and track). The track, when not given: the applicant's
  offer already recorded in that round (a single one), else their first applied track that is
  configured, else the program's only track; otherwise the person is asked for it.
- Round rules (DOMAIN.md section 2), checked before anything is stored:
  * every offer ends the applicant's SOAP with this program (accepted: they leave SOAP; rejected
    or expired: no further offer), so all of an applicant's offers are in one round; several
    tracks in the same round are allowed, but at most one accepted;
  * a round offers at most the positions open before it (total minus acceptances of earlier
    rounds) on each track;
  * accepting when every position of the track is filled is refused.
- An accepted offer fills one position of its track. When the last open position is filled, the
  program's pending reminders are cancelled in the same transaction (`reminders.state =
  'cancelled'`; helper-owned reminder planning may re-plan them, see the report) and the handler
  posts a summary in the war room.
- Writers of one program's offers are serialised by a row lock on the program (PostgreSQL), so two
  people accepting the last position at once cannot both succeed.
- The projection uses the round's locked list when it is locked, else the committee's current
  order, labelled "not locked". The round projected by default is the first round whose offers are
  still ahead on the program's calendar, and never one at or before a round with recorded offers.
  With an explicit round, only outcomes of earlier rounds count.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.domain.cards import CardButton, CardSection, CardViewer
from bot.domain.offers import (
    ListedApplicant,
    OfferOutcome,
    OfferStatus,
    positions_summary,
    project_next_round,
)
from bot.errors import BadInput, Conflict, WarRoomError
from bot.messages.ids import ActionId
from bot.messages.mrkdwn import clip, escape, mention
from bot.services import audit, candidates, preference_list
from bot.services.voting import display_name, lock_program_row
from storage.database import Database
from storage.models import Candidate, ListEntry, ListSnapshot, Offer, Position, Reminder, Round

TRACK_MAX = 64
MAX_POSITIONS = 500
MAX_TRACKS = 12
_TRACK_NAME = re.compile(r"^[a-z0-9][a-z0-9 _/.-]*$")
OUTCOME_ACTION_PREFIX = f"{ActionId.OFFER_OUTCOME.value}."


# --------------------------------------------------------------------------- tracks


def normalize_track(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def valid_track_name(text: str) -> str:
    track = normalize_track(text)
    if not track or len(track) > TRACK_MAX or not track.isascii() or not _TRACK_NAME.match(track):
        raise BadInput(f"`{escape(clip(text, 40))}` is not a track name: use letters, digits, spaces or dashes "
                       "(like `categorical`, `preliminary`, `primary-care`).")
    return track


def match_track(text: str, configured: Sequence[str]) -> str | None:
    """The configured track an applicant's track text means (module rules), or None."""
    if not configured:
        return None
    wanted = normalize_track(text)
    if wanted in configured:
        return wanted
    hits = [c for c in configured if re.search(rf"(?<![a-z0-9]){re.escape(c)}(?![a-z0-9])", wanted)]
    return hits[0] if len(hits) == 1 else None


def _listed_track(text: str | None, configured: Sequence[str]) -> str | None:
    if len(configured) == 1:
        return configured[0]
    return match_track(text or "", configured)


def _applied_tracks(candidate: Candidate) -> list[str]:
    return [str(t) for t in (candidate.tracks or []) if str(t).strip()]


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class TrackStatus:
    track: str
    total: int
    filled: int
    outstanding: int  # unanswered offers of the latest round with offers
    open: int
    over_filled: int


@dataclass(frozen=True)
class PositionsStatus:
    program_id: int
    tracks: tuple[TrackStatus, ...]
    latest_round: int | None  # the latest round with a recorded offer

    @property
    def total(self) -> int:
        return sum(t.total for t in self.tracks)

    @property
    def filled(self) -> int:
        return sum(min(t.filled, t.total) for t in self.tracks)

    @property
    def all_filled(self) -> bool:
        return self.total > 0 and all(t.filled >= t.total for t in self.tracks)


@dataclass(frozen=True)
class StoredOffer:
    candidate_id: int
    aamc_id: str
    name: str
    round: int
    track: str
    status: OfferStatus
    recorded_by: str


def _positions(session: Session, program_id: int) -> dict[str, int]:
    return {track: total for track, total in session.execute(
        select(Position.track, Position.total).where(Position.program_id == program_id).order_by(Position.track))}


def _stored_offers(session: Session, program_id: int) -> list[StoredOffer]:
    rows = session.execute(
        select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id).order_by(Offer.round, Offer.track, Candidate.aamc_id))
    return [StoredOffer(c.id, c.aamc_id, display_name(c), o.round, o.track, OfferStatus(o.status), o.recorded_by)
            for o, c in rows]


def _outcomes(offers: Iterable[StoredOffer], before_round: int | None = None) -> list[OfferOutcome]:
    return [OfferOutcome(o.aamc_id, o.track, o.round, o.status) for o in offers
            if before_round is None or o.round < before_round]


def _status(session: Session, program_id: int) -> PositionsStatus:
    positions = _positions(session, program_id)
    offers = [o for o in _stored_offers(session, program_id) if o.track in positions]
    latest = max((o.round for o in offers), default=None)
    summary = positions_summary(positions, _outcomes(offers), (latest or 0) + 1)
    tracks = tuple(TrackStatus(t.track, t.total, t.filled, t.outstanding, t.open, t.over_filled)
                   for t in summary.values())
    return PositionsStatus(program_id, tracks, latest)


def positions_status(database: Database, program_id: int) -> PositionsStatus:
    with database.reading() as session:
        return _status(session, program_id)


def all_positions_filled(session: Session, program_id: int) -> bool:
    """True when the program has positions and every one is filled by an accepted offer."""
    return _status(session, program_id).all_filled


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class PositionsChange:
    before: dict[str, int]
    after: dict[str, int]
    status: PositionsStatus

    @property
    def changed(self) -> bool:
        return self.before != self.after


def parse_position_pairs(pairs: Mapping[str, str]) -> dict[str, int]:
    if not pairs:
        raise BadInput("Give the number of positions per track: `/soap positions set categorical=4 preliminary=2`.")
    wanted: dict[str, int] = {}
    for key, value in pairs.items():
        track = valid_track_name(key)
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) > MAX_POSITIONS:
            raise BadInput(f"`{escape(clip(key, 40))}={escape(clip(value, 20))}`: the number of positions is a whole "
                           f"number from 0 to {MAX_POSITIONS}.")
        if track in wanted:
            raise BadInput(f"Track `{escape(track)}` is given twice.")
        wanted[track] = int(text)
    return wanted


def set_positions(database: Database, *, program_id: int, actor: str, pairs: Mapping[str, str]) -> PositionsChange:
    """`/soap positions set categorical=4 preliminary=2` (directors). Nothing changes on any error."""
    wanted = parse_position_pairs(pairs)
    with database.transaction() as session:
        lock_program_row(session, program_id)
        before = _positions(session, program_id)
        status = {t.track: t for t in _status(session, program_id).tracks}
        offered_tracks = set(session.scalars(select(Offer.track).where(Offer.program_id == program_id)))
        after = dict(before)
        for track, total in wanted.items():
            filled = status[track].filled if track in status else 0
            if total < filled:
                raise Conflict(f"Track `{escape(track)}` already has {filled} accepted offer{_s(filled)}, so it "
                               f"cannot have fewer than {filled} position{_s(filled)}. If an acceptance was recorded "
                               "by mistake, correct it with `/soap offer <id> <round> <outcome>` first. "
                               "Nothing was changed.")
            if total == 0 and track not in offered_tracks:
                after.pop(track, None)
            else:
                after[track] = total
        if len(after) > MAX_TRACKS:
            raise BadInput(f"A program has at most {MAX_TRACKS} tracks; remove one with `track=0` first.")
        if after != before:
            session.execute(delete(Position).where(Position.program_id == program_id))
            session.add_all(Position(program_id=program_id, track=t, total=n) for t, n in sorted(after.items()))
            audit.record(session, program_id=program_id, actor=actor, action="positions.set",
                         target=f"program:{program_id}", before={"positions": before}, after={"positions": after})
            session.flush()
        return PositionsChange(before, after, _status(session, program_id))


# --------------------------------------------------------------------------- recording outcomes


@dataclass(frozen=True)
class OfferRequest:
    candidate_key: str
    round_number: int
    status: OfferStatus
    track: str | None


_STATUS_WORDS = {
    "offered": OfferStatus.OFFERED, "offer": OfferStatus.OFFERED, "made": OfferStatus.OFFERED,
    "accepted": OfferStatus.ACCEPTED, "accept": OfferStatus.ACCEPTED,
    "rejected": OfferStatus.REJECTED, "reject": OfferStatus.REJECTED, "declined": OfferStatus.REJECTED,
    "decline": OfferStatus.REJECTED,
    "expired": OfferStatus.EXPIRED, "expire": OfferStatus.EXPIRED, "lapsed": OfferStatus.EXPIRED,
}
OFFER_USAGE = ("Use `/soap offer <AAMC ID> <round> offered|accepted|rejected|expired [track]`, "
               "like `/soap offer 12345678 1 accepted` or `/soap offer 12345678 2 offered preliminary`.")


def parse_status(text: str) -> OfferStatus:
    status = _STATUS_WORDS.get(text.strip().casefold())
    if status is None:
        raise BadInput(f"`{escape(clip(text, 30))}` is not an outcome. {OFFER_USAGE}")
    return status


def parse_offer_words(words: Sequence[str]) -> OfferRequest:
    """`<id or name…> <round> <outcome> [track…]`: the outcome word is found, the round is just before it."""
    at = next((i for i, w in enumerate(words) if w.casefold() in _STATUS_WORDS), None)
    if at is None or at < 2:
        raise BadInput(OFFER_USAGE)
    round_word = words[at - 1]
    if not round_word.isascii() or not round_word.isdigit() or len(round_word) > 2:
        raise BadInput(f"`{escape(clip(round_word, 20))}` is not a round number. {OFFER_USAGE}")
    track_words = words[at + 1:]
    return OfferRequest(" ".join(words[: at - 1]), int(round_word), parse_status(words[at]),
                        " ".join(track_words) if track_words else None)


@dataclass(frozen=True)
class FilledSeat:
    track: str
    aamc_id: str
    name: str
    round: int


@dataclass(frozen=True)
class OfferResult:
    candidate_id: int
    aamc_id: str
    name: str
    round: int
    track: str
    before: OfferStatus | None
    after: OfferStatus
    status: PositionsStatus
    track_status: TrackStatus
    all_filled_now: bool  # this change filled the program's last open position
    reminders_cancelled: int
    seats: tuple[FilledSeat, ...]  # every accepted offer (for the all-filled summary)

    @property
    def changed(self) -> bool:
        return self.before is not self.after


def _check_round(session: Session, program_id: int, round_number: int) -> None:
    rounds = preference_list.valid_rounds(session, program_id)
    if round_number not in rounds:
        raise BadInput(f"There is no round {round_number}; this program's SOAP rounds are "
                       f"{', '.join(str(r) for r in rounds)}.")


def _choose_track(candidate: Candidate, requested: str | None, configured: Sequence[str],
                  same_round: Sequence[StoredOffer]) -> str:
    names = ", ".join(f"`{escape(t)}`" for t in configured)
    if requested is not None:
        track = match_track(requested, configured)
        if track is None:
            raise BadInput(f"This program has no track `{escape(clip(requested, 40))}`; its tracks are {names}. "
                           "A director adds one with `/soap positions set <track>=<count>`.")
        return track
    if len(same_round) == 1:
        return same_round[0].track
    if len(same_round) > 1:
        raise BadInput(f"{escape(display_name(candidate))} has offers on several tracks in this round "
                       f"({', '.join(escape(o.track) for o in same_round)}); add the track at the end, like "
                       f"`/soap offer {escape(candidate.aamc_id)} {same_round[0].round} accepted "
                       f"{escape(same_round[0].track)}`.")
    for text in _applied_tracks(candidate):
        track = match_track(text, configured)
        if track is not None:
            return track
    if len(configured) == 1:
        return configured[0]
    raise BadInput(f"Which track? {escape(display_name(candidate))} applied to no track configured here, and this "
                   f"program has {len(configured)} ({names}). Add it at the end, like "
                   f"`/soap offer {escape(candidate.aamc_id)} <round> <outcome> {escape(configured[0])}`.")


def _check_history(candidate: Candidate, mine: Sequence[StoredOffer], round_number: int, track: str,
                   status: OfferStatus) -> None:
    """All of an applicant's offers are in one round, and at most one is accepted (module rules)."""
    name = escape(display_name(candidate))
    other_rounds = sorted({o.round for o in mine if o.round != round_number})
    if other_rounds:
        earlier = [o for o in mine if o.round != round_number]
        first = earlier[0]
        what = {OfferStatus.ACCEPTED: "accepted an offer (and left SOAP)",
                OfferStatus.REJECTED: "rejected an offer, so R3 makes them no further offer",
                OfferStatus.EXPIRED: "let an offer expire, so R3 makes them no further offer",
                OfferStatus.OFFERED: "has an offer recorded with no answer yet"}[first.status]
        raise Conflict(f"{name} {what} in round {first.round} ({escape(first.track)}); every offer ends an "
                       f"applicant's SOAP with this program, so there is no offer to record in round {round_number}. "
                       f"If the round-{first.round} entry is wrong, correct it first "
                       f"(`/soap offer {escape(candidate.aamc_id)} {first.round} <outcome> {escape(first.track)}`). "
                       "Nothing was changed.")
    if status is OfferStatus.ACCEPTED:
        accepted = [o for o in mine if o.status is OfferStatus.ACCEPTED and o.track != track]
        if accepted:
            raise Conflict(f"{name} already accepted the {escape(accepted[0].track)} offer of round "
                           f"{accepted[0].round}; an applicant accepts one offer. Correct that entry first if it "
                           "is wrong. Nothing was changed.")


def _check_capacity(offers: Sequence[StoredOffer], candidate_id: int, round_number: int, track: str,
                    status: OfferStatus, total: int) -> None:
    others = [o for o in offers if o.track == track and o.candidate_id != candidate_id]
    accepted_earlier = sum(1 for o in others if o.status is OfferStatus.ACCEPTED and o.round < round_number)
    open_before = max(0, total - accepted_earlier)
    made_this_round = sum(1 for o in others if o.round == round_number) + 1
    if status is OfferStatus.ACCEPTED:
        accepted = sum(1 for o in others if o.status is OfferStatus.ACCEPTED)
        if accepted + 1 > total:
            raise Conflict(f"Every {escape(track)} position is already filled ({accepted} of {total} accepted). "
                           "If the count is wrong, a director changes it with "
                           f"`/soap positions set {escape(track)}=<count>`; if an acceptance was recorded by mistake, "
                           "correct it first. Nothing was changed.")
    if made_this_round > open_before:
        made = made_this_round - 1
        raise Conflict(f"Round {round_number} can offer at most {open_before} {escape(track)} position"
                       f"{_s(open_before)} ({total} in all, {accepted_earlier} accepted in earlier rounds), and "
                       f"{made} offer{_s(made)} of that round {_are(made)} already recorded. "
                       "Check the round and the track (`/soap positions`). Nothing was changed.")


def _cancel_reminders(session: Session, program_id: int) -> int:
    """Pending reminders of the program become 'cancelled' (a claimed one is being sent right now)."""
    result = session.execute(update(Reminder).where(Reminder.program_id == program_id, Reminder.state == "pending")
                             .values(state="cancelled").execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _seats(offers: Sequence[StoredOffer]) -> tuple[FilledSeat, ...]:
    return tuple(FilledSeat(o.track, o.aamc_id, o.name, o.round) for o in offers if o.status is OfferStatus.ACCEPTED)


def record_offer(database: Database, *, program_id: int, actor: str, candidate_key: str, round_number: int,
                 status: OfferStatus, track: str | None = None, now: datetime) -> OfferResult:
    """Record (or correct) one offer outcome; the rules in the module docstring are checked first."""
    with database.transaction() as session:
        lock_program_row(session, program_id)
        _check_round(session, program_id, round_number)
        positions = _positions(session, program_id)
        if not positions:
            raise Conflict("No positions are set yet, so an offer cannot fill one. A director sets them first: "
                           "`/soap positions set categorical=4 preliminary=2`.")
        candidate = candidates.resolve_one(session, program_id, candidate_key)
        offers = _stored_offers(session, program_id)
        mine = [o for o in offers if o.candidate_id == candidate.id]
        chosen = _choose_track(candidate, track, sorted(positions), [o for o in mine if o.round == round_number])
        _check_history(candidate, mine, round_number, chosen, status)
        _check_capacity(offers, candidate.id, round_number, chosen, status, positions[chosen])
        before_status = _status(session, program_id)
        row = session.scalar(select(Offer).where(Offer.candidate_id == candidate.id, Offer.round == round_number,
                                                 Offer.track == chosen))
        before = OfferStatus(row.status) if row is not None else None
        if before is not status:
            if row is None:
                session.add(Offer(program_id=program_id, candidate_id=candidate.id, round=round_number, track=chosen,
                                  status=status.value, recorded_by=actor, recorded_at=now))
            else:
                row.status, row.recorded_by, row.recorded_at = status.value, actor, now
            audit.record(session, program_id=program_id, actor=actor, action="offer.record",
                         target=f"candidate:{candidate.aamc_id}",
                         before={"round": round_number, "track": chosen, "status": before.value} if before else None,
                         after={"round": round_number, "track": chosen, "status": status.value})
            session.flush()
        after_status = _status(session, program_id)
        all_filled_now = after_status.all_filled and not before_status.all_filled
        cancelled = 0
        if all_filled_now:
            cancelled = _cancel_reminders(session, program_id)
            audit.record(session, program_id=program_id, actor=actor, action="reminders.cancel",
                         target=f"program:{program_id}", before=None,
                         after={"reason": "all positions filled", "cancelled": cancelled})
        track_status = next(t for t in after_status.tracks if t.track == chosen)
        return OfferResult(candidate.id, candidate.aamc_id, display_name(candidate), round_number, chosen, before,
                           status, after_status, track_status, all_filled_now, cancelled,
                           _seats(_stored_offers(session, program_id)) if all_filled_now else ())


# --------------------------------------------------------------------------- the next round


@dataclass(frozen=True)
class ProjectedOffer:
    aamc_id: str
    name: str


@dataclass(frozen=True)
class TrackNext:
    track: str
    total: int
    filled: int
    outstanding: int
    open: int
    offers: tuple[ProjectedOffer, ...]
    unfilled_after: int
    listed: int  # applicants of the list on this track


@dataclass(frozen=True)
class NextRound:
    program_id: int
    round: int
    locked: bool  # from the round's locked list; False: the current order, not locked
    locked_by: str | None
    locked_at: datetime | None
    tracks: tuple[TrackNext, ...]
    ineligible: int  # listed applicants skipped: accepted, rejected, expired or holding an offer
    assumed_expired: tuple[StoredOffer, ...]  # unanswered offers of older rounds, treated as expired
    unmatched: tuple[tuple[str, str, str], ...]  # (AAMC ID, name, track text) on the list but no configured track
    list_size: int

    @property
    def total_offers(self) -> int:
        return sum(len(t.offers) for t in self.tracks)


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
    """Who round `round_number` (default: the next one) would offer to, per track.

    `committee` (the war-room channel's members) decides whose ballots count when the round's list
    is not locked (see `bot.services.preference_list.current_list`)."""
    with database.reading() as session:
        positions = _positions(session, program_id)
        if not positions:
            raise NothingToProject("No positions are set yet, so there is nothing to offer. A director sets them: "
                                   "`/soap positions set categorical=4 preliminary=2`.")
        offers = [o for o in _stored_offers(session, program_id) if o.track in positions]
        if round_number is None:
            round_number = _pick_round(session, program_id, now, offers)
        else:
            _check_round(session, program_id, round_number)
    locked = preference_list.locked_list(database, program_id, round_number)
    entries: list[tuple[str, str, str]]  # (AAMC ID, name, track text)
    if locked is not None:
        entries = [(e.aamc_id, e.name, e.track) for e in locked.entries]
    else:
        current = preference_list.current_list(database, program_id, committee)
        entries = [(line.aamc_id, line.name, line.track) for line in current.lines]
    configured = sorted(positions)
    names = {aamc: name for aamc, name, _ in entries}
    names.update({o.aamc_id: o.name for o in offers})
    listed: list[ListedApplicant] = []
    unmatched: list[tuple[str, str, str]] = []
    for aamc, name, text in entries:
        track = _listed_track(text, configured)
        if track is None:
            unmatched.append((aamc, name, text))
        else:
            listed.append(ListedApplicant(aamc, track))
    projection = project_next_round(listed, _outcomes(offers, before_round=round_number), positions, round_number)
    counts = {t: sum(1 for entry in listed if entry.track == t) for t in configured}
    tracks = tuple(TrackNext(p.track, p.total, p.filled, p.outstanding, p.open,
                             tuple(ProjectedOffer(a, names.get(a, a)) for a in p.offers), p.unfilled_after,
                             counts[p.track])
                   for p in projection.tracks.values())
    listed_ids = {entry.aamc_id for entry in listed}
    by_key = {(o.aamc_id, o.track, o.round): o for o in offers}
    assumed = tuple(by_key[(o.aamc_id, o.track, o.round_number)] for o in projection.assumed_expired)
    return NextRound(program_id, round_number, locked is not None,
                     locked.locked_by if locked else None, locked.locked_at if locked else None,
                     tracks, sum(1 for a in projection.ineligible if a in listed_ids), assumed, tuple(unmatched),
                     len(entries))


def next_offers_summary(database: Database, program_id: int, now: datetime) -> list[str]:
    """Escaped mrkdwn lines for the pre-deadline reminder: the next round's projected offers per track.

    [] when there is nothing to say (no positions set, no round left). When the round's list is not
    locked the lines say so; ballots of every member count then (no Slack call from the clock)."""
    from bot.messages.offers import next_summary_lines

    try:
        projection = next_round(database, program_id, now)
    except WarRoomError:
        return []
    return next_summary_lines(projection)


# --------------------------------------------------------------------------- the card's section

STATUS_LABELS = {OfferStatus.OFFERED: "offered, no answer yet", OfferStatus.ACCEPTED: "accepted",
                 OfferStatus.REJECTED: "rejected", OfferStatus.EXPIRED: "expired"}


def outcome_value(aamc_id: str, round_number: int, status: OfferStatus, track: str) -> str:
    return f"{aamc_id}|{round_number}|{status.value}|{track}"


def parse_outcome_value(value: str) -> OfferRequest:
    parts = value.split("|")
    if len(parts) not in (3, 4) or not parts[1].isdigit():
        raise BadInput("That button is out of date; use `/soap offer <AAMC ID> <round> <outcome>`.")
    return OfferRequest(parts[0], int(parts[1]), parse_status(parts[2]), parts[3] if len(parts) == 4 else None)


def _button(aamc: str, rnd: int, status: OfferStatus, track: str, text: str, style: str | None) -> CardButton:
    return CardButton(action_id=OUTCOME_ACTION_PREFIX + status.value, text=text,
                      value=outcome_value(aamc, rnd, status, track), style=style)


def offers_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection | None:
    """The applicant's outcomes; buttons only for what can happen next (module rules)."""
    positions = _positions(session, candidate.program_id)
    mine = [o for o in _stored_offers(session, candidate.program_id) if o.candidate_id == candidate.id]
    lines = [f"Round {o.round} · {escape(o.track)}: *{STATUS_LABELS[o.status]}* (recorded by {mention(o.recorded_by)})"
             for o in mine]
    buttons: list[CardButton] = []
    pending = [o for o in mine if o.status is OfferStatus.OFFERED]
    if pending and not any(o.status is OfferStatus.ACCEPTED for o in mine):
        latest = max(o.round for o in mine)
        for o in [p for p in pending if p.round == latest][:1]:
            suffix = f" ({o.track})" if len(positions) > 1 else ""
            buttons += [_button(candidate.aamc_id, o.round, OfferStatus.ACCEPTED, o.track, "Accepted" + suffix,
                                "primary"),
                        _button(candidate.aamc_id, o.round, OfferStatus.REJECTED, o.track, "Rejected" + suffix, None),
                        _button(candidate.aamc_id, o.round, OfferStatus.EXPIRED, o.track, "Expired" + suffix, None)]
    elif not mine and positions:
        latest_lock = session.scalar(select(ListSnapshot).where(
            ListSnapshot.program_id == candidate.program_id, ListSnapshot.unlocked_at.is_(None))
            .order_by(ListSnapshot.round.desc(), ListSnapshot.id.desc()).limit(1))
        if latest_lock is not None:
            row = session.execute(select(ListEntry.rank, ListEntry.track).where(
                ListEntry.snapshot_id == latest_lock.id, ListEntry.aamc_id == candidate.aamc_id)).first()
            track = (_listed_track(row.track or preference_list.DEFAULT_TRACK, sorted(positions))
                     if row is not None else None)
            if track is not None:
                buttons.append(_button(candidate.aamc_id, latest_lock.round, OfferStatus.OFFERED, track,
                                       f"Offered in round {latest_lock.round}", None))
    if not lines and not buttons:
        return None
    return CardSection(title="Offers", lines=tuple(lines) or ("No offer recorded yet.",), buttons=tuple(buttons))




def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


__all__ = [
    "NextRound", "NothingToProject", "OfferRequest", "OfferResult", "PositionsChange", "PositionsStatus",
    "TrackNext", "TrackStatus", "all_positions_filled", "match_track", "next_offers_summary", "next_round",
    "parse_offer_words", "parse_outcome_value", "positions_status", "record_offer", "set_positions",
]
