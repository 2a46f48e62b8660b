"""Applicants' names: as the export writes them (`LAST, FIRST MIDDLE`, all capitals), as the card
shows them, and as a search compares them. One folding rule for every search (`fold_name`)."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

#: Lower-case name particles inside a surname (`VAN DER BERG` → `van der Berg`).
_PARTICLES = frozenset({"van", "der", "den", "de", "del", "della", "da", "du", "la", "von", "dos",
                        "das", "ter", "ten"})
_LETTERS = re.compile(r"[^\W\d_]+")
#: A generational suffix after a name (`MCDONALD III`) keeps its capitals; `XI`, a surname too, is not one.
_ROMAN_SUFFIXES = frozenset({"II", "III", "IV", "VI", "VII", "VIII", "IX"})


def _is_single_case(text: str) -> bool:
    """All capitals (`NÚÑEZ`): the export did not keep the person's own casing. A name in lower case
    is left alone: people write their names so (`bell hooks`), and exports do not."""
    return text.isupper()


def _letters_case(run: str) -> str:
    cased = run[:1].upper() + run[1:].lower()
    if len(cased) > 2 and cased.startswith("Mc"):
        cased = "Mc" + cased[2].upper() + cased[3:]  # MCDONALD → McDonald
    return cased


def _word_case(word: str) -> str:
    """Each run of letters capitalised: `O'BRIEN-MCDONALD` → `O'Brien-McDonald`."""
    return _LETTERS.sub(lambda m: _letters_case(m.group(0)), word)


def natural_case(text: str, *, surname: bool = False) -> str:
    """A name written all in capitals shown as people write it; a name with its own casing is kept.

    `NÚÑEZ` → `Núñez`, `O'BRIEN` → `O'Brien`, `MCDONALD` → `McDonald`, `SMITH-JONES` →
    `Smith-Jones`, a surname `VAN DER BERG` → `van der Berg`, `MCDONALD III` → `McDonald III`,
    `SMITH JR.` → `Smith Jr.`; `McDonald` and `DeVries` stay.
    """
    if not _is_single_case(text):
        return text
    words = [word if index and word.strip(".,") in _ROMAN_SUFFIXES else _word_case(word)
             for index, word in enumerate(unicodedata.normalize("NFC", text).split())]
    if surname and len(words) > 1:
        words = [word.lower() if word.lower() in _PARTICLES else word for word in words[:-1]] + words[-1:]
    return " ".join(words)


class ExportedName(NamedTuple):
    first: str
    middle: str | None
    last: str


def split_applicant_name(text: str) -> ExportedName | None:
    """`LAST, FIRST MIDDLE` (any case; `Last, First` too) as first, middle and last name, in
    natural case (../shared/DOMAIN.md §4: PDWS exports may carry a single `Applicant Name`).

    Without a comma the last word is taken as the last name. None when there are not two names.
    """
    single = _is_single_case(text)
    if "," in text:
        last, _, given = (part.strip() for part in text.partition(","))
        words = given.replace(",", " ").split()
    else:
        *words, last = text.split() if text else [""]
    if not last or not words:
        return None
    first, middle = words[0], " ".join(words[1:]) or None

    def cased(part: str, surname: bool = False) -> str:
        return natural_case(part, surname=surname) if single else part

    return ExportedName(cased(first), cased(middle) if middle else None, cased(last, surname=True))


def fold_name(text: str) -> str:
    """A name as a search compares it: case and accents folded, curly apostrophes straight, other
    punctuation dropped, spaces collapsed: `nunez` finds Núñez, `o'brien` O’Brien."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s'-]", " ", plain).split())


def squash_name(folded: str) -> str:
    """A folded name without apostrophes, hyphens and spaces: `obrien` finds O'Brien-McDonald and
    `smithjones` Smith-Jones, as people type them in a hurry."""
    return re.sub(r"[\s'-]", "", folded)


def full_name(first: str, last: str) -> str:
    """`First Last`, as lists and answers show an applicant."""
    return f"{first} {last}"
