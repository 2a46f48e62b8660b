"""The pre-SOAP plan: the people a program already knew before SOAP, sorted weeks ahead.

A program that expects to underfill sorts the applicants it met in the main Match into "we'd be
thrilled to get them", "only in SOAP" and "no, not even in SOAP", with a note, usually in a
spreadsheet (DOMAIN.md §5: internal/known first, then interviewed, strong paper, backups;
deal-breakers off). This module reads that sheet's rows (already split into cells) and says what
each choice means for triage. Pure: no files, no database.

Decisions:
- ``thrilled`` starts the applicant in the internal tier ("we take them, period", the best bucket),
  ``soap-only`` in backup ("only if desperate"), ``no`` in do not rank.
- The program's own words are accepted (``PLAN_WORDS``, listed in docs/import.md); anything else is
  a row error naming the accepted words, so no one is sorted by a guess.
- NRMP (DOMAIN.md §3): a program may contact or list an applicant only after their SOAP application
  arrived. A plan row is therefore only a starting point for someone who has applied; the others
  are shown as "not applied" and nothing else is done with them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

from bot.domain.file_text import visible_text
from bot.domain.names import split_applicant_name
from bot.domain.triage import Bucket, Risk

MAX_NOTE_CHARS = 3000
MAX_WORD_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class PlanChoice(StrEnum):
    THRILLED = "thrilled"
    SOAP_ONLY = "soap-only"
    NO = "no"

    @property
    def bucket(self) -> Bucket:
        return _BUCKETS[self]


_BUCKETS = {PlanChoice.THRILLED: Bucket.INTERNAL, PlanChoice.SOAP_ONLY: Bucket.BACKUP,
            PlanChoice.NO: Bucket.DO_NOT_RANK}


def word_key(text: str) -> str:
    """"Soap-Only!" → "soap only": lowercase words, punctuation dropped."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


#: The words programs write in the Pre-SOAP column, by what they mean (docs/import.md lists them).
PLAN_WORDS: dict[str, PlanChoice] = {
    word_key(word): choice
    for choice, words in {
        PlanChoice.THRILLED: ("thrilled", "would be thrilled", "we'd be thrilled", "yes", "y", "top", "top choice",
                              "take", "take them", "want", "a", "1", "high", "rank high", "first choice"),
        PlanChoice.SOAP_ONLY: ("soap-only", "soap only", "only in soap", "only soap", "soap", "backup", "back up",
                               "maybe", "b", "2", "if needed", "only if needed", "if desperate",
                               "only if desperate"),
        PlanChoice.NO: ("no", "n", "no way", "never", "not even in soap", "no even in soap", "do not rank",
                        "dont rank", "don't rank", "dnr", "c", "3", "off"),
    }.items()
    for word in words
}  # fmt: skip

# Header words (lowercase, letters and digits only) → our column.
_HEADERS: dict[str, str] = {
    "aamcid": "AAMC ID", "aamc": "AAMC ID", "aamcnumber": "AAMC ID",
    "applicantname": "Applicant Name", "name": "Applicant Name",
    "firstname": "First Name", "lastname": "Last Name",
    "presoap": "Pre-SOAP", "plan": "Pre-SOAP", "presoapplan": "Pre-SOAP",
    "interviewed": "Interviewed", "rotatedhere": "Rotated Here", "homestudent": "Home Student",
    "note": "Note", "notes": "Note",
}  # fmt: skip
_YES = {"yes", "y", "true", "x", "1"}
_NO = {"no", "n", "false", "0"}


@dataclasses.dataclass(frozen=True, slots=True)
class PlanRowError:
    """A problem with one row (``row_number`` as the spreadsheet shows it, header = 1)."""

    row_number: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row_number}, {self.column}: {self.reason}"


@dataclasses.dataclass(frozen=True, slots=True)
class PlanRow:
    row_number: int
    aamc_id: str
    first_name: str
    last_name: str
    choice: PlanChoice
    word: str
    interviewed: bool = False
    rotated_here: bool = False
    home_student: bool = False
    note: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclasses.dataclass(slots=True)
