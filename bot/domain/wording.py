"""How counts read in English, in one place for the domain's reasons and every builder."""

from __future__ import annotations

import re
import unicodedata


def plural(count: int, word: str) -> str:
    """`1 note`, `2 notes`."""
    return f"{count} {word}{plural_s(count)}"


def plural_s(count: int) -> str:
    """The plural ending alone: f"{n} candidate{plural_s(n)}"."""
    return "" if count == 1 else "s"


def comparable_name(name: str) -> str:
    """A program name as a person may type it: any dash (–, —, -) and any spacing around it alike, any case."""
    dashed = "".join("-" if unicodedata.category(c) == "Pd" or c == "\u2212" else c for c in name)
    return re.sub(r"\s*-\s*", "-", " ".join(dashed.split())).casefold()
