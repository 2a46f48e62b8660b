"""How counts read in English, in one place for the domain's reasons and every builder."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 note`, `2 notes`."""
    return f"{count} {word}{plural_s(count)}"


def plural_s(count: int) -> str:
    """The plural ending alone: f"{n} candidate{plural_s(n)}"."""
    return "" if count == 1 else "s"
