"""Reading ERAS (PDWS) applicant exports: CSV or Excel .xlsx → validated ``ApplicantProfile`` rows.

Pure: no database, no Slack. ``read_export`` never stops at the first problem: it reports every bad
row (with the row number the spreadsheet shows, header = row 1), the column and the reason, and
returns the good rows. See docs/import.md for the columns, values and the mapping-file format.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from pydantic import ValidationError

from bot.domain.candidates import (
    COMLEX_LEVEL_1,
    COMLEX_LEVEL_2_CE,
    COMLEX_LEVEL_2_PE,
    COMLEX_LEVEL_3,
    USMLE_STEP_1,
    USMLE_STEP_2_CK,
    USMLE_STEP_2_CS,
    USMLE_STEP_3,
    ApplicantProfile,
    ExamResult,
    ExportedName,
    fold_name,
    natural_case,
    normalize_state,
    split_applicant_name,
)
from bot.domain.import_result import RowError
from bot.domain.triage import rules_without_data

# --------------------------------------------------------------------------------------------------
# Results


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


class ExportFileError(ValueError):
    """The file cannot be read at all (not a CSV/.xlsx, corrupt, empty)."""


class ColumnsMappingError(ValueError):
    """A columns-mapping file or dict that names a header the bot does not know."""


# --------------------------------------------------------------------------------------------------
# Columns


def normalize_header(text: str) -> str:
    """Lowercase and drop everything but letters and digits: "Medical School State/Province" →
    "medicalschoolstateprovince"."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclasses.dataclass(frozen=True, slots=True)
class _Column:
    header: str  # canonical header as documented
    kind: str  # text, aamc, name, date, bool, exam, exam_attempts, exam_failures, months, state, ...
    target: str  # profile field, exam name or connections field


_EXAMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # exam name, canonical header stem, extra stems
    (USMLE_STEP_1, "USMLE Step 1", ("Step 1",)),
    (USMLE_STEP_2_CK, "USMLE Step 2 CK", ("Step 2 CK", "USMLE Step 2")),
    (USMLE_STEP_2_CS, "USMLE Step 2 CS", ("Step 2 CS",)),
    (USMLE_STEP_3, "USMLE Step 3", ("Step 3",)),
    (COMLEX_LEVEL_1, "COMLEX-USA Level 1", ("COMLEX Level 1", "Level 1")),
    (COMLEX_LEVEL_2_CE, "COMLEX-USA Level 2 CE", ("COMLEX Level 2 CE", "Level 2 CE", "COMLEX Level 2")),
    (COMLEX_LEVEL_2_PE, "COMLEX-USA Level 2 PE", ("COMLEX Level 2 PE", "Level 2 PE")),
    (COMLEX_LEVEL_3, "COMLEX-USA Level 3", ("COMLEX Level 3", "Level 3")),
)


