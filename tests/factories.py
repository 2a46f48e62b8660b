"""Synthetic ERAS export rows, CSV and XLSX files for tests. Every name is generated: never a real person.

    row = applicant_row(3, visa_needed="Yes", expected_visa="J-1")    # row number 3 of a synthetic class
    rows = applicant_rows(600)                                        # a realistic mix, deterministic
    data = eras_csv(rows)                                             # bytes, BOM + CRLF like Excel
    path = write_export(tmp_path / "export.xlsx", rows, "xlsx")

A row is a dict from header to cell text. Keyword overrides take short names (see `SHORT`) or any
header spelt exactly (`**{"Count of Posters": "3"}`); `None` removes the column from the row.
`tracks` takes a list and becomes the repeated `Tracks Applied by Applicant` columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

TRACKS = "Tracks Applied by Applicant"

#: Short keyword → ERAS header.
SHORT: dict[str, str] = {
    "aamc_id": "AAMC ID",
    "first_name": "First Name",
    "last_name": "Last Name",
    "middle_name": "Middle Name",
    "email": "Preferred Email",
    "school": "Medical School of Graduation",
    "country": "Medical School Country",
    "school_state": "Medical School State/Province",
    "school_type": "Medical School Type",
    "grad_date": "Medical School Graduation Date",
    "degree": "Degree",
    "step1": "USMLE Step 1 Score",
    "step1_attempts": "USMLE Step 1 Attempts",
    "step2ck": "USMLE Step 2 CK Score",
    "step2ck_attempts": "USMLE Step 2 CK Attempts",
    "step3": "USMLE Step 3 Score",
    "comlex1": "COMLEX-USA Level 1 Score",
    "comlex2ce": "COMLEX-USA Level 2 CE Score",
    "ecfmg": "ECFMG Certified",
    "citizenship": "Citizenship",
    "visa_needed": "Visa Sponsorship Needed",
    "current_visa": "Current Visa Status",
    "expected_visa": "Expected Visa Status",
    "us_or_canadian": "US or Canadian Applicant",
    "interrupted": "Medical Education or Training Interrupted",
    "misdemeanor": "Misdemeanor Conviction",
    "felony": "Felony Conviction",
    "malpractice": "Malpractice Cases Pending",
    "licensure": "Medical Licensure Problem",
    "aoa": "Alpha Omega Alpha (Yes/No)",
    "ghhs": "Gold Humanism Honor Society (Yes/No)",
    "permanent_state": "Permanent State",
    "contact_state": "Contact State",
    "usce_months": "US Clinical Experience (months)",
    "recent_months": "Recent Clinical Experience (months)",
    "professionalism": "Professionalism Concern",
    "home_student": "Home Student",
    "rotated_here": "Rotated Here",
    "interviewed": "Interviewed",
    "prior_contact": "Prior Contact",
    "prelim_here": "Prelim Here",
    "strong_letters": "Strong Letters",
}

FIRST_NAMES = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kai", "Logan",
               "Morgan", "Noel", "Parker", "Quinn", "Reese", "Rowan", "Sage", "Skyler", "Tatum", "Wren")
_LAST_HEADS = ("Al", "Bren", "Cor", "Dal", "Ev", "Fen", "Gar", "Hal", "Isen", "Jor", "Kel", "Lor", "Mar", "Nor",
               "Or", "Pell", "Quil", "Ros", "Sten", "Tam", "Ul", "Vard", "Wil", "Yar", "Zel")
_LAST_TAILS = ("dane", "ford", "mere", "ton", "wick", "ley", "by", "cott", "ham", "well", "stead", "brook")
FICTIONAL_SCHOOLS = ("Example State University College of Medicine", "Sample College of Osteopathic Medicine",
                     "Fictional Institute of Medical Sciences", "Placeholder University School of Medicine")
STATES = ("OH", "PA", "MI", "IN", "KY", "NY", "NJ", "IL", "TX", "CA")


def synthetic_name(index: int) -> tuple[str, str]:
    """(first, last) for an index; the pair repeats only after 6,000 indexes."""
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last_index = index // len(FIRST_NAMES)
    head = _LAST_HEADS[last_index % len(_LAST_HEADS)]
    tail = _LAST_TAILS[(last_index // len(_LAST_HEADS)) % len(_LAST_TAILS)]
    return first, head + tail


def aamc_id(index: int) -> str:
    return f"{20000000 + index:08d}"


def applicant_row(index: int = 0, **overrides: Any) -> dict[str, Any]:
    """A clean US MD applicant (graduated 2025, no visa, Step 1 Pass, Step 2 CK 240) with overrides."""
    first, last = synthetic_name(index)
    row: dict[str, Any] = {
        "AAMC ID": aamc_id(index),
        "First Name": first,
        "Last Name": last,
        "Preferred Email": f"{first.lower()}.{last.lower()}@example.org",
        "Medical School of Graduation": FICTIONAL_SCHOOLS[0],
        "Medical School Country": "United States",
        "Medical School State/Province": "OH",
        "Medical School Type": "U.S. Public School",
        "Medical School Graduation Date": "05/15/2025",
        "Degree": "MD",
        "USMLE Step 1 Score": "Pass",
        "USMLE Step 2 CK Score": "240",
        "Citizenship": "U.S. Citizen",
        "Visa Sponsorship Needed": "No",
        "US or Canadian Applicant": "Yes",
        "Felony Conviction": "No",
        "Misdemeanor Conviction": "No",
        "Permanent State": "OH",
        "Contact State": "OH",
        TRACKS: ["Categorical"],
        "US Clinical Experience (months)": "12",
        "Recent Clinical Experience (months)": "12",
    }
    for key, value in overrides.items():
        header = TRACKS if key == "tracks" else SHORT.get(key, key)
        if value is None:
            row.pop(header, None)
        else:
            row[header] = value
    return row


def img_row(index: int, visa: str | None = "J-1", **overrides: Any) -> dict[str, Any]:
    """A non-US IMG (international school); `visa` None means no visa needed."""
    base: dict[str, Any] = {
        "school": FICTIONAL_SCHOOLS[2], "country": "India", "school_state": None,
        "school_type": "International School", "degree": "MBBS", "citizenship": "India",
        "us_or_canadian": "No", "grad_date": "07/31/2022", "ecfmg": "Yes",
        "visa_needed": "Yes" if visa else "No", "expected_visa": visa, "permanent_state": "NJ",
        "contact_state": "NJ", "usce_months": "6", "recent_months": "8",
    }
    return applicant_row(index, **{**base, **overrides})


def applicant_rows(count: int, start: int = 0) -> list[dict[str, Any]]:
    """A deterministic, realistic mix: US MDs, DOs, IMGs needing J-1 or H-1B, some failures, old grads."""
    rows: list[dict[str, Any]] = []
    for index in range(start, start + count):
        kind = index % 10
        if kind in (0, 1, 2, 3):
            row = applicant_row(index, school_state=STATES[index % len(STATES)],
                                permanent_state=STATES[(index // 3) % len(STATES)])
        elif kind == 4:
            row = applicant_row(index, school=FICTIONAL_SCHOOLS[1], school_type="Osteopathic School", degree="DO",
                                step1=None, step2ck=None, comlex1="Pass", comlex2ce="560")
        elif kind in (5, 6):
            row = img_row(index, "J-1")
        elif kind == 7:
            row = img_row(index, "H-1B")
        elif kind == 8:
            row = applicant_row(index, step1="Fail, Pass", step2ck="221", grad_date="05/20/2018",
                                recent_months="0")
        else:
            row = img_row(index, None, citizenship="U.S. Citizen", grad_date="06/30/2023", tracks=["Preliminary"])
        rows.append(row)
    return rows


def _headers(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], int]:
    headers: list[str] = []
    tracks = 0
    for row in rows:
        for key, value in row.items():
            if key == TRACKS:
                tracks = max(tracks, len(value) if isinstance(value, list | tuple) else 1)
            elif key not in headers:
                headers.append(key)
    return headers, tracks


def table(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """Header line then one line per row (repeated tracks columns after the others)."""
    headers, tracks = _headers(rows)
    lines = [headers + [TRACKS] * tracks]
    for row in rows:
        cells = [str(row.get(h, "")) if row.get(h) is not None else "" for h in headers]
        value = row.get(TRACKS) or []
        listed = list(value) if isinstance(value, list | tuple) else [value]
        lines.append(cells + [str(t) for t in listed] + [""] * (tracks - len(listed)))
    return lines


def eras_csv(rows: Sequence[Mapping[str, Any]], *, bom: bool = True, crlf: bool = True) -> bytes:
    """The rows as an ERAS-like CSV (Excel style: UTF-8 BOM and CRLF by default)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows(table(rows))
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode()


def eras_xlsx(rows: Sequence[Mapping[str, Any]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in table(rows):
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_export(path: str | Path, rows: Iterable[Mapping[str, Any]], fmt: Literal["csv", "xlsx"] | None = None
                 ) -> Path:
    """Write the rows to `path` as CSV or XLSX (from `fmt`, else the path's extension)."""
    path = Path(path)
    kind = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    rows = list(rows)
    path.write_bytes(eras_xlsx(rows) if kind == "xlsx" else eras_csv(rows))
    return path
