"""Positions per NRMP program code: how many, how many filled, and the offer records they are counted from.

Public functions other features call:
- `positions_status(database, program_id) -> PositionsStatus`: code, label, total, filled, open per code.
- `set_positions(database, program_id=, actor=, pairs=)` (directors; the router checks the role).
- `all_positions_filled(session, program_id) -> bool` (e.g. for the reminder planner).
- The readers the offers, the projection and the card share: `read_positions`, `read_labels`,
  `stored_offers`, `outcomes_of`, `read_unavailable`, `read_status`, and the track-name rules.

Decisions (`../shared/DOMAIN.md` §2: each track is its own program in R3, with its own code and list):
- Positions are per program code (`1234140C0`), found in the applicants' track values. `/soap positions
  set categorical=3 preliminary=1` names a code by its label (or by the code itself); a label shared by
  two codes must be given as the code. A program whose export has no codes keeps track names chosen by
  the director (`categorical`), as before, and one list. A count below the code's accepted offers is
  refused; `code=0` removes a code with no recorded offer (a typo can be undone).
- An accepted offer fills one position of its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.offer_words import WordsError, parse_position_pairs
from bot.domain.offers import (
    Availability,
    CodeStatus,
    OfferOutcome,
    OfferStatus,
    PositionsChange,
    PositionsStatus,
    StoredOffer,
    positions_summary,
)
from bot.domain.program_codes import ProgramCode, matching, parse_track
from bot.domain.wording import plural
from bot.errors import BadInput, Conflict
from bot.messages.mrkdwn import clip, escape
from bot.services import audit, preference_list
from bot.services.voting import display_name, lock_program_row
from storage.database import Database
from storage.models import ApplicantAvailability, Candidate, Offer, Position

TRACK_MAX = 64
MAX_TRACKS = 12
_TRACK_NAME = re.compile(r"^[a-z0-9][a-z0-9 _/.-]*$")


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


def listed_track(text: str | None, configured: Sequence[str]) -> str | None:
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


def read_positions(session: Session, program_id: int) -> dict[str, int]:
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


def read_labels(session: Session, program_id: int) -> dict[str, str]:
    codes = preference_list.program_codes(session, program_id)
    labels = {code: c.label for code, c in codes.items()}
    for track, label in session.execute(select(Position.track, Position.label).where(
            Position.program_id == program_id)):
        labels[track] = labels.get(track) or label or ""
    return labels


def stored_offers(session: Session, program_id: int) -> list[StoredOffer]:
    rows = session.execute(
        select(Offer, Candidate).join(Candidate, Candidate.id == Offer.candidate_id)
        .where(Offer.program_id == program_id).order_by(Offer.round, Offer.track, Candidate.aamc_id))
    return [StoredOffer(c.id, c.aamc_id, display_name(c), o.round, o.track, OfferStatus(o.status), o.recorded_by)
            for o, c in rows]


def outcomes_of(offers: Iterable[StoredOffer], before_round: int | None = None) -> list[OfferOutcome]:
    return [OfferOutcome(o.aamc_id, o.code, o.round, o.status) for o in offers
            if before_round is None or o.round < before_round]


def read_unavailable(session: Session, program_id: int) -> dict[str, Availability]:
    return {aamc: Availability(status) for aamc, status in session.execute(
        select(Candidate.aamc_id, ApplicantAvailability.status)
        .join(Candidate, Candidate.id == ApplicantAvailability.candidate_id)
        .where(ApplicantAvailability.program_id == program_id))}


def read_status(session: Session, program_id: int) -> PositionsStatus:
    positions = read_positions(session, program_id)
    labels = read_labels(session, program_id)
    offers = [o for o in stored_offers(session, program_id) if o.code in positions]
    latest = max((o.round for o in offers), default=None)
    summary = positions_summary(positions, outcomes_of(offers))
    # An unanswered offer to someone who accepted another one lapsed with that acceptance.
    settled = {o.candidate_id for o in offers if o.status is OfferStatus.ACCEPTED}
    codes = tuple(CodeStatus(c.code, labels.get(c.code, ""), c.total, c.filled,
                             sum(1 for o in offers if o.code == c.code and o.round == latest
                                 and o.status is OfferStatus.OFFERED and o.candidate_id not in settled),
                             c.open, c.over_filled) for c in summary.values())
    return PositionsStatus(program_id, codes, latest)


def positions_status(database: Database, program_id: int) -> PositionsStatus:
    with database.reading() as session:
        return read_status(session, program_id)


def all_positions_filled(session: Session, program_id: int) -> bool:
    """True when the program has positions and every one is filled by an accepted offer."""
    return read_status(session, program_id).all_filled


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
    try:
        wanted = parse_position_pairs(pairs)
    except WordsError as error:
        raise BadInput(escape(str(error))) from None
    with database.transaction() as session:
        lock_program_row(session, program_id)
        codes = preference_list.program_codes(session, program_id)
        keys = _position_keys(codes, wanted)
        before = read_positions(session, program_id)
        labels = {t: label for t, label in session.execute(select(Position.track, Position.label).where(
            Position.program_id == program_id))}
        status = {c.code: c for c in read_status(session, program_id).codes}
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
        return PositionsChange(before, after, read_status(session, program_id))




__all__ = [
    "all_positions_filled", "listed_track", "match_track", "normalize_track", "outcomes_of", "positions_status",
    "read_labels", "read_positions", "read_status", "read_unavailable", "set_positions", "stored_offers",
]