def _build_columns() -> tuple[dict[str, _Column], dict[str, str]]:
    # The real PDWS names first (../shared/DOMAIN.md §4); older and third-party names are aliases.
    columns: list[_Column] = [
        _Column("AAMC ID", "aamc", "aamc_id"),
        _Column("Applicant Name", "applicant_name", "exported_name"),
        _Column("First Name", "name", "first_name"),
        _Column("Middle Name", "text", "middle_name"),
        _Column("Last Name", "name", "last_name"),
        _Column("E-mail", "text", "email"),
        _Column("Preferred Email", "text", "email"),
        _Column("Preferred Phone", "text", "preferred_phone"),
        _Column("Cell Phone #", "text", "cell_phone"),
        _Column("Medical School of Graduation", "list", "medical_schools"),
        _Column("Most Recent Medical School", "list", "recent_schools"),
        _Column("Medical School Country", "text", "school_country"),
        _Column("Medical School State/Province", "text", "school_state"),
        _Column("Medical School Type", "text", "school_type"),
        _Column("Medical Degree", "list", "degrees"),
        _Column("Medical School Degree Date of Graduation", "date_list", "graduation_dates"),
        _Column("ECFMG Certified", "bool", "ecfmg_certified"),
        _Column("ECFMG Certification Received", "bool_or_date", "ecfmg_certified"),
        _Column("Citizenship", "text", "citizenship"),
        _Column("Visa Sponsorship Needed", "bool", "visa_needed"),
        _Column("Current Visa Status", "text", "current_visa"),
        _Column("Expected Visa Status", "text", "expected_visa"),
        _Column("US or Canadian Applicant", "bool", "us_or_canadian"),
        _Column("Medical Education or Training Interrupted", "red_flag", "training_interrupted"),
        _Column("Misdemeanor Conviction", "red_flag", "misdemeanor"),
        _Column("Felony Conviction", "red_flag", "felony"),
        _Column("Malpractice Cases Pending", "red_flag", "malpractice_pending"),
        _Column("Medical Licensure Problem", "red_flag", "licensure_problem"),
        _Column("Alpha Omega Alpha", "honor", "aoa"),
        _Column("Alpha Omega Alpha (Yes/No)", "honor", "aoa"),
        _Column("Gold Humanism Honor Society", "honor", "ghhs"),
        _Column("Gold Humanism Honor Society (Yes/No)", "honor", "ghhs"),
        _Column("Sigma Sigma Phi", "honor", "ssp"),
        _Column("Sigma Sigma Phi (Yes/No)", "honor", "ssp"),
        _Column("Permanent State", "state", "permanent_state"),
        _Column("Contact State", "state", "contact_state"),
        _Column("Tracks Applied by Applicant", "list", "tracks_applied"),
        _Column("SOAP Track applied by Applicant", "list", "soap_tracks"),
        _Column("Tracks Considered by Program", "list", "tracks_considered"),
        _Column("SOAP Match Status", "text", "soap_match_status"),
        # our template's extra columns
        _Column("US Clinical Experience (months)", "months", "us_clinical_months"),
        _Column("Recent Clinical Experience (months)", "months", "recent_clinical_months"),
        _Column("Professionalism Concern", "red_flag", "professionalism_concern"),
        _Column("Home Student", "flag", "home_student"),
        _Column("Rotated Here", "flag", "rotated_here"),
        _Column("Interviewed", "flag", "interviewed"),
        _Column("Prior Contact", "flag", "prior_contact"),
        _Column("Prelim Here", "flag", "prelim_here"),
        _Column("Strong Letters", "flag", "strong_letters"),
    ]
    aliases: dict[str, str] = {
        "AAMC Number": "AAMC ID",
        "AAMCID": "AAMC ID",
        "Name": "Applicant Name",
        "Email": "Preferred Email",
        "Email Address": "Preferred Email",
        "Cell Phone": "Cell Phone #",
        "Mobile Phone": "Cell Phone #",
        "Medical School": "Medical School of Graduation",
        "Medical School Name": "Medical School of Graduation",
        "Medical School State": "Medical School State/Province",
        "Medical Degree Expected or Earned": "Medical Degree",
        # a third-party tool's names, not PDWS ones (DOMAIN.md §4)
        "Degree": "Medical Degree",
        "Medical School Graduation Date": "Medical School Degree Date of Graduation",
        "Graduation Date": "Medical School Degree Date of Graduation",
        "AOA": "Alpha Omega Alpha (Yes/No)",
        "GHHS": "Gold Humanism Honor Society (Yes/No)",
        "Tracks": "Tracks Applied by Applicant",
        "Track": "Tracks Applied by Applicant",
        "SOAP Tracks Applied by Applicant": "SOAP Track applied by Applicant",
        "US Clinical Experience": "US Clinical Experience (months)",
        "USCE Months": "US Clinical Experience (months)",
        "USCE": "US Clinical Experience (months)",
        "Recent Clinical Experience": "Recent Clinical Experience (months)",
        "Recent Clinical Months": "Recent Clinical Experience (months)",
        "Professionalism": "Professionalism Concern",
        "Rotated": "Rotated Here",
        "Prelim": "Prelim Here",
        "Strong Letter": "Strong Letters",
        "Visa Sponsorship Need": "Visa Sponsorship Needed",
    }
    for exam, stem, extra in _EXAMS:
        score = f"{stem} Score"
        columns += [
            _Column(score, "exam", exam),
            _Column(f"{stem} Attempts", "exam_attempts", exam),
            _Column(f"{stem} Failures", "exam_failures", exam),
        ]
        if exam in (USMLE_STEP_1, COMLEX_LEVEL_1):  # pass/fail since 2022: newer exports add a Status column
            columns.append(_Column(f"{stem} Status", "exam", exam))
        for other in (exam, *extra):
            aliases.setdefault(f"{other} Score", score)
            aliases.setdefault(other, score)
            aliases.setdefault(f"{other} Attempts", f"{stem} Attempts")
            aliases.setdefault(f"{other} Failures", f"{stem} Failures")
            if exam in (USMLE_STEP_1, COMLEX_LEVEL_1):
                aliases.setdefault(f"{other} Status", f"{stem} Status")
    by_header = {column.header: column for column in columns}
    by_key = {normalize_header(column.header): column.header for column in columns}
    for alias, header in aliases.items():
        by_key.setdefault(normalize_header(alias), header)
    return by_header, by_key


COLUMNS, _HEADER_BY_KEY = _build_columns()
#: Every canonical header the bot reads, in documentation order.
CANONICAL_HEADERS: tuple[str, ...] = tuple(COLUMNS)
#: An export names its applicants either way (or both; the separate names win).
NAME_HEADERS: tuple[str, ...] = ("First Name", "Last Name")
REQUIRED_HEADERS: tuple[str, ...] = ("AAMC ID", *NAME_HEADERS)

