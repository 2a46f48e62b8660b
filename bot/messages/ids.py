"""Action, block and modal callback ids, in one place: the contract between builders and listeners."""

from __future__ import annotations

from enum import StrEnum


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
    OFFER_OUTCOME = "offer.outcome"
    CARD_REFRESH = "card.refresh"
    # lists and pages
    LIST_LOCK_CONFIRM = "list.lock_confirm"
    LIST_LOCK_CANCEL = "list.lock_cancel"
    LIST_CERTIFIED = "list.certified"
    PAGE = "page"
    # the purge's confirmation
    REPORT_POST = "report.post"


class CallbackId(StrEnum):
    NOTE_MODAL = "note.modal"
    SCORECARD_MODAL = "scorecard.modal"
    PURGE_MODAL = "purge.modal"
