"""Cells that are safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab/carriage return before one) is run as a
formula by Excel, LibreOffice and Google Sheets: a name like `=HYPERLINK("http://x","click")`
in an ERAS export would become a live link in the file we hand back. Every exported cell
goes through `safe_cell`, which prefixes such text with an apostrophe, as OWASP advises.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 CSV (with BOM, so Excel reads accents) whose every cell is formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
