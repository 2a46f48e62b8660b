"""How a command a person typed is split into words.

Names hold apostrophes (O'Brien, D'Souza), straight or curly, so only double quotes group words:
`"Mary Ann" Smith` is two words. Curly double quotes, which phones and Slack's editor put in, count
as straight ones.
"""

from __future__ import annotations

import shlex

DOUBLE_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


class UnclosedQuote(ValueError):
    """A double quote opened and never closed."""


def split_words(raw: str) -> list[str]:
    """The words of `raw`: split on whitespace, a double-quoted phrase kept as one word."""
    lexer = shlex.shlex(raw.translate(DOUBLE_QUOTES), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escape = ""
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        raise UnclosedQuote("a double quote (\") is opened and never closed") from None
