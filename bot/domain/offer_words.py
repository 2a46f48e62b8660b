"""What people type about positions, offers and availability, read into values.

- `/soap offer <id or name…> <round> <outcome|clear> [code]` → `OfferRequest` (`parse_offer_words`).
- An outcome word (`accepted`, `declined`, `lapsed`…) → `OfferStatus` (`parse_status`).
- `/soap status <id> accepted-elsewhere [kind] [round <N>]|withdrawn [round <N>]|available` → `StatusRequest`
  (`parse_status_words`).
- `/soap positions set categorical=3 preliminary=1` → counts per key (`parse_position_pairs`).
- The outcome buttons of the candidate card carry an `OutcomeButton`, written and read by
  `OutcomeButton.value` / `OutcomeButton.read`.

Every refusal is a `WordsError` (a `ValueError`) that quotes what was typed as typed; whoever shows
it to Slack escapes it (the service or handler turns it into a `BadInput`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.offers import Availability, OfferStatus, PositionKind

MAX_POSITIONS = 500


class WordsError(ValueError):
    """What was typed cannot be read; the message says how to write it."""


def _quoted(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        raise WordsError(f"`{_quoted(text, 30)}` is not an outcome. {OFFER_USAGE}")
    return status


def parse_offer_words(words: Sequence[str]) -> OfferRequest:
    """`<id or name…> <round> <outcome|clear> [code…]`: the outcome word is found, the round is just before it."""
    at = next((i for i, w in enumerate(words) if w.casefold() in _STATUS_WORDS or w.casefold() in _CLEAR_WORDS),
              None)
    if at is None or at < 2:
        raise WordsError(OFFER_USAGE)
    round_word = words[at - 1]
    if not round_word.isascii() or not round_word.isdigit() or len(round_word) > 2:
        raise WordsError(f"`{_quoted(round_word, 20)}` is not a round number. {OFFER_USAGE}")
    code_words = words[at + 1:]
    status = None if words[at].casefold() in _CLEAR_WORDS else parse_status(words[at])
    return OfferRequest(" ".join(words[: at - 1]), int(round_word), status,
                        " ".join(code_words) if code_words else None)


_AVAILABILITY_WORDS = {"accepted-elsewhere": Availability.ACCEPTED_ELSEWHERE,
                       "elsewhere": Availability.ACCEPTED_ELSEWHERE,
                       "withdrawn": Availability.WITHDRAWN, "withdrew": Availability.WITHDRAWN,
                       "available": Availability.AVAILABLE}
STATUS_USAGE = ("Use `/soap status <AAMC ID> accepted-elsewhere|withdrawn|available`, with the round it "
                "happened in when you know it, like `/soap status 12345678 accepted-elsewhere round 1` or "
                "`/soap status 12345678 withdrawn`; an advanced or preliminary position accepted elsewhere can "
                "be named: `/soap status 12345678 accepted-elsewhere advanced round 2`.")
_KIND_WORDS = {"preliminary": PositionKind.PRELIMINARY, "prelim": PositionKind.PRELIMINARY,
               "categorical": PositionKind.CATEGORICAL, "advanced": PositionKind.ADVANCED}


@dataclass(frozen=True)
class StatusRequest:
    """`<id or name…> accepted-elsewhere [kind] [round <N>]`, `… withdrawn [round <N>]`, `… available`."""

    candidate_key: str
    availability: Availability
    in_round: int | None = None  # out from round in_round + 1 on; None: as of now
    kind: PositionKind | None = None  # the kind of position accepted elsewhere; None: unknown


def parse_status_words(words: Sequence[str]) -> StatusRequest:
    """Read from the end: `round <N>`, then a kind, then the status word; what is left names the applicant."""
    rest = list(words)
    in_round = None
    if len(rest) >= 2 and rest[-2].casefold() == "round":
        number = rest[-1]
        if not number.isascii() or not number.isdigit() or len(number) > 2 or int(number) < 1:
            raise WordsError(f"`{_quoted(number, 20)}` is not a round number. {STATUS_USAGE}")
        in_round, rest = int(number), rest[:-2]
    kind = _KIND_WORDS.get(rest[-1].casefold()) if rest else None
    if kind is not None:
        rest = rest[:-1]
    if len(rest) < 2:
        raise WordsError(STATUS_USAGE)
    availability = parse_availability(rest[-1])
    rest = rest[:-1]
    if availability is Availability.ACCEPTED_ELSEWHERE and len(rest) >= 2 and rest[-1].casefold() == "accepted":
        rest = rest[:-1]  # "accepted elsewhere", two words
    if kind is not None and availability is not Availability.ACCEPTED_ELSEWHERE:
        raise WordsError(f"Only a position accepted elsewhere has a kind ({kind.value}). {STATUS_USAGE}")
    if in_round is not None and availability is Availability.AVAILABLE:
        raise WordsError(f"`available` takes no round: it clears what was recorded. {STATUS_USAGE}")
    return StatusRequest(" ".join(rest), availability, in_round, kind)


def parse_availability(text: str) -> Availability:
    found = _AVAILABILITY_WORDS.get(text.strip().casefold().replace(" ", "-"))
    if found is None:
        raise WordsError(f"`{_quoted(text, 30)}` is not a status. {STATUS_USAGE}")
    return found


def parse_position_pairs(pairs: Mapping[str, str]) -> dict[str, int]:
    """`categorical=3 preliminary=1` → {"categorical": 3, "preliminary": 1} (keys as typed, spaces folded)."""
    if not pairs:
        raise WordsError("Give the number of positions per code or track: "
                         "`/soap positions set categorical=3 preliminary=1`.")
    wanted: dict[str, int] = {}
    for key, value in pairs.items():
        text = value.strip()
        if not text.isascii() or not text.isdigit() or int(text) > MAX_POSITIONS:
            raise WordsError(f"`{_quoted(key, 40)}={_quoted(value, 20)}`: the number of positions is a whole "
                             f"number from 0 to {MAX_POSITIONS}.")
        name = " ".join(key.split())
        if name.casefold() in {k.casefold() for k in wanted}:
            raise WordsError(f"`{name}` is given twice.")
        wanted[name] = int(text)
    return wanted


@dataclass(frozen=True)
class OutcomeButton:
    """An outcome button of the candidate card: which offer (applicant, round, code) and what happened
    (`bot.messages.ids.button_value` writes it in the button; `read_button` reads it back)."""

    aamc_id: str
    round_number: int
    status: OfferStatus
    code: str | None

    @property
    def request(self) -> OfferRequest:
        return OfferRequest(self.aamc_id, self.round_number, self.status, self.code)

    @classmethod
    def from_legacy(cls, value: str) -> OutcomeButton:
        """`<AAMC ID>|<round>|<outcome>[|<code>]`, as buttons already posted carry it (three parts: drawn
        before codes existed)."""
        parts = value.split("|")
        if len(parts) not in (3, 4) or not (parts[1].isascii() and parts[1].isdigit()):
            raise ValueError("not an outcome button")
        return cls(parts[0], int(parts[1]), parse_status(parts[2]), parts[3] if len(parts) == 4 else None)
