"""How a reference note sounds, read from its words (pure rules).

A note typed with `/soap ref` or as a reply in a candidate's thread has no sentiment menu, yet the
check before a lock looks for concern notes newer than the last vote. So a note gets a sentiment
when its words say so, by rules a member can predict:

- cues, per clause (a clause ends at `. , ; : ! ?` or "but"/"however"/"although"):
  "advise against", "avoid", "would not rank", "do not rank" → advises against;
  "concern", "red flag", "worried", "unprofessional", "unreliable", "weak", "poor" → concern;
  "strong", "strongly", "highly recommend", "outstanding", "excellent", "stellar" → strong advocate;
  "recommend", "endorse", "solid", "reliable", "would rank" → positive;
- a negation ("no", "not", "never", "without", "nothing", "n't" …) before a cue, with at most
  filler words between them ("no *major* concerns", "didn't *have any* concerns", "not *a* red
  flag"), turns it around: a negated concern is no concern at all (the note stays unrated unless
  other words rate it); a negated "recommend" advises against; a negated "strong" is a concern.
  "Can't recommend (her) highly enough" is praise;
- when several cues remain, the gravest wins (advises against, then concern, then strong, then
  positive): "strong clinically, but a red flag on professionalism" is a concern, because the
  check before a lock exists to surface exactly that.

A sentiment chosen in the note form always wins over these rules (the form asks for one).
"""

from __future__ import annotations

import re

from bot.domain.notes import Sentiment

__all__ = ["sentiment_of"]

# Gravest first: the order in which a note's readings win.
_GRAVITY = (Sentiment.ADVISES_AGAINST, Sentiment.CONCERN, Sentiment.STRONG_ADVOCATE, Sentiment.POSITIVE)

# Cue phrases (lower case, as word sequences) and what each says when read plainly.
_CUES: dict[tuple[str, ...], Sentiment] = {
    **{tuple(p.split()): Sentiment.ADVISES_AGAINST for p in (
        "advise against", "advises against", "advised against", "avoid", "would not rank", "would never rank",
        "do not rank", "dnr")},
    **{tuple(p.split()): Sentiment.CONCERN for p in (
        "concern", "concerns", "concerned", "concerning", "red flag", "red flags", "worried", "worry",
        "worries", "worrying", "unprofessional", "unreliable", "weak", "poor", "reservation", "reservations",
        "hesitant")},
    **{tuple(p.split()): Sentiment.STRONG_ADVOCATE for p in (
        "strong", "strongly", "highly recommend", "highly recommends", "highly recommended", "outstanding",
        "excellent", "stellar", "exceptional")},
    **{tuple(p.split()): Sentiment.POSITIVE for p in (
        "recommend", "recommends", "recommended", "recommending", "endorse", "endorses", "endorsed", "solid",
        "reliable", "hardworking", "would rank")},
}
_LONGEST = max(len(cue) for cue in _CUES)
# Cues that are a verdict on the applicant: negated, they advise against ("would not recommend").
_VERDICTS = frozenset(cue for cue in _CUES if cue[0] in ("recommend", "recommends", "recommended", "recommending",
                                                         "endorse", "endorses", "endorsed", "would"))


def _negated_reading(cue: tuple[str, ...], plain: Sentiment, rest: list[str]) -> Sentiment | None:
    """What a negated cue says: a negated concern (or warning) says nothing ("no concerns"); a negated
    verdict advises against, unless it is the praise "can't recommend her highly enough"; other negated
    praise is a concern ("not strong clinically")."""
    if plain in (Sentiment.CONCERN, Sentiment.ADVISES_AGAINST):
        return None
    if cue in _VERDICTS:
        return Sentiment.STRONG_ADVOCATE if "enough" in rest else Sentiment.ADVISES_AGAINST
    return Sentiment.CONCERN


_NEGATORS = frozenset({
    "no", "not", "never", "without", "nothing", "none", "neither", "nor", "cannot", "zero", "hardly",
})
# Words that may stand between a negation and its cue without ending its reach.
_FILLERS = frozenset({
    "a", "an", "the", "any", "major", "real", "significant", "serious", "big", "other", "further", "particular",
    "obvious", "apparent", "specific", "professionalism", "clinical", "really", "at", "all", "much", "too",
    "very", "so", "be", "been", "have", "has", "had", "is", "are", "was", "were", "see", "seen", "saw", "raise",
    "raised", "would", "could", "i", "we", "she", "he", "they", "her", "him", "them", "this", "that", "about",
    "to", "of", "ever", "single", "one", "noted", "reported", "expressed", "voiced",
})
_CLAUSE_BREAK = re.compile(r"[.;:!?,\n]+|\b(?:but|however|although|though|yet|except)\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+(?:['’][a-z]+)?")


def _words(clause: str) -> list[str]:
    words: list[str] = []
    for word in _WORD.findall(clause.casefold()):
        word = word.replace("’", "'")
        if word.endswith("n't"):  # "wouldn't" → "would not"; "can't" → "can not"
            words.extend((word[:-3] or "not", "not"))
        else:
            words.append(word)
    return words


def _negated(words: list[str], start: int) -> bool:
    """Whether a negation reaches the cue at `start` across filler words only."""
    at = start - 1
    while at >= 0 and words[at] in _FILLERS:
        at -= 1
    return at >= 0 and words[at] in _NEGATORS


def _readings(clause: str) -> list[Sentiment]:
    words = _words(clause)
    found: list[Sentiment] = []
    at = 0
    while at < len(words):
        for size in range(min(_LONGEST, len(words) - at), 0, -1):
            cue = _CUES.get(tuple(words[at:at + size]))
            if cue is None:
                continue
            phrase = tuple(words[at:at + size])
            reading = _negated_reading(phrase, cue, words[at + size:]) if _negated(words, at) else cue
            if reading is not None:
                found.append(reading)
            at += size - 1
            break
        at += 1
    return found


def sentiment_of(text: str) -> Sentiment | None:
    """The sentiment a note's words give it (the gravest reading), or None when they give none."""
    readings = {reading for clause in _CLAUSE_BREAK.split(text or "") for reading in _readings(clause)}
    return next((sentiment for sentiment in _GRAVITY if sentiment in readings), None)
