"""A program's own column names mapped to the bot's: the columns-mapping file (CSV lines
``their header,our header``, see docs/import.md) or a dict."""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

from bot.eras.columns import CANONICAL_HEADERS, canonical_header, normalize_header
from bot.eras.files import decode


class ColumnsMappingError(ValueError):
    """A columns-mapping file or dict that names a header the bot does not know."""


def parse_columns_mapping(text: str) -> dict[str, str]:
    """Parse mapping-file text: CSV lines ``their header,our header``.

    Blank lines and lines starting with ``#`` are ignored; a first line ``their header,our header``
    is skipped; quote a header that contains a comma. Raises ``ColumnsMappingError`` with the line
    number when a line is malformed or names a header we do not know.
    """
    mapping: dict[str, str] = {}
    lines = text.lstrip("\ufeff").splitlines()
    for number, record in enumerate(csv.reader(lines), start=1):
        if not record or not "".join(record).strip() or record[0].lstrip().startswith("#"):
            continue
        if len(record) != 2 or not record[0].strip() or not record[1].strip():
            raise ColumnsMappingError(
                f"line {number}: expected two headers separated by a comma: their header,our header"
            )
        theirs, ours = record[0].strip(), record[1].strip()
        if number == 1 and normalize_header(theirs) == "theirheader":
            continue
        mapping[theirs] = resolve_target(ours, f"line {number}")
    return mapping


def read_columns_mapping(path: str | Path) -> dict[str, str]:
    """Read a columns-mapping file (see ``parse_columns_mapping``)."""
    data = Path(path).read_bytes()
    text, _ = decode(data)
    try:
        return parse_columns_mapping(text)
    except ColumnsMappingError as exc:
        raise ColumnsMappingError(f"{Path(path).name}: {exc}") from None


def resolve_target(ours: str, where: str) -> str:
    header = canonical_header(ours)
    if header is None:
        close = difflib.get_close_matches(ours, CANONICAL_HEADERS, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ColumnsMappingError(
            f"{where}: {ours!r} is not a column the bot reads{hint} (see docs/import.md for the list)"
        )
    return header
