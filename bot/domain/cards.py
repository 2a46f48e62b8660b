"""What a feature adds to a candidate card: a titled section of lines and buttons, as plain values.

Features (notes, votes, interviews, offers) compute their section; the card builder
(`bot.messages.candidate_card`) draws it. Lines are already-escaped mrkdwn.
"""

from __future__ import annotations

from dataclasses import dataclass


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


# The pace of the clock's `cards.redraw` (cards a re-import changed): 15 cards every 20 s, 45 a
# minute, under chat.update's rate tier.
REDRAW_PER_RUN = 15
REDRAW_EVERY_SECONDS = 20


def redraw_minutes(cards: int) -> int:
    """How many minutes the clock takes to redraw `cards` stale cards (at least 1)."""
    per_minute = REDRAW_PER_RUN * 60 // REDRAW_EVERY_SECONDS
    return max(1, -(-cards // per_minute))
