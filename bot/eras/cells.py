"""One cell of an ERAS export → its value: text, Yes/No, red flags, honor societies, dates, exam
results, AAMC IDs. A bad cell raises ``CellError`` with the reason the coordinator reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import NamedTuple

from bot.domain.candidates import ExamResult, normalize_state
from bot.domain.file_text import visible_text
from bot.domain.names import ExportedName, split_applicant_name
from bot.eras.columns import Column, ColumnKind


class CellError(Exception):
    pass


_NO_VALUE = {"", "noresponse", "na", "nr", "notapplicable", "unknown", "notreported", "none"}
_YES = {"yes", "y", "true", "t", "1", "x"}
_NO = {"no", "n", "false", "f", "0"}
_MAX_TEXT = 300
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


def cell_text(value: object) -> str:
    """The cell as text, without bidi controls and zero-width characters (bot.domain.file_text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return visible_text(value).strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return visible_text(str(value)).strip()


def _value_key(text: str) -> str:
    """Lowercase without spaces and punctuation, keeping every letter ("No Response" → "noresponse",
    "N/A" → "na", "李" → "李"): for recognising Yes/No/No Response words."""
    return re.sub(r"[\W_]+", "", text.lower())


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_text(value: object, *, literal: bool = False) -> str | None:
    """Trimmed text; None for empty and (unless ``literal``) for "No Response", "N/A", ...

    Names are ``literal``: "Na" and "None" are real surnames."""
    text = CONTROL_CHARACTERS.sub(" ", cell_text(value)).strip()
    if not text or (not literal and _value_key(text) in _NO_VALUE):
        return None
    if len(text) > _MAX_TEXT:
        raise CellError(f"value too long ({len(text)} characters; at most {_MAX_TEXT})")
    return text


def _parse_list_item(value: object) -> str | None:
    """One value of a repeated field, spaces collapsed, so the same track written twice is kept once."""
    text = _parse_text(value)
    return " ".join(text.split()) if text else None


def _parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = cell_text(value)
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
    raise CellError(f"expected Yes, No or No Response, got {show(text)}")


class Screened:
    """A red-flag cell that says `Screened`: the answer is not a No, and the card says so."""

    def __repr__(self) -> str:
        return "Screened"


SCREENED = Screened()


def _parse_red_flag(value: object) -> bool | Screened | None:
    """A red-flag answer: `Y`/`N`, `Yes`/`No`, `Screened` or blank (../shared/DOMAIN.md §4).

    Anything else could hide a yes (`No - see explanation`, `pending`), so it is an error naming
    the cell; a yes followed by words (`Yes - 2019`) is a yes."""
    if isinstance(value, bool):
        return value
    text = cell_text(value)
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
    raise CellError(f"expected Y, N, Yes, No, Screened or blank, got {show(text)}: it could hide a yes")


class Honor(NamedTuple):
    value: bool | None
    note: str | None
    known: bool
    text: str = ""


_HONOR_NAMES = {"aoa": "AOA", "ghhs": "GHHS", "ssp": "Sigma Sigma Phi"}


def _parse_honor(value: object, society: str) -> Honor:
    """An honor-society cell in either PDWS form (../shared/DOMAIN.md §4): Yes/No, or a phrase:
    `Alpha Omega Alpha (Member of AOA)` is a member, `No Alpha Omega Alpha (AOA) chapter at my school`
    says there is no chapter (not a No), `… elections held during senior year` is pending. Any
    other value is kept as text (``known`` False) for the report, never an error."""
    if isinstance(value, bool):
        return Honor(value, None, True)
    text = CONTROL_CHARACTERS.sub(" ", cell_text(value)).strip()[:_MAX_TEXT]
    key = _value_key(text)
    if key in _NO_VALUE:
        return Honor(None, None, True)
    if key in _YES:
        return Honor(True, None, True)
    if key in _NO:
        return Honor(False, None, True)
    low = text.lower()
    name = _HONOR_NAMES.get(society, society)
    negated = re.search(r"\b(no|not|non)\b", low) is not None
    if "chapter" in low and negated:
        return Honor(None, f"no {name} chapter at their school", True)
    if "election" in low:
        return Honor(None, f"{name} elections in senior year", True)
    if "member" in low:
        return Honor(not negated, None, True)
    first = _value_key(re.split(r"[\s,;:(\-]+", low, maxsplit=1)[0])
    if first in ("yes", "no"):
        return Honor(first == "yes", None, True)
    return Honor(None, f"{name}: {text}", False, text)


def _parse_applicant_name(value: object) -> tuple[ExportedName, str] | None:
    text = _parse_text(value, literal=True)
    if text is None:
        return None
    name = split_applicant_name(text)
    if name is None:
        raise CellError(f"expected LAST, FIRST (MIDDLE), got {show(text)}")
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
            raise CellError(f"expected a date like 05/15/2020, got {show(cell_text(value))}")
        parsed = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        text = cell_text(value)
        if _value_key(text) in _NO_VALUE:
            return None
        parsed_text = _parse_date_text(text)
        if parsed_text is None:
            raise CellError(f"expected a date like 05/15/2020, got {show(text)}")
        parsed = parsed_text
    if not 1940 <= parsed.year <= 2100:
        raise CellError(f"date {parsed.isoformat()} is out of range")
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
        raise CellError(f"expected {what}, got {show(cell_text(value))}")
    text = cell_text(value)
    if _value_key(text) in _NO_VALUE:
        return None
    match = re.fullmatch(r"([0-9]{1,4})(?:\.0*)?", text.replace(",", ""))
    if not match or not low <= int(match.group(1)) <= high:
        raise CellError(f"expected {what} ({low}-{high}), got {show(text)}")
    return int(match.group(1))


_PASS = {"pass", "p", "passed"}
_FAIL = {"fail", "f", "failed"}
_NOT_TAKEN = {"nottaken", "pending", "scheduled", "notyettaken", "notapplicable", "notreported"}


def _parse_exam(value: object, exam: str) -> ExamResult | None:
    text = cell_text(value)
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
            raise CellError(f"expected Pass, Fail or a score (1-{top}), got {show(text)}")
    attempts = len(tokens) if len(tokens) > 1 else None
    return ExamResult(score=score, passed=passed, attempts=attempts, failures=failures)


class AamcResult(NamedTuple):
    aamc_id: str
    padded: bool


def _parse_aamc(value: object) -> AamcResult:
    if isinstance(value, str) and len(value) == 8 and value.isascii() and value.isdigit():
        return AamcResult(value, False)  # the usual cell: 8 digits as text
    if isinstance(value, bool):
        raise CellError(f"AAMC ID must be 8 digits, got {show(cell_text(value))}")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"AAMC ID must be 8 digits, got {show(cell_text(value))}")
        digits = str(int(value))
    elif isinstance(value, int):
        digits = str(value)
    else:
        text = cell_text(value).replace(" ", "")
        if not text:
            raise CellError("AAMC ID is empty")
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
        raise CellError(f"AAMC ID must be 8 digits, got {show(cell_text(value))}")
    if len(digits) < 8:  # Excel drops leading zeros from numbers
        return AamcResult(digits.zfill(8), True)
    return AamcResult(digits, False)


