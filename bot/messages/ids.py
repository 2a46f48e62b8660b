"""Every Slack id the app draws and listens for, in one place (the contract between builders and
listeners), and the one codec for what a button carries in its value.

A button's value is one of the frozen dataclasses below (or a domain value such as
`bot.domain.offer_words.OutcomeButton`): `button_value` writes it as compact JSON and `read_button`
reads it back as that type, refusing anything else (an out-of-date or forged button) with ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")

MAX_VALUE_CHARS = 2000  # Slack's limit on a button's value


class ActionId(StrEnum):
    # candidate card
    ADD_NOTE = "note.open"
    VOTE_RANK_HIGH = "vote.rank_high"
    VOTE_RANK = "vote.rank"
    VOTE_IF_NEEDED = "vote.if_needed"
    VOTE_DO_NOT_RANK = "vote.do_not_rank"
    INTERVIEW_PROPOSE = "interview.propose"
    INTERVIEW_CLAIM = "interview.claim"
    SCORECARD_OPEN = "scorecard.open"
    OFFER_OUTCOME = "offer.outcome"  # followed by `.<status>`: one action id per outcome button
    CARD_REFRESH = "card.refresh"
    # lists and pages
    LIST_LOCK_CONFIRM = "list.lock_confirm"
    LIST_LOCK_CANCEL = "list.lock_cancel"
    LIST_CERTIFIED = "list.certified"
    PAGE = "page"  # a pager's "previous" button; its block id says which list it turns
    PAGE_NEXT = "page.next"
    UNSEEN_OPEN = "plan.unseen.open"
    UNSEEN_PAGE = "plan.unseen.page"
    # the purge's confirmation
    REPORT_POST = "report.post"
    PURGE_PROGRAM_NAME = "program_name"
    # a modal's input element (its block id names the field)
    FIELD = "value"


class BlockId(StrEnum):
    CARD_CORE = "card.core"
    CARD_SECTION = "card.section"  # followed by `.<index>`
    FIND_PAGE = "find.page"
    TRIAGE_PAGE = "triage.page"
    NOTES_PAGE = "notes.page"  # followed by `.newer` or `.older`
    UNSEEN_PAGE = "plan.unseen"
    PURGE_CONFIRM = "purge_confirm"
    INTERVIEW = "interview"  # followed by `.<interview id>`
    INTERVIEW_REMINDER = "interview.reminder"  # followed by `.<interview id>`
    HOME_VOTE = "home.vote"  # followed by `.<AAMC ID>`
    HOME_CANDIDATE = "home.candidate"  # followed by `.<AAMC ID>`


# Every outcome button of the card's Offers section (`offer.outcome.<status>`).
OFFER_OUTCOMES = re.compile(rf"^{re.escape(ActionId.OFFER_OUTCOME.value)}(\.[a-z]+)?$")
# A pager's two buttons, as one listener matches them (its block id says which list).
PAGER = re.compile(rf"^({re.escape(ActionId.PAGE.value)}|{re.escape(ActionId.PAGE_NEXT.value)})$")


class CallbackId(StrEnum):
    NOTE_MODAL = "note.modal"
    SCORECARD_MODAL = "scorecard.modal"
    PURGE_MODAL = "purge.modal"
    HOME_DASHBOARD = "home.dashboard"
    HOME_OUTSIDER = "home.outsider"


# --- what buttons carry ------------------------------------------------------------------------


@dataclass(frozen=True)
class ListButton:
    """Lock, Cancel and Certified in R3: a round's lists, or one program code's (None: every list), and for
    Lock the fingerprint of the check it was shown with (`bot.domain.lock_check.LockCheck.fingerprint`)."""

    round: int
    code: str | None = None
    check: str | None = None

    @classmethod
    def from_legacy(cls, raw: str) -> ListButton:
        """`<round>|<code>`, as buttons already posted carry it."""
        round_text, _, code = raw.partition("|")
        return cls(int(round_text), code or None)


@dataclass(frozen=True)
class SearchPageButton:
    """`/soap find` and `/soap triage` pagers: what to ask for, and which page."""

    query: str
    page: int


@dataclass(frozen=True)
class NotesPageButton:
    """`/soap notes` pager: whose notes, and which page."""

    aamc_id: str
    page: int


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def button_value(value: Any) -> str:
    """What a button carries: `value` (a frozen dataclass) as compact JSON."""
    text: str = _adapter(type(value)).dump_json(value).decode()
    if len(text) > MAX_VALUE_CHARS:
        raise ValueError(f"a button's value is {len(text)} characters; Slack takes {MAX_VALUE_CHARS}")
    return text


def read_button(kind: type[T], raw: str | None) -> T:
    """The `kind` a button's value carries; ValueError when it carries something else."""
    try:
        found: T = _adapter(kind).validate_json(raw or "")
        return found
    except ValidationError:
        legacy = getattr(kind, "from_legacy", None)
        if legacy is not None:
            try:
                made: T = legacy(raw or "")
                return made
            except (ValueError, TypeError):
                pass
        raise ValueError("That button is out of date: run the command again.") from None
