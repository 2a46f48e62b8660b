"""What a candidate card shows beyond the applicant's file: sections that features contribute.

A feature (notes, votes, interviews, offers) registers a provider; the card service asks
each provider for its section when it renders a card, so no feature's queries live in
another feature's code. Providers return already-escaped mrkdwn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from storage.models import Candidate


@dataclass(frozen=True)
class CardButton:
    action_id: str
    text: str
    value: str
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True)
class CardSection:
    title: str
    lines: tuple[str, ...] = ()
    buttons: tuple[CardButton, ...] = ()


@dataclass(frozen=True)
class CardViewer:
    """Who will see the card: the channel sees it, so `is_director` only matters for ephemeral cards."""

    user_id: str | None = None
    is_director: bool = False


SectionProvider = Callable[[Session, Candidate, CardViewer], CardSection | None]


@dataclass
class _Registry:
    providers: list[tuple[int, str, SectionProvider]] = field(default_factory=list)


_registry = _Registry()


def register_card_section(order: int, name: str, provider: SectionProvider) -> None:
    """Add (or replace, by name) a card section; lower `order` shows first."""
    _registry.providers = [p for p in _registry.providers if p[1] != name]
    _registry.providers.append((order, name, provider))
    _registry.providers.sort(key=lambda p: (p[0], p[1]))


def card_sections(session: Session, candidate: Candidate, viewer: CardViewer) -> list[CardSection]:
    sections = []
    for _, _, provider in _registry.providers:
        section = provider(session, candidate, viewer)
        if section is not None:
            sections.append(section)
    return sections
