"""Which replies in a candidate's thread are reference notes (pure rules).

A thread is where the committee talks about a candidate, so most replies there are reactions
("+1", "agree") or logistics ("ok I will call his PD after lunch"). Counting those as reference
notes made the card read "5 reference notes: 4 unrated". A reply is a note when it carries
substance, by a rule a tired member can keep in their head (stated in `/soap help` and the docs):

- it starts with `ref:` (or `note:`): always a note, the prefix is dropped; or
- it has at least `NOTE_MIN_WORDS` words; or
- it has at least `RATED_MIN_WORDS` words and names a rating ("strong", "recommend", "concern",
  "red flag", …): what a reference said of the applicant.

Anything else stays a plain reply: kept in Slack, never stored by the bot.
"""

from __future__ import annotations

import re

__all__ = ["NOTE_MIN_WORDS", "NOTE_PREFIXES", "RATED_MIN_WORDS", "RATING_WORDS", "RULE", "gist", "note_text"]

NOTE_PREFIXES = ("ref:", "note:")
NOTE_MIN_WORDS = 12
RATED_MIN_WORDS = 4
#: Words a reference's verdict is given in (lower case; two-word entries match as a phrase).
RATING_WORDS = frozenset({
    "strong", "strongly", "highly", "stellar", "excellent", "outstanding", "top", "best", "bottom",
    "recommend", "recommends", "recommended", "endorse", "endorses", "reliable", "solid", "hardworking",
    "weak", "poor", "concern", "concerns", "concerned", "concerning", "worried", "worry", "avoid",
    "unreliable", "unprofessional", "professionalism", "red flag", "would rank", "would not rank",
    "advise against", "advises against",
})
RULE = ("A reply in a candidate's thread is a reference note when it starts with `ref:`, has at least "
        f"{NOTE_MIN_WORDS} words, or gives a rating (strong, recommend, concern, red flag, …) in at least "
        f"{RATED_MIN_WORDS} words; short reactions and logistics (\"+1\", \"will call his PD after lunch\") are not.")

_WORD = re.compile(r"[\w'’-]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _rated(words: list[str]) -> bool:
    joined = f" {' '.join(words)} "
    return any((f" {word} " in joined) for word in RATING_WORDS)


def note_text(reply: str) -> str | None:
    """The note a thread reply makes (its `ref:` prefix dropped), or None when the reply is no note."""
    text = reply.strip()
    lowered = text.casefold()
    for prefix in NOTE_PREFIXES:
        if lowered.startswith(prefix):
            rest = text[len(prefix):].strip()
            return rest or None
    words = _words(text)
    if len(words) >= NOTE_MIN_WORDS or (len(words) >= RATED_MIN_WORDS and _rated(words)):
        return text
    return None


def gist(text: str, words: int = 14, chars: int = 110) -> str:
    """The first words of a note, on one line, with an ellipsis when cut."""
    flat = " ".join(text.split())
    parts = flat.split(" ")
    cut = " ".join(parts[:words])
    if len(cut) > chars:
        cut = cut[:chars].rsplit(" ", 1)[0] or cut[:chars]
    return cut + ("…" if cut != flat else "")
