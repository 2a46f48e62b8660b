"""NRMP program codes: each track of a program is its own program in R3, with its own code and list.

ERAS shows a track as ``Specialty|CODE (Track)``, e.g. ``Internal Medicine|1234140C0 (Categorical)``;
a code is nine characters: seven digits, a track letter, a digit (`../shared/DOMAIN.md` §2, from the
NRMP Match Participation Agreement and the ERAS PDWS export format). Pure domain code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["TRACK_LETTERS", "ProgramCode", "codes_in", "matching", "parse_track"]

#: Track letters NRMP uses in program codes (DOMAIN.md §2).
TRACK_LETTERS: dict[str, str] = {
    "C": "Categorical",
    "P": "Preliminary",
    "A": "Advanced",
    "R": "Reserved",
    "M": "Primary Care",
}

_CODE = re.compile(r"\b(\d{7}[A-Z]\d)\b")
_LABEL = re.compile(r"\(([^()]*)\)\s*$")


@dataclass(frozen=True, slots=True)
class ProgramCode:
    """One NRMP program code with what the export says of it."""

    code: str
    label: str  # the track as the export names it ("Categorical"), else from the letter
    specialty: str = ""

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


def parse_track(value: str) -> ProgramCode | None:
    """The program code in an ERAS track value, or None when the value carries no code.

    >>> parse_track("Internal Medicine|1234140C0 (Categorical)")
    ProgramCode(code='1234140C0', label='Categorical', specialty='Internal Medicine')
    """
    text = " ".join(str(value).split())
    found = _CODE.search(text.upper())
    if not found:
        return None
    code = found.group(1)
    specialty, _, rest = text.partition("|") if "|" in text else ("", "", text)
    labelled = _LABEL.search(rest)
    label = labelled.group(1).strip() if labelled and labelled.group(1).strip() else ""
    return ProgramCode(code=code, label=label or TRACK_LETTERS.get(code[7], code[7]), specialty=specialty.strip())


def codes_in(values: Iterable[str]) -> list[ProgramCode]:
    """The distinct program codes in an applicant's track values, in the order they come."""
    found: dict[str, ProgramCode] = {}
    for value in values:
        parsed = parse_track(value)
        if parsed is not None and parsed.code not in found:
            found[parsed.code] = parsed
    return list(found.values())


def matching(codes: Iterable[ProgramCode], text: str) -> list[ProgramCode]:
    """The codes a person means by ``text``: the code itself (any case), else every code whose label
    is ``text`` (`categorical` names 1234140C0 when it is the program's one categorical code)."""
    wanted = " ".join(str(text).split())
    every = list(codes)
    exact = [c for c in every if c.code == wanted.upper()]
    if exact:
        return exact
    return [c for c in every if c.label.casefold() == wanted.casefold()]