class PlanReport:
    filename: str
    rows: list[PlanRow] = dataclasses.field(default_factory=list)
    errors: list[PlanRowError] = dataclasses.field(default_factory=list)
    missing_required: list[str] = dataclasses.field(default_factory=list)
    unknown_columns: list[str] = dataclasses.field(default_factory=list)
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing_required and bool(self.rows)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row_number for error in self.errors})


class _Bad(Exception):
    pass


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _CONTROL.sub(" ", visible_text(str(value))).strip()


def _aamc(value: object) -> str:
    text = _text(value).replace(" ", "")
    if re.fullmatch(r"[0-9]+\.0+", text):  # 12345678.0 from Excel
        text = text.split(".", 1)[0]
    if not text:
        raise _Bad("AAMC ID is empty")
    if not (text.isascii() and text.isdigit() and 6 <= len(text) <= 8):
        raise _Bad(f"AAMC ID must be 8 digits, got {text[:20]!r}")
    return text.zfill(8)  # Excel drops leading zeros


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = word_key(_text(value))
    if not key or key in _NO:
        return False
    if key in _YES:
        return True
    raise _Bad(f"expected Yes or No, got {_text(value)[:40]!r}")


def _choice(value: object) -> tuple[PlanChoice, str]:
    text = _text(value)
    if not text:
        raise _Bad("empty; write thrilled, soap-only or no")
    choice = PLAN_WORDS.get(word_key(text))
    if choice is None:
        raise _Bad(f"{text[:40]!r} is not a plan word; write thrilled, soap-only or no (other words: docs/import.md)")
    return choice, text[:MAX_WORD_CHARS]


def is_plan_file(headers: Iterable[str]) -> bool:
    """A sheet with a Pre-SOAP column is the plan, whatever else it holds: imported as an ERAS export,
    people who never applied would look like SOAP applicants (DOMAIN.md §3)."""
    return any(_HEADERS.get(re.sub(r"[^a-z0-9]", "", str(header).lower())) == "Pre-SOAP" and
               re.sub(r"[^a-z0-9]", "", str(header).lower()) != "plan" for header in headers)


