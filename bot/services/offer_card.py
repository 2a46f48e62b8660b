"""The Offers section of a candidate card: the applicant's outcomes and availability, and buttons only
for what can happen next.

- Someone who accepted elsewhere or withdrew shows that, with no buttons.
- An offer awaiting an answer (the latest round's, while nothing was accepted) gets Accepted, Rejected
  and Expired buttons.
- Someone with no record who is on the latest locked round's list of a code gets "Offered in round N"
  (at most two codes).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.cards import CardSection, CardViewer
from bot.domain.offer_card import OfferCard
from bot.domain.offer_words import OutcomeButton
from bot.domain.offers import Availability, OfferStatus
from bot.messages.offers import offers_card_section as draw
from bot.services.positions import read_positions, stored_offers
from bot.services.projection import round_lists
from storage.models import ApplicantAvailability, Candidate, ListSnapshot


def offer_card(session: Session, candidate: Candidate) -> OfferCard:
    positions = read_positions(session, candidate.program_id)
    mine = tuple(o for o in stored_offers(session, candidate.program_id) if o.candidate_id == candidate.id)
    several = len(positions) > 1
    availability = session.get(ApplicantAvailability, candidate.id)
    if availability is not None:
        return OfferCard(mine, Availability(availability.status), availability.recorded_by, (), several)
    buttons: list[OutcomeButton] = []
    pending = [o for o in mine if o.status is OfferStatus.OFFERED]
    if pending and not any(o.status is OfferStatus.ACCEPTED for o in mine):
        latest = max(o.round for o in mine)
        for o in [p for p in pending if p.round == latest][:1]:
            buttons += [OutcomeButton(candidate.aamc_id, o.round, status, o.code)
                        for status in (OfferStatus.ACCEPTED, OfferStatus.REJECTED, OfferStatus.EXPIRED)]
    elif not mine and positions:
        latest_round = session.scalar(select(ListSnapshot.round).where(
            ListSnapshot.program_id == candidate.program_id, ListSnapshot.unlocked_at.is_(None))
            .order_by(ListSnapshot.round.desc()).limit(1))
        if latest_round is not None:
            lists = round_lists(session, candidate.program_id, latest_round, sorted(positions)) or {}
            for code in sorted(c for c, ids in lists.items() if candidate.aamc_id in ids and c in positions)[:2]:
                buttons.append(OutcomeButton(candidate.aamc_id, latest_round, OfferStatus.OFFERED, code))
    return OfferCard(mine, None, None, tuple(buttons), several)


def offers_card_section(session: Session, candidate: Candidate, viewer: CardViewer) -> CardSection | None:
    """The card's provider (declared in `bot.bootstrap.CARD_SECTIONS`)."""
    return draw(offer_card(session, candidate))
