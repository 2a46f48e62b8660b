"""Text read from a file, without the invisible characters that make it render as something else.

A bidi override turns the last name `Smith` + U+202E + `knaR toN oD` into "Smith Do Not Rank" on screen;
zero-width characters make two names that look the same differ (or hide a word from a search). Names,
tracks and every other cell of an export or a plan lose them on import. Unicode's list: the bidi
embeddings, overrides, isolates and marks (UAX #9), and the zero-width and invisible format characters.
"""

from __future__ import annotations

import re

INVISIBLE_CONTROLS = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def visible_text(text: str) -> str:
    """`text` without bidi controls and zero-width characters."""
    return INVISIBLE_CONTROLS.sub("", text)