#: Known PDWS columns the bot does not read (../shared/DOMAIN.md §4): listed once as ignored, not as
#: unknown. Gender, date of birth and self-identification are never read so they cannot influence triage.
IGNORED_HEADERS: tuple[str, ...] = (
    "Board Certification",
    "Military Service Obligation",
    "Participating as a Couple in NRMP",
    "Couples - Partner Name",
    "Self Identify",
    "Gender",
    "Date of Birth",
    "Limiting Factors",
    "Hobbies and Interests",
    "ACLS",
    "BLS",
    "PALS",
    "MSPE Received",
    "Medical School Transcript Received",
    "Personal Statement Received",
    "Photo",
    "Complete Application Date",
    "Medical School Attendance Dates",
    "Higher Education Degree",
    "Higher Education Institution",
    "Contact City",
    "Contact Zip",
    "Contact Country",
    "Permanent City",
    "Permanent Zip",
    "Permanent Country",
    "Total Interview Score",
    "Selected to Interview",
    "Most Recent Application Status",
    "Application Status",
    "Interview Date",
    "Interview Status",
    "Present Position",
    "Medical School Degree",
)
_IGNORED_KEYS = {normalize_header(header) for header in IGNORED_HEADERS}
_IGNORED_PREFIXES = ("countof", "contactaddress", "permanentaddress", "explanationof", "interview",
                     "applicationstatus", "previousresidency", "couples")


def canonical_header(text: str) -> str | None:
    """The canonical header a file header (or alias) means, or None if unknown."""
    return _HEADER_BY_KEY.get(normalize_header(text))


# --------------------------------------------------------------------------------------------------
# Columns mapping


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
        mapping[theirs] = _resolve_target(ours, f"line {number}")
    return mapping


def read_columns_mapping(path: str | Path) -> dict[str, str]:
    """Read a columns-mapping file (see ``parse_columns_mapping``)."""
    data = Path(path).read_bytes()
    text, _ = _decode(data)
    try:
        return parse_columns_mapping(text)
    except ColumnsMappingError as exc:
        raise ColumnsMappingError(f"{Path(path).name}: {exc}") from None


def _resolve_target(ours: str, where: str) -> str:
    header = canonical_header(ours)
    if header is None:
        close = difflib.get_close_matches(ours, CANONICAL_HEADERS, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ColumnsMappingError(
            f"{where}: {ours!r} is not a column the bot reads{hint} (see docs/import.md for the list)"
        )
    return header


# --------------------------------------------------------------------------------------------------
# Cell values


class _CellError(Exception):
    pass


_NO_VALUE = {"", "noresponse", "na", "nr", "notapplicable", "unknown", "notreported", "none"}
_YES = {"yes", "y", "true", "t", "1", "x"}
_NO = {"no", "n", "false", "f", "0"}
_MAX_TEXT = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value).strip()


def _value_key(text: str) -> str:
    """Lowercase without spaces and punctuation, keeping every letter ("No Response" → "noresponse",
    "N/A" → "na", "李" → "李"): for recognising Yes/No/No Response words."""
    return re.sub(r"[\W_]+", "", text.lower())


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_text(value: object, *, literal: bool = False) -> str | None:
    """Trimmed text; None for empty and (unless ``literal``) for "No Response", "N/A", ...

    Names are ``literal``: "Na" and "None" are real surnames."""
    text = _CONTROL.sub(" ", _text(value)).strip()
    if not text or (not literal and _value_key(text) in _NO_VALUE):
        return None
    if len(text) > _MAX_TEXT:
        raise _CellError(f"value too long ({len(text)} characters; at most {_MAX_TEXT})")
    return text


def _parse_list_item(value: object) -> str | None:
    """One value of a repeated field, spaces collapsed, so the same track written twice is kept once."""
    text = _parse_text(value)
    return " ".join(text.split()) if text else None


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value)
    key = _value_key(text)
    if key in _NO_VALUE:
        return None
    if key in _YES:
        return True
    if key in _NO:
        return False
    first = _value_key(re.split(r"[\s,;:(\-]+", text.lower(), maxsplit=1)[0] if text else "")
    if first in ("yes", "y"):
        return True
    if first in ("no", "n"):
        return False
    raise _CellError(f"expected Yes, No or No Response, got {_show(text)}")


class _Screened:
    """A red-flag cell that says `Screened`: the answer is not a No, and the card says so."""

    def __repr__(self) -> str:
        return "Screened"


SCREENED = _Screened()


def _parse_red_flag(value: object) -> bool | _Screened | None:
    """A red-flag answer: `Y`/`N`, `Yes`/`No`, `Screened` or blank (../shared/DOMAIN.md §4).

    Anything else could hide a yes (`No - see explanation`, `pending`), so it is an error naming
    the cell; a yes followed by words (`Yes - 2019`) is a yes."""
    if isinstance(value, bool):
        return value
    text = _text(value)
    key = _value_key(text)
    if not text or (key and key in _NO_VALUE):  # blank or "No Response"; a lone "?" is not blank
        return None
    if key in _YES:
        return True
    if key in _NO:
        return False
    if key == "screened":
        return SCREENED
    if _value_key(re.split(r"[\s,;:(\-]+", text.lower(), maxsplit=1)[0]) in ("yes", "y"):
        return True
    raise _CellError(f"expected Y, N, Yes, No, Screened or blank, got {_show(text)}: it could hide a yes")