def show(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _parse_bool_or_date(value: object) -> bool | None:
    if isinstance(value, date):
        return True
    try:
        return _parse_bool(value)
    except CellError:
        if _parse_date_text(cell_text(value)) is not None:
            return True
        raise


#: How each kind of column is read: the column's target (a society, an exam) → the cell parser.
_PARSERS: dict[ColumnKind, Callable[[str], Callable[[object], object]]] = {
    ColumnKind.AAMC: lambda target: _parse_aamc,
    ColumnKind.TEXT: lambda target: _parse_text,
    ColumnKind.LIST: lambda target: _parse_list_item,
    ColumnKind.APPLICANT_NAME: lambda target: _parse_applicant_name,
    ColumnKind.RED_FLAG: lambda target: _parse_red_flag,
    ColumnKind.HONOR: lambda target: partial(_parse_honor, society=target),
    ColumnKind.NAME: lambda target: partial(_parse_text, literal=True),
    ColumnKind.BOOL: lambda target: _parse_bool,
    ColumnKind.FLAG: lambda target: _parse_bool,
    ColumnKind.BOOL_OR_DATE: lambda target: _parse_bool_or_date,
    ColumnKind.DATE_LIST: lambda target: _parse_date,
    ColumnKind.MONTHS: lambda target: partial(_whole_number, low=0, high=600, what="a number of months"),
    ColumnKind.STATE: lambda target: lambda cell: normalize_state(_parse_text(cell)),
    ColumnKind.EXAM: lambda target: partial(_parse_exam, exam=target),
    ColumnKind.EXAM_ATTEMPTS: lambda target: partial(_whole_number, low=0, high=20, what="a number of attempts"),
    ColumnKind.EXAM_FAILURES: lambda target: partial(_whole_number, low=0, high=20, what="a number of failures"),
}
assert set(_PARSERS) == set(ColumnKind), "every column kind needs a cell parser"

_MISSING = object()


class ColumnReader:
    """Reads one column of the file, remembering what each distinct cell parsed to.

    An export repeats most of its cells (Yes/No, schools, states, dates, scores), so each distinct
    cell is parsed once per file. ``True``, ``1`` and ``1.0`` are equal in Python but read
    differently (Yes, 1, 1), so cells that are not text are remembered with their type.
    """

    __slots__ = ("column", "header", "index", "kind", "parse", "seen", "target")

    def __init__(self, index: int, column: Column, header: str) -> None:
        self.index, self.column, self.header = index, column, header
        self.kind, self.target = column.kind, column.target
        self.parse = _PARSERS[column.kind](column.target)
        self.seen: dict[object, object] = {}

    def read(self, cell: object) -> object:
        """The parsed value, or the ``CellError`` describing why the cell is bad."""
        key = cell if cell.__class__ is str else (cell.__class__, cell)
        value = self.seen.get(key, _MISSING)
        if value is _MISSING:
            try:
                value = self.parse(cell)
            except CellError as error:
                value = error
            self.seen[key] = value
        return value
