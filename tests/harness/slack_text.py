"""Message text as a reader sees it where Slack shows a date token's fallback (the program's zone)."""

from __future__ import annotations

import re

DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]*)>")


def fallback(text: str) -> str:
    """`<!date^…|Thu 18 Mar 08:55 EDT>` read as `Thu 18 Mar 08:55 EDT`."""
    return DATE_TOKEN.sub(lambda m: m.group(2), text)