class _Honor(NamedTuple):
    value: bool | None
    note: str | None
    known: bool
    text: str = ""


_HONOR_NAMES = {"aoa": "AOA", "ghhs": "GHHS", "ssp": "Sigma Sigma Phi"}


def _parse_honor(value: object, society: str) -> _Honor:
    """An honor-society cell in either PDWS form (../shared/DOMAIN.md §4): Yes/No, or a phrase:
    `Alpha Omega Alpha (Member of AOA)` is a member, `No Alpha Omega Alpha (AOA) chapter at my school`
    says there is no chapter (not a No), `… elections held during senior year` is pending. Any
    other value is kept as text (``known`` False) for the report, never an error."""
    if isinstance(value, bool):
        return _Honor(value, None, True)
    text = _CONTROL.sub(" ", _text(value)).strip()[:_MAX_TEXT]
    key = _value_key(text)
    if key in _NO_VALUE:
        return _Honor(None, None, True)
    if key in _YES:
        return _Honor(True, None, True)
    if key in _NO:
        return _Honor(False, None, True)
    low = text.lower()
    name = _HONOR_NAMES.get(society, society)
    negated = re.search(r"\b(no|not|non)\b", low) is not None
    if "chapter" in low and negated:
        return _Honor(None, f"no {name} chapter at their school", True)
    if "election" in low:
        return _Honor(None, f"{name} elections in senior year", True)
    if "member" in low:
        return _Honor(not negated, None, True)
    first = _value_key(re.split(r"[\s,;:(\-]+", low, maxsplit=1)[0])
    if first in ("yes", "no"):
        return _Honor(first == "yes", None, True)
    return _Honor(None, f"{name}: {text}", False, text)


def _parse_applicant_name(value: object) -> tuple[ExportedName, str] | None:
    text = _parse_text(value, literal=True)
    if text is None:
        return None
    name = split_applicant_name(text)
    if name is None:
        raise _CellError(f"expected LAST, FIRST (MIDDLE), got {_show(text)}")
    return name, text


_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%m-%d-%Y", "%Y/%m/%d", "%d-%b-%Y", "%b %d, %Y")
_EXCEL_EPOCH = date(1899, 12, 30)


def _parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not 10000 <= value <= 80000:
            raise _CellError(f"expected a date like 05/15/2020, got {_show(_text(value))}")
        parsed = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        text = _text(value)
        if _value_key(text) in _NO_VALUE:
            return None
        parsed_text = _parse_date_text(text)
        if parsed_text is None:
            raise _CellError(f"expected a date like 05/15/2020, got {_show(text)}")
        parsed = parsed_text
    if not 1940 <= parsed.year <= 2100:
        raise _CellError(f"date {parsed.isoformat()} is out of range")
    return parsed


def _parse_date_text(text: str) -> date | None:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?", text)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    match = re.fullmatch(r"([0-9]{1,2})/([0-9]{4})", text)  # MM/YYYY
    if match and 1 <= int(match.group(1)) <= 12:
        return date(int(match.group(2)), int(match.group(1)), 1)
    if re.fullmatch(r"[0-9]{4}", text):  # a graduation year alone: June 1 of that year
        return date(int(text), 6, 1)
    if re.fullmatch(r"[0-9]{5}(\.0+)?", text):  # an Excel serial date number saved as text
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    return None


def _whole_number(value: object, low: int, high: int, what: str) -> int | None:
    if isinstance(value, bool):
        raise _CellError(f"expected {what}, got {_show(_text(value))}")
    text = _text(value)
    if _value_key(text) in _NO_VALUE:
        return None
    match = re.fullmatch(r"([0-9]{1,4})(?:\.0*)?", text.replace(",", ""))
    if not match or not low <= int(match.group(1)) <= high:
        raise _CellError(f"expected {what} ({low}-{high}), got {_show(text)}")
    return int(match.group(1))


_PASS = {"pass", "p", "passed"}
_FAIL = {"fail", "f", "failed"}
_NOT_TAKEN = {"nottaken", "pending", "scheduled", "notyettaken", "notapplicable", "notreported"}


def _parse_exam(value: object, exam: str) -> ExamResult | None:
    text = _text(value)
    key = _value_key(text)
    if key in _NO_VALUE or key in _NOT_TAKEN:
        return None
    top = 300 if exam.startswith("USMLE") else 999
    tokens = [token for token in re.split(r"[\s,;/|]+", text) if token]
    score: int | None = None
    passed: bool | None = None
    failures = 0
    for token in tokens:
        word = _value_key(token)
        if word in _PASS:
            passed = True
        elif word in _FAIL:
            passed = False
            failures += 1
        elif re.fullmatch(r"[0-9]{1,3}(\.0*)?", token) and 1 <= int(float(token)) <= top:
            score, passed = int(float(token)), None
        else:
            raise _CellError(f"expected Pass, Fail or a score (1-{top}), got {_show(text)}")
    attempts = len(tokens) if len(tokens) > 1 else None
    return ExamResult(score=score, passed=passed, attempts=attempts, failures=failures)


