"""Reading one ERAS (PDWS) applicant export: CSV or Excel .xlsx → validated ``ApplicantProfile`` rows.

Pure: no database, no Slack. ``read_export`` never stops at the first problem: it reports every bad
row (with the row number the spreadsheet shows, header = row 1), the column and the reason, and
returns the good rows. See docs/import.md for the columns, values and the mapping-file format.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from bot.domain.candidates import ApplicantProfile
from bot.domain.import_result import RowError
from bot.domain.triage import rules_without_data
from bot.eras.cells import CONTROL_CHARACTERS, ColumnReader, cell_text, is_blank
from bot.eras.columns import (
    COLUMNS,
    HEADER_BY_KEY,
    IGNORED_KEYS,
    IGNORED_PREFIXES,
    MANY_KINDS,
    NAME_HEADERS,
    REQUIRED_HEADERS,
    Column,
    normalize_header,
)
from bot.eras.files import ExportFileError, SpreadsheetSource, open_spreadsheet
from bot.eras.mapping import resolve_target
from bot.eras.rows import Shape, read_row


class ImportedRow(NamedTuple):
    """One good row: its spreadsheet row number, the profile, and the connection flags the file set.

    ``flags`` maps ``Connections`` field names ("home_student", "rotated_here", "interviewed",
    "prior_contact", "prelim_here", "strong_letters") to True/False, only for cells that said
    Yes or No (a blank or "No Response" cell sets nothing).
    """

    row_number: int
    profile: ApplicantProfile
    flags: dict[str, bool]


@dataclasses.dataclass(slots=True)
class ImportReport:
    filename: str
    rows: list[ImportedRow] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    unknown_columns: list[str] = dataclasses.field(default_factory=list)
    """Headers the bot does not recognise, each listed once, as spelt in the file."""
    missing_required: list[str] = dataclasses.field(default_factory=list)
    """Required columns not in the file ("AAMC ID", "First Name", "Last Name": the names are not
    missing when the file has an `Applicant Name` column); no row is read then."""
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    """Known ERAS columns the bot deliberately does not read (e.g. Gender, Date of Birth)."""
    notes: list[str] = dataclasses.field(default_factory=list)
    """Things the coordinator should know that are not errors (encoding fallback, padded IDs...)."""
    honor_phrases: list[str] = dataclasses.field(default_factory=list)
    """Honor-society values the bot does not recognise, each once ("Alpha Omega Alpha: 'Inducted'"):
    kept as text on the card, never a row error."""
    rules_off: list[str] = dataclasses.field(default_factory=list)
    """Each triage rule that had nothing to read, and for how many applicants."""
    header_row: int = 1
    data_rows: int = 0
    """Non-blank rows below the header."""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing_required

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row_number for error in self.errors})

    def summary(self) -> list[str]:
        """Short plain-text lines for the coordinator."""
        lines = [
            f"{self.filename}: {len(self.rows)} of {self.data_rows} applicant rows read"
            + (f", {len(self.bad_rows)} row(s) with problems" if self.errors else "")
        ]
        if self.missing_required:
            lines.append("Missing required columns: " + ", ".join(self.missing_required))
        if self.unknown_columns:
            lines.append("Columns not recognised (ignored): " + ", ".join(self.unknown_columns))
        if self.ignored_columns:
            lines.append("Known ERAS columns the bot does not use: " + ", ".join(self.ignored_columns))
        if self.honor_phrases:
            lines.append("Honor-society values not recognised (kept as text): " + "; ".join(self.honor_phrases))
        lines.extend(self.rules_off)
        lines.extend(self.notes)
        return lines


@dataclasses.dataclass(slots=True)
class _Plan:
    """What to do with each column of the header."""

    columns: list[tuple[int, Column, str]]
    """(position, column, the header as the file spells it) in reading order."""
    unknown: list[str]
    ignored: list[str]
    repeated: list[str]
    found: set[str]


#: `Tracks Applied by Applicant_1`, `Medical School of Graduation_2`: PDWS numbers repeated fields.
_NUMBERED = re.compile(r"^(.*?\S)\s*_([0-9]{1,3})$")


def _plan(header: Sequence[object], mapping: Mapping[str, str]) -> _Plan:
    numbered: list[tuple[int, int, Column, str]] = []  # (number, position, column, header as spelt)
    unknown: list[str] = []
    ignored: list[str] = []
    repeated: list[str] = []
    seen_unknown: set[str] = set()
    found: set[str] = set()
    for index, cell in enumerate(header):
        text = CONTROL_CHARACTERS.sub(" ", cell_text(cell)).strip()
        if not text:
            continue
        key = normalize_header(text)
        canonical = (mapping.get(key) or HEADER_BY_KEY.get(key)) if key else None
        spelt = text
        number = 0
        if canonical is None and (suffixed := _NUMBERED.match(text)):
            text, number = suffixed.group(1), int(suffixed.group(2))
            key = normalize_header(text)
            canonical = (mapping.get(key) or HEADER_BY_KEY.get(key)) if key else None
        if canonical is None:
            key = key or text  # a header with no ASCII letters or digits: keep it distinct
            if key in IGNORED_KEYS or key.startswith(IGNORED_PREFIXES):
                if text not in ignored:
                    ignored.append(text)
            elif key not in seen_unknown:
                seen_unknown.add(key)
                unknown.append(text)
            continue
        column = COLUMNS[canonical]
        if (canonical in found and not number and column.kind not in MANY_KINDS
                and canonical not in repeated):
            repeated.append(canonical)
        found.add(canonical)
        numbered.append((number, index, column, spelt))
    # `_1` after the unnumbered column, `_2` after `_1`…, whatever order the columns come in.
    columns = [(index, column, spelt) for _, index, column, spelt in sorted(numbered, key=lambda item: item[:2])]
    return _Plan(columns, unknown, ignored, repeated, found)


def _is_blank_row(row: Sequence[object]) -> bool:
    return all(is_blank(cell) for cell in row)


_HEADER_SEARCH_ROWS = 20


def read_export(
    source: SpreadsheetSource,
    filename: str | None = None,
    columns_mapping: Mapping[str, str] | None = None,
) -> ImportReport:
    """Read an ERAS export (.csv or .xlsx) into an ``ImportReport``.

    ``source`` is a path, the file's bytes or a binary file object; ``filename`` decides the format
    by extension (.csv/.txt/.tsv, .xlsx/.xlsm; otherwise sniffed) and appears in messages.
    ``columns_mapping`` maps a program's own headers to our canonical headers (see
    ``read_columns_mapping``). Raises ``ExportFileError`` if the file cannot be read at all and
    ``ColumnsMappingError`` if the mapping names an unknown header.
    """
    sheet = open_spreadsheet(source, filename)
    name = sheet.name
    mapping = {
        normalize_header(theirs): resolve_target(ours, f"mapping {theirs!r}")
        for theirs, ours in (columns_mapping or {}).items()
    }
    report = ImportReport(filename=name)
    rows = iter(sheet.rows(report.notes))

    # The header is the first row (among the first few) that has an AAMC ID column; else the first
    # non-blank row. Title lines above the header are skipped.
    buffered: list[tuple[int, Sequence[object]]] = []
    header: Sequence[object] | None = None
    header_row = 0
    for number, row in enumerate(rows, start=1):
        buffered.append((number, row))
        plan = _plan(row, mapping)
        if "AAMC ID" in plan.found:
            header, header_row = row, number
            break
        if number >= _HEADER_SEARCH_ROWS:
            break
    if header is None:
        first = next(((n, r) for n, r in buffered if not _is_blank_row(r)), None)
        if first is None:
            raise ExportFileError(f"{name}: the file has no header row")
        header_row, header = first
    report.header_row = header_row
    if header_row > 1:
        report.notes.append(f"The header is on row {header_row}; the rows above it were skipped.")

    plan = _plan(header, mapping)
    report.unknown_columns = plan.unknown
    report.ignored_columns = plan.ignored
    for canonical in plan.repeated:
        report.notes.append(f"The column {canonical!r} appears more than once; the first filled cell is used.")
    report.missing_required = [h for h in REQUIRED_HEADERS if h not in plan.found
                               and not (h in NAME_HEADERS and "Applicant Name" in plan.found)]

    readers = [ColumnReader(index, column, header) for index, column, header in plan.columns]
    shape = Shape(split_names="First Name" in plan.found or "Last Name" in plan.found,
                   soap_tracks="SOAP Track applied by Applicant" in plan.found)
    first_row_of: dict[str, int] = {}
    padded = 0
    soap_fallback = 0
    honor_phrases: dict[str, None] = {}
    for number, row in _continue(buffered, header_row, rows):
        if _is_blank_row(row):
            continue
        report.data_rows += 1
        if report.missing_required:
            continue
        result = read_row(number, row, readers, shape)
        report.errors.extend(result.errors)
        honor_phrases.update(dict.fromkeys(result.honor_phrases))
        if result.aamc is None:
            continue
        if result.aamc.padded:
            padded += 1
        earlier = first_row_of.get(result.aamc.aamc_id)
        if earlier is not None:
            report.errors.append(
                RowError(number, "AAMC ID", f"duplicate AAMC ID {result.aamc.aamc_id} (also on row {earlier})")
            )
            continue
        first_row_of[result.aamc.aamc_id] = number
        if result.profile is not None and not result.errors:
            report.rows.append(ImportedRow(number, result.profile, result.flags))
            soap_fallback += result.soap_fallback
    report.honor_phrases = list(honor_phrases)
    report.rules_off = rules_off_lines([imported.profile for imported in report.rows])
    if soap_fallback:
        report.notes.append(
            f"{soap_fallback} applicant{'' if soap_fallback == 1 else 's'} had no SOAP track in this export; "
            "the tracks they applied to count for the preference lists instead."
        )
    if padded:
        report.notes.append(
            f"{padded} AAMC ID(s) had fewer than 8 digits (Excel drops leading zeros); zeros were added in front."
        )
    return report


def rules_off_lines(profiles: Sequence[ApplicantProfile]) -> list[str]:
    """One line per triage rule that had nothing to read, with how many applicants it is off for: "Not in
    this export: graduation date, so the years-since-graduation rule is off for these 412 applicants."."""
    counts: dict[str, int] = {}
    rules: dict[str, Any] = {}
    for profile in profiles:
        for rule in rules_without_data(profile):
            counts[rule.key] = counts.get(rule.key, 0) + 1
            rules[rule.key] = rule
    lines: list[str] = []
    for key, count in counts.items():
        rule = rules[key]
        if count == len(profiles):
            lines.append(f"Not in this export: {rule.what}, so the {rule.rule} is off for "
                         + ("this applicant." if count == 1 else f"these {count} applicants."))
        else:
            lines.append(f"Not in this export for {count} of {len(profiles)} applicants: {rule.what}, so the "
                         f"{rule.rule} is off for them.")
    return lines


def _continue(
    buffered: list[tuple[int, Sequence[object]]], header_row: int, rows: Iterator[Sequence[object]]
) -> Iterator[tuple[int, Sequence[object]]]:
    """The rows below the header: the buffered ones, then the rest of the file."""
    for number, row in buffered:
        if number > header_row:
            yield number, row
    yield from enumerate(rows, start=len(buffered) + 1)
