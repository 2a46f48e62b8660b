"""The sections a candidate card shows beyond the applicant's file, in the order the card shows them.

Each feature (notes, votes, interviews, offers) owns the query behind its section; the card asks
every provider of the war room's `card_sections` (declared once, in `bot.bootstrap.CARD_SECTIONS`)
when it draws a card. A process therefore draws the same card whatever it happened to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from bot.domain.cards import CardSection, CardViewer
from storage.models import Candidate

SectionProvider = Callable[[Session, Candidate, CardViewer], CardSection | None]


def card_sections(session: Session, candidate: Candidate, viewer: CardViewer,
                  providers: Sequence[SectionProvider]) -> list[CardSection]:
    """The sections `providers` give for `candidate`, in their order; a provider may have nothing to show."""
    sections = []
    for provider in providers:
        section = provider(session, candidate, viewer)
        if section is not None:
            sections.append(section)
    return sections