class _AamcResult(NamedTuple):
    aamc_id: str
    padded: bool


def _parse_aamc(value: object) -> _AamcResult:
    if isinstance(value, str) and len(value) == 8 and value.isascii() and value.isdigit():
        return _AamcResult(value, False)  # the usual cell: 8 digits as text
    if isinstance(value, bool):
        raise _CellError(f"AAMC ID must be 8 digits, got {_show(_text(value))}")
    if isinstance(value, float):
        if not value.is_integer():
            raise _CellError(f"AAMC ID must be 8 digits, got {_show(_text(value))}")
        digits = str(int(value))
    elif isinstance(value, int):
        digits = str(value)
    else:
        text = _text(value).replace(" ", "")
        if not text:
            raise _CellError("AAMC ID is empty")
        digits = text
        if re.fullmatch(r"[0-9]+\.0+", text):  # 12345678.0 from Excel
            digits = text.split(".", 1)[0]
        elif re.fullmatch(r"[0-9](\.[0-9]+)?[eE]\+?[0-9]{1,2}", text):  # 1.2345678E+07
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = Decimal(-1)
            if number == number.to_integral_value() and number >= 0:
                digits = str(int(number))
    if not digits.isascii() or not digits.isdigit() or len(digits) > 8 or len(digits) < 6:
        raise _CellError(f"AAMC ID must be 8 digits, got {_show(_text(value))}")
    if len(digits) < 8:  # Excel drops leading zeros from numbers
        return _AamcResult(digits.zfill(8), True)
    return _AamcResult(digits, False)


def _show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --------------------------------------------------------------------------------------------------
# Reading files


