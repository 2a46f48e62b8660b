"""What the candidate card's Offers section shows, as plain values: the applicant's recorded outcomes,
whether they left SOAP, and which outcome buttons fit what can happen next.

`bot.services.offer_card` computes it; `bot.messages.offers.offers_card_section` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.offer_words import OutcomeButton
from bot.domain.offers import Availability, StoredOffer


@dataclass(frozen=True)
class OfferCard:
    records: tuple[StoredOffer, ...]
    left_soap: Availability | None = None  # accepted elsewhere or withdrew: off every list
    left_soap_recorded_by: str | None = None
    buttons: tuple[OutcomeButton, ...] = ()
    several_codes: bool = False  # buttons name their code when the program has more than one

    @property
    def empty(self) -> bool:
        return not self.records and self.left_soap is None and not self.buttons
