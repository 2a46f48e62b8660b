"""File names made from a program's name: a name chooses no path."""

from __future__ import annotations

import re
import unicodedata


def file_slug(program_name: str) -> str:
    """A program name made safe for a file name: ASCII letters, digits and dashes only, never a path
    (a program named `../../tmp/x/PWNED` or `/etc/cron.d/x` must not choose where an export goes)."""
    ascii_name = unicodedata.normalize("NFKD", program_name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:60].strip("-") or "program"