def _decode(data: bytes) -> tuple[str, str | None]:
    """(text, note or None). UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, (
        "The file is not UTF-8; it was read as Windows-1252 (cp1252). Check that accented names look"
        " right, or save it again as 'CSV UTF-8'."
    )


def _csv_rows(data: bytes, filename: str, notes: list[str]) -> Iterator[Sequence[object]]:
    text, note = _decode(data)
    if note:
        notes.append(note)
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if first_line.count("\t") > first_line.count(","):
        delimiter = "\t"
    elif first_line.count(";") > first_line.count(","):
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):  # noqa: B007 (used in the error)
            yield record
    except csv.Error as exc:
        raise ExportFileError(f"{filename}: row {number + 1} could not be read as CSV: {exc}") from None


# A real ERAS export of a few hundred applicants unpacks to a few MB; a "zip bomb" (a small .xlsx
# that unpacks to gigabytes, or to millions of rows) would hold a worker for minutes.
# (tests/adversarial/test_spreadsheets.py)
MAX_XLSX_UNPACKED = 100 * 1024 * 1024


def _refuse_zip_bomb(data: bytes, filename: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a zip: openpyxl says so below
    if unpacked > MAX_XLSX_UNPACKED:
        raise ExportFileError(
            f"{filename}: the workbook unpacks to {unpacked // (1024 * 1024)} MB, more than an ERAS export "
            f"can hold (at most {MAX_XLSX_UNPACKED // (1024 * 1024)} MB); export the applicants again, or save "
            "the sheet as CSV"
        )


def _xlsx_rows(data: bytes, filename: str, notes: list[str]) -> Iterator[Sequence[object]]:
    import openpyxl  # local: only needed for Excel files
    from openpyxl.utils.exceptions import InvalidFileException

    _refuse_zip_bomb(data, filename)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise ExportFileError(f"{filename}: could not open it as an Excel .xlsx file ({exc})") from None
    try:
        sheet = workbook.active or workbook.worksheets[0]
        if len(workbook.sheetnames) > 1:
            notes.append(f"Read the sheet {sheet.title!r}; the other sheets were ignored.")
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            except Exception as exc:  # a corrupt sheet: openpyxl raises many kinds
                raise ExportFileError(
                    f"{filename}: row {number + 1} of the Excel sheet could not be read ({exc})"
                ) from None
            number += 1
            yield row
    finally:
        workbook.close()


def _load(source: str | Path | bytes | BinaryIO, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), filename or "upload"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as exc:
            raise ExportFileError(f"{filename or path.name}: could not read the file ({exc})") from None
    return source.read(), filename or Path(str(getattr(source, "name", "upload"))).name


_NOT_SPREADSHEETS = frozenset({".pdf", ".doc", ".docx", ".rtf", ".pages", ".numbers", ".zip", ".png", ".jpg", ".jpeg"})


def _rows_of(data: bytes, filename: str, notes: list[str]) -> Iterator[Sequence[object]]:
    suffix = Path(filename).suffix.lower()
    if data[:5] == b"%PDF-" or suffix in _NOT_SPREADSHEETS:
        # Read as text, a PDF or a document is only "required columns are missing" in a strange encoding.
        raise ExportFileError(f"{filename} is not a spreadsheet (a PDF, a document or an image): save it as CSV "
                              "or Excel (.xlsx) and share or import that file (from ERAS PDWS, export the "
                              "applicant list as CSV or Excel)")
    if suffix == ".xls":
        raise ExportFileError(f"{filename}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    if suffix in (".xlsx", ".xlsm") or (suffix not in (".csv", ".txt", ".tsv") and data[:4] == b"PK\x03\x04"):
        return _xlsx_rows(data, filename, notes)
    return _csv_rows(data, filename, notes)


# --------------------------------------------------------------------------------------------------
# The import


@dataclasses.dataclass(slots=True)
class _Plan:
    """What to do with each column of the header."""

    columns: list[tuple[int, _Column, str]]
    """(position, column, the header as the file spells it) in reading order."""
    unknown: list[str]
    ignored: list[str]
    repeated: list[str]
    found: set[str]


#: `Tracks Applied by Applicant_1`, `Medical School of Graduation_2`: PDWS numbers repeated fields.
_NUMBERED = re.compile(r"^(.*?\S)\s*_([0-9]{1,3})$")


def _plan(header: Sequence[object], mapping: Mapping[str, str]) -> _Plan:
    numbered: list[tuple[int, int, _Column, str]] = []  # (number, position, column, header as spelt)
    unknown: list[str] = []
    ignored: list[str] = []
    repeated: list[str] = []
    seen_unknown: set[str] = set()
    found: set[str] = set()
    for index, cell in enumerate(header):
        text = _CONTROL.sub(" ", _text(cell)).strip()
        if not text:
            continue
        key = normalize_header(text)
        canonical = (mapping.get(key) or _HEADER_BY_KEY.get(key)) if key else None
        spelt = text
        number = 0
        if canonical is None and (suffixed := _NUMBERED.match(text)):
            text, number = suffixed.group(1), int(suffixed.group(2))
            key = normalize_header(text)
            canonical = (mapping.get(key) or _HEADER_BY_KEY.get(key)) if key else None
        if canonical is None:
            key = key or text  # a header with no ASCII letters or digits: keep it distinct
            if key in _IGNORED_KEYS or key.startswith(_IGNORED_PREFIXES):
                if text not in ignored:
                    ignored.append(text)
            elif key not in seen_unknown:
                seen_unknown.add(key)
                unknown.append(text)
            continue
        column = COLUMNS[canonical]
        if (canonical in found and not number and column.kind not in _MANY_KINDS
                and canonical not in repeated):
            repeated.append(canonical)
        found.add(canonical)
        numbered.append((number, index, column, spelt))
    # `_1` after the unnumbered column, `_2` after `_1`…, whatever order the columns come in.
    columns = [(index, column, spelt) for _, index, column, spelt in sorted(numbered, key=lambda item: item[:2])]
    return _Plan(columns, unknown, ignored, repeated, found)


def _is_blank_row(row: Sequence[object]) -> bool:
    return all(_is_blank(cell) for cell in row)


_HEADER_SEARCH_ROWS = 20


def read_export(
    source: str | Path | bytes | BinaryIO,
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
    data, name = _load(source, filename)
    mapping = {
        normalize_header(theirs): _resolve_target(ours, f"mapping {theirs!r}")
        for theirs, ours in (columns_mapping or {}).items()
    }
    report = ImportReport(filename=name)
    if not data.strip(b"\xef\xbb\xbf\r\n\t ,;"):
        raise ExportFileError(f"{name}: the file is empty")
    rows = iter(_rows_of(data, name, report.notes))

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

    readers = _column_readers(plan.columns)
    shape = _Shape(split_names="First Name" in plan.found or "Last Name" in plan.found,
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
        result = _read_row(number, row, readers, shape)
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


class _Shape(NamedTuple):
    """What the header holds that changes how each row is read."""

    split_names: bool
    """`First Name`/`Last Name` columns (they win over `Applicant Name`)."""
    soap_tracks: bool
    """`SOAP Track applied by Applicant` columns (they are the tracks that count)."""


class _RowResult(NamedTuple):
    aamc: _AamcResult | None
    profile: ApplicantProfile | None
    flags: dict[str, bool]
    errors: list[RowError]
    honor_phrases: list[str]
    soap_fallback: bool


_FIELD_HEADER = {column.target: column.header for column in reversed(COLUMNS.values()) if column.kind != "flag"}
_FIELD_HEADER.update(medical_school="Medical School of Graduation", degree="Medical Degree",
                     graduation_date="Medical School Degree Date of Graduation", tracks="Tracks Applied by Applicant")
_MISSING = object()
#: Column kinds whose every cell is kept (repeated and `_N` columns), rather than the first filled one.
_MANY_KINDS = frozenset({"list", "date_list", "honor"})


def _cell_parser(column: _Column) -> Callable[[object], object]:
    """The function that turns one cell of ``column`` into its value (raising ``_CellError``)."""
    kind, target = column.kind, column.target
    if kind == "aamc":
        return _parse_aamc
    if kind == "text":
        return _parse_text
    if kind == "list":
        return _parse_list_item
    if kind == "applicant_name":
        return _parse_applicant_name
    if kind == "red_flag":
        return _parse_red_flag
    if kind == "honor":
        return partial(_parse_honor, society=target)
    if kind == "name":
        return partial(_parse_text, literal=True)
    if kind in ("bool", "flag"):
        return _parse_bool
    if kind == "bool_or_date":
        return _parse_bool_or_date
    if kind == "date_list":
        return _parse_date
    if kind == "months":
        return partial(_whole_number, low=0, high=600, what="a number of months")
    if kind == "state":
        return lambda cell: normalize_state(_parse_text(cell))
    if kind == "exam":
        return partial(_parse_exam, exam=target)
    if kind == "exam_attempts":
        return partial(_whole_number, low=0, high=20, what="a number of attempts")
    if kind == "exam_failures":
        return partial(_whole_number, low=0, high=20, what="a number of failures")
    raise AssertionError(f"no parser for column kind {kind!r}")


class _ColumnReader:
    """Reads one column of the file, remembering what each distinct cell parsed to.

    An export repeats most of its cells (Yes/No, schools, states, dates, scores), so each distinct
    cell is parsed once per file. ``True``, ``1`` and ``1.0`` are equal in Python but read
    differently (Yes, 1, 1), so cells that are not text are remembered with their type.
    """

    __slots__ = ("column", "header", "index", "kind", "parse", "seen", "target")

    def __init__(self, index: int, column: _Column, header: str) -> None:
        self.index, self.column, self.header = index, column, header
        self.kind, self.target = column.kind, column.target
        self.parse = _cell_parser(column)
        self.seen: dict[object, object] = {}

    def read(self, cell: object) -> object:
        """The parsed value, or the ``_CellError`` describing why the cell is bad."""
        key = cell if cell.__class__ is str else (cell.__class__, cell)
        value = self.seen.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = self.parse(cell)
            except _CellError as error:
                value = error
            self.seen[key] = value
        return value


def _column_readers(columns: list[tuple[int, _Column, str]]) -> list[_ColumnReader]:
    return [_ColumnReader(index, column, header) for index, column, header in columns]


_EXAM_KINDS = frozenset({"exam", "exam_attempts", "exam_failures"})


def _read_row(number: int, row: Sequence[object], readers: list[_ColumnReader], shape: _Shape) -> _RowResult:
    values: dict[str, Any] = {}
    exams: dict[str, dict[str, Any]] = {}
    many: dict[str, list[Any]] = {}
    honors: dict[str, list[_Honor]] = {}
    screened: list[str] = []
    exported: tuple[ExportedName, str] | None = None
    flags: dict[str, bool] = {}
    errors: list[RowError] = []
    aamc: _AamcResult | None = None
    failed: set[str] = set()  # kinds of the cells that had errors
    width = len(row)
    for reader in readers:
        kind, target = reader.kind, reader.target
        if kind == "aamc":
            if aamc is not None:
                continue
        elif kind not in _EXAM_KINDS and kind not in _MANY_KINDS and kind != "flag" and (
                values.get(target) is not None or (kind == "applicant_name" and exported is not None)):
            continue  # an earlier column already filled this field
        value = reader.read(row[reader.index] if reader.index < width else None)
        if value.__class__ is _CellError:
            errors.append(RowError(number, reader.header, str(value)))  # the cell as the file names it
            failed.add(kind)
        elif kind == "aamc":
            aamc = value  # type: ignore[assignment]
        elif kind in ("list", "date_list"):
            if value is not None:
                listed = many.setdefault(target, [])
                if value not in listed:
                    listed.append(value)
        elif kind == "honor":
            honors.setdefault(target, []).append(value)  # type: ignore[arg-type]
        elif kind == "red_flag":
            if value is SCREENED:
                if target not in screened:
                    screened.append(target)
            else:
                values[target] = value
        elif kind == "applicant_name":
            exported = value  # type: ignore[assignment]
        elif kind == "flag":
            if value is not None and target not in flags:
                flags[target] = value  # type: ignore[assignment]
        elif kind in _EXAM_KINDS:
            _merge_exam(kind, value, exams.setdefault(target, {"score": None, "passed": None, "attempts": None,
                                                               "failures": 0}))
        else:
            values[target] = value
    if not failed & {"name", "applicant_name"}:
        _names(number, values, exported, shape, errors)
    if aamc is None and "aamc" not in failed:
        errors.append(RowError(number, "AAMC ID", "AAMC ID is empty"))
    phrases = [f"{_FIELD_HEADER[t]}: {_show(h.text)}" for t, found in honors.items() for h in found if not h.known]
    profile: ApplicantProfile | None = None
    soap_fallback = False
    if not errors and aamc is not None:
        for society, found in honors.items():
            values[society] = _honor_value(found)
            for note in (h.note for h in found if h.note):
                kept = values.setdefault("honors", [])
                if note not in kept:
                    kept.append(note)
        applied, soap = many.get("tracks_applied", []), many.get("soap_tracks", [])
        soap_fallback = shape.soap_tracks and not soap and bool(applied)
        schools = many.get("medical_schools", []) + [s for s in many.get("recent_schools", [])
                                                     if s not in many.get("medical_schools", [])]
        degrees, dates = many.get("degrees", []), many.get("graduation_dates", [])
        try:
            exam_results = {name: _exam_result(**parts) for name, parts in exams.items() if _exam_has_data(parts)}
            profile = ApplicantProfile(
                aamc_id=aamc.aamc_id,
                exams=exam_results,
                tracks=soap or applied,
                tracks_applied=applied,
                tracks_considered=many.get("tracks_considered", []),
                medical_schools=schools,
                medical_school=schools[0] if schools else None,
                degrees=degrees,
                degree=degrees[0] if degrees else None,
                graduation_dates=dates,
                graduation_date=dates[0] if dates else None,
                screened=screened,
                **{key: value for key, value in values.items() if value is not None},
            )
        except ValidationError as exc:
            for problem in exc.errors():
                field = str(problem["loc"][0]) if problem["loc"] else ""
                errors.append(RowError(number, _FIELD_HEADER.get(field, field or "row"), problem["msg"]))
    return _RowResult(aamc, profile, flags, errors, phrases, soap_fallback)


def _names(number: int, values: dict[str, Any], exported: tuple[ExportedName, str] | None, shape: _Shape,
           errors: list[RowError]) -> None:
    """First, middle and last name from `First`/`Middle`/`Last Name` (they win) or `Applicant Name`
    (`LAST, FIRST MIDDLE`); a name the export wrote in one case is shown in natural case, and the
    name as written is kept (``exported_name``) so a search for it still finds the applicant."""
    written = {field: values.get(field) for field in ("first_name", "middle_name", "last_name")}
    from_file = exported[0] if exported else None
    first = written["first_name"] or (from_file.first if from_file else None)
    last = written["last_name"] or (from_file.last if from_file else None)
    if not first or not last:
        for field, header in (("first_name", "First Name"), ("last_name", "Last Name")):
            if not (first if field == "first_name" else last):
                column = header if shape.split_names else "Applicant Name"
                errors.append(RowError(number, column, f"{column} is empty"))
        return
    middle = written["middle_name"]
    if middle is None and from_file and from_file.middle and fold_name(from_file.first) == fold_name(first):
        middle = from_file.middle
    cased = {"first_name": natural_case(first), "middle_name": natural_case(middle) if middle else None,
             "last_name": natural_case(last, surname=True)}
    values.update(cased)
    if exported is not None:
        values["exported_name"] = exported[1]
    elif any(written[field] and written[field] != cased[field] for field in written):
        values["exported_name"] = f"{last}, {first}" + (f" {middle}" if middle else "")


def _honor_value(found: Sequence[_Honor]) -> bool | None:
    """A member in either column is a member; otherwise a No in either is a No; else not known."""
    answers = {honor.value for honor in found}
    if True in answers:
        return True
    return False if False in answers else None


@functools.lru_cache(maxsize=4096)
def _exam_result(score: int | None, passed: bool | None, attempts: int | None, failures: int) -> ExamResult:
    """One exam's result; equal results are one (frozen) object, built once."""
    return ExamResult(score=score, passed=passed, attempts=attempts, failures=failures)


