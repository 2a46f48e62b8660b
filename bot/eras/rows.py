"""One row of an ERAS export → an ``ApplicantProfile``, the connection flags the file set, and every
problem of the row (the column as the file names it, and why)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pydantic import ValidationError

from bot.domain.candidates import ApplicantProfile, ExamResult
from bot.domain.import_result import RowError
from bot.domain.names import ExportedName, fold_name, natural_case
from bot.eras.cells import SCREENED, AamcResult, CellError, ColumnReader, Honor, show
from bot.eras.columns import COLUMNS, EXAM_KINDS, MANY_KINDS, ColumnKind


class Shape(NamedTuple):
    """What the header holds that changes how each row is read."""

    split_names: bool
    """`First Name`/`Last Name` columns (they win over `Applicant Name`)."""
    soap_tracks: bool
    """`SOAP Track applied by Applicant` columns (they are the tracks that count)."""


class RowResult(NamedTuple):
    aamc: AamcResult | None
    profile: ApplicantProfile | None
    flags: dict[str, bool]
    errors: list[RowError]
    honor_phrases: list[str]
    soap_fallback: bool


_FIELD_HEADER = {column.target: column.header for column in reversed(COLUMNS.values())
                 if column.kind is not ColumnKind.FLAG}
_FIELD_HEADER.update(medical_school="Medical School of Graduation", degree="Medical Degree",
                     graduation_date="Medical School Degree Date of Graduation", tracks="Tracks Applied by Applicant")


def read_row(number: int, row: Sequence[object], readers: list[ColumnReader], shape: Shape) -> RowResult:
    values: dict[str, Any] = {}
    exams: dict[str, dict[str, Any]] = {}
    many: dict[str, list[Any]] = {}
    honors: dict[str, list[Honor]] = {}
    screened: list[str] = []
    exported: tuple[ExportedName, str] | None = None
    flags: dict[str, bool] = {}
    errors: list[RowError] = []
    aamc: AamcResult | None = None
    failed: set[ColumnKind] = set()  # kinds of the cells that had errors
    width = len(row)
    for reader in readers:
        kind, target = reader.kind, reader.target
        if kind is ColumnKind.AAMC:
            if aamc is not None:
                continue
        elif kind not in EXAM_KINDS and kind not in MANY_KINDS and kind is not ColumnKind.FLAG and (
                values.get(target) is not None or (kind is ColumnKind.APPLICANT_NAME and exported is not None)):
            continue  # an earlier column already filled this field
        value = reader.read(row[reader.index] if reader.index < width else None)
        if value.__class__ is CellError:
            errors.append(RowError(number, reader.header, str(value)))  # the cell as the file names it
            failed.add(kind)
        elif kind is ColumnKind.AAMC:
            aamc = value  # type: ignore[assignment]
        elif kind is ColumnKind.LIST or kind is ColumnKind.DATE_LIST:
            if value is not None:
                listed = many.setdefault(target, [])
                if value not in listed:
                    listed.append(value)
        elif kind is ColumnKind.HONOR:
            honors.setdefault(target, []).append(value)  # type: ignore[arg-type]
        elif kind is ColumnKind.RED_FLAG:
            if value is SCREENED:
                if target not in screened:
                    screened.append(target)
            else:
                values[target] = value
        elif kind is ColumnKind.APPLICANT_NAME:
            exported = value  # type: ignore[assignment]
        elif kind is ColumnKind.FLAG:
            if value is not None and target not in flags:
                flags[target] = value  # type: ignore[assignment]
        elif kind in EXAM_KINDS:
            _merge_exam(kind, value, exams.setdefault(target, {"score": None, "passed": None, "attempts": None,
                                                               "failures": 0}))
        else:
            values[target] = value
    if not failed & {ColumnKind.NAME, ColumnKind.APPLICANT_NAME}:
        _names(number, values, exported, shape, errors)
    if aamc is None and ColumnKind.AAMC not in failed:
        errors.append(RowError(number, "AAMC ID", "AAMC ID is empty"))
    phrases = [f"{_FIELD_HEADER[t]}: {show(h.text)}" for t, found in honors.items() for h in found if not h.known]
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
    return RowResult(aamc, profile, flags, errors, phrases, soap_fallback)


def _names(number: int, values: dict[str, Any], exported: tuple[ExportedName, str] | None, shape: Shape,
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


def _honor_value(found: Sequence[Honor]) -> bool | None:
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


def _merge_exam(kind: ColumnKind, value: object, parts: dict[str, Any]) -> None:
    """Fold one exam cell (a result, a number of attempts or of failures) into the exam's parts."""
    if value is None:
        return
    if kind is ColumnKind.EXAM:
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
        name = "attempts" if kind is ColumnKind.EXAM_ATTEMPTS else "failures"
        parts[name] = max(parts[name] or 0, value)