def _header(row: Sequence[object]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(row):
        column = _HEADERS.get(re.sub(r"[^a-z0-9]", "", _text(cell).lower()))
        if column is not None and column not in found:
            found[column] = index
    return found


def read_plan_rows(rows: Iterable[Sequence[object]], filename: str) -> PlanReport:
    """The plan in a sheet's rows (the first row with an AAMC ID column is the header)."""
    report = PlanReport(filename=filename)
    iterator = iter(rows)
    columns: dict[str, int] = {}
    header: Sequence[object] = ()
    header_row = 0
    for header_row, row in enumerate(iterator, start=1):
        columns = _header(row)
        if "AAMC ID" in columns or header_row >= 20:
            header = row
            break
    if "AAMC ID" not in columns:
        report.missing_required = ["AAMC ID", "Pre-SOAP"]
        return report
    report.unknown_columns = [_text(c) for i, c in enumerate(header)
                              if _text(c) and i not in columns.values()]
    missing = [c for c in ("AAMC ID", "Pre-SOAP") if c not in columns]
    if "Applicant Name" not in columns and not ("First Name" in columns and "Last Name" in columns):
        missing.append("Applicant Name (or First Name and Last Name)")
    report.missing_required = missing
    if missing:
        return report

    def cell(row: Sequence[object], column: str) -> object:
        index = columns.get(column)
        return row[index] if index is not None and index < len(row) else None

    first_row_of: dict[str, int] = {}
    for number, row in enumerate(iterator, start=header_row + 1):
        if all(not _text(value) for value in row):
            continue
        report.data_rows += 1
        errors: list[PlanRowError] = []
        values: dict[str, object] = {}
        for column, parse in (("AAMC ID", _aamc), ("Pre-SOAP", _choice), ("Interviewed", _flag),
                              ("Rotated Here", _flag), ("Home Student", _flag)):
            try:
                values[column] = parse(cell(row, column))
            except _Bad as bad:
                errors.append(PlanRowError(number, column, str(bad)))
        first, last = _text(cell(row, "First Name")), _text(cell(row, "Last Name"))
        if not (first or last):
            written = _text(cell(row, "Applicant Name"))
            name = split_applicant_name(written) if written else None
            if name is not None:
                first, last = name.first, name.last
            else:
                errors.append(PlanRowError(number, "Applicant Name", f"expected LAST, FIRST, got {written[:40]!r}"
                                           if written else "no name"))
        note = _text(cell(row, "Note")) or None
        if note and len(note) > MAX_NOTE_CHARS:
            errors.append(PlanRowError(number, "Note", f"{len(note)} characters; at most {MAX_NOTE_CHARS}"))
        aamc = values.get("AAMC ID")
        if isinstance(aamc, str):
            earlier = first_row_of.setdefault(aamc, number)
            if earlier != number:
                errors.append(PlanRowError(number, "AAMC ID", f"duplicate AAMC ID {aamc} (also on row {earlier})"))
        if errors:
            report.errors.extend(errors)
            continue
        picked = values["Pre-SOAP"]
        assert isinstance(picked, tuple)
        report.rows.append(PlanRow(number, str(aamc), first[:200], last[:200], PlanChoice(picked[0]), str(picked[1]),
                                   interviewed=bool(values["Interviewed"]), rotated_here=bool(values["Rotated Here"]),
                                   home_student=bool(values["Home Student"]), note=note))
    return report


def plan_reason(row_choice: PlanChoice, word: str) -> str:
    """The triage reason the committee reads on the card: "pre-SOAP plan: thrilled (top choice)"."""
    # The card quotes the reason: the program's own word goes in brackets, not in quotes again.
    own = f" ({word})" if word_key(word) != word_key(row_choice.value) else ""
    return f"{PLAN_REASON_PREFIX} {row_choice.value}{own}"


PLAN_REASON_PREFIX = "pre-SOAP plan:"
#: DOMAIN.md §3: contact and listing only after the applicant's SOAP application arrived.
NOT_APPLIED_RULE = ("NRMP rules allow neither contacting them nor putting them on a preference list until they "
                    "apply to us in SOAP.")


@dataclasses.dataclass(frozen=True)
class PlanImportResult:
    filename: str
    rows: int = 0
    in_soap: int = 0
    """Plan rows whose applicant is already imported from the SOAP export."""
    replaced: int = 0
    """Rows of the plan this one replaced."""
    errors: list[PlanRowError] = dataclasses.field(default_factory=list)
    missing_required: list[str] = dataclasses.field(default_factory=list)
    unknown_columns: list[str] = dataclasses.field(default_factory=list)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    """thrilled / soap-only / no → rows."""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors and not self.missing_required

    @property
    def bad_rows(self) -> list[int]:
        return sorted({error.row_number for error in self.errors})


# --- what the committee is shown ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class PlanPerson:
    """Someone in the plan; ``bucket`` (their effective bucket now) only when they applied in SOAP."""

    aamc_id: str
    name: str
    choice: PlanChoice
    word: str
    bucket: Bucket | None = None
    computed_bucket: Bucket | None = None
    plan_bucket_kept: bool = False
    """The bucket is still the plan's (no director has chosen another)."""


@dataclasses.dataclass(frozen=True, slots=True)
class PlanOverview:
    applied: tuple[PlanPerson, ...]
    not_applied: tuple[PlanPerson, ...]
    not_in_plan: int
    plan_rows: int


@dataclasses.dataclass(frozen=True, slots=True)
class UnseenApplicant:
    candidate_id: int
    aamc_id: str
    name: str
    bucket: Bucket | None
    risk: Risk | None
    why: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    """The NRMP program codes they applied to (empty when the export names none)."""


def within_reach(items: Sequence[UnseenApplicant], open_codes: frozenset[str] | None) -> list[UnseenApplicant]:
    """The applicants a preference list could still reach: R3 offers only the positions still open,
    per program code (DOMAIN.md §2), so someone who applied only to codes that are full cannot be
    reached. ``open_codes`` None: the program has set no positions, everyone counts; an applicant
    whose tracks name no code counts too (the program keeps one list)."""
    if open_codes is None:
        return list(items)
    return [item for item in items if not item.codes or set(item.codes) & open_codes]