def _exam_has_data(parts: Mapping[str, Any]) -> bool:
    return any(value not in (None, 0) for value in parts.values())


def _merge_exam(kind: str, value: object, parts: dict[str, Any]) -> None:
    """Fold one exam cell (a result, a number of attempts or of failures) into the exam's parts."""
    if value is None:
        return
    if kind == "exam":
        assert isinstance(value, ExamResult)
        if parts["score"] is not None and parts["passed"] is not None:
            return
        # A score and a Status column (`USMLE Step 1 Status`: Pass/Fail) complete each other.
        if parts["score"] is None and value.score is not None:
            parts["score"] = value.score
        if parts["passed"] is None and value.passed is not None:
            parts["passed"] = value.passed
        parts["failures"] = max(parts["failures"], value.failures)
        if value.attempts is not None:
            parts["attempts"] = max(parts["attempts"] or 0, value.attempts)
    else:
        assert isinstance(value, int)
        name = "attempts" if kind == "exam_attempts" else "failures"
        parts[name] = max(parts[name] or 0, value)


def _parse_bool_or_date(value: object) -> bool | None:
    if isinstance(value, date):
        return True
    try:
        return _parse_bool(value)
    except _CellError:
        if _parse_date_text(_text(value)) is not None:
            return True
        raise
