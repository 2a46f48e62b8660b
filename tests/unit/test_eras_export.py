from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.candidates import ExamResult
from bot.domain.import_result import RowError
from bot.domain.names import natural_case
from bot.eras import (
    CANONICAL_HEADERS,
    ColumnsMappingError,
    ExportFileError,
    canonical_header,
    parse_columns_mapping,
    read_columns_mapping,
    read_export,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def csv_bytes(rows: list[list[str]], *, bom: bool = False, crlf: bool = False, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Sequence[Sequence[object]], *, extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if extra_sheet:
        workbook.create_sheet("Notes").append(["not applicants"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


HEADER = ["AAMC ID", "First Name", "Last Name"]


# ---------------------------------------------------------------------------------------------------
# CSV basics


def test_reads_a_realistic_eras_csv_with_bom_and_crlf() -> None:
    rows = [
        [
            "AAMC ID",
            "First Name",
            "Last Name",
            "Medical School Type",
            "Medical School Graduation Date",
            "USMLE Step 1 Score",
            "USMLE Step 2 CK Score",
            "COMLEX-USA Level 2 CE Score",
            "Visa Sponsorship Needed",
            "Felony Conviction",
            "Alpha Omega Alpha (Yes/No)",
            "Permanent State",
            "Tracks Applied by Applicant",
            "Tracks Applied by Applicant",
        ],
        [
            "14000001",
            "Rowan",
            "Fictive",
            "U.S. Public School",
            "05/15/2023",
            "Pass",
            "245",
            "",
            "No",
            "No Response",
            "Yes",
            "Ohio",
            "Categorical",
            "Preliminary",
        ],
    ]
    report = read_export(csv_bytes(rows, bom=True, crlf=True), "export.csv")
    assert report.ok
    assert report.unknown_columns == []
    [(number, profile, flags)] = report.rows
    assert number == 2
    assert profile.aamc_id == "14000001"
    assert profile.first_name == "Rowan"
    assert profile.graduation_date == date(2023, 5, 15)
    assert profile.exams == {
        "USMLE Step 1": ExamResult(passed=True),
        "USMLE Step 2 CK": ExamResult(score=245),
    }
    assert profile.visa_needed is False
    assert profile.felony is None
    assert profile.aoa is True
    assert profile.permanent_state == "OH"
    assert profile.tracks == ["Categorical", "Preliminary"]
    assert flags == {}


@pytest.mark.parametrize(
    "variant",
    ["aamc id", "AAMC_ID", " AAMC-ID ", "AamcId"],
)
def test_headers_match_ignoring_case_spacing_and_punctuation(variant: str) -> None:
    report = read_export(csv_bytes([[variant, "first name", "LAST_NAME"], ["14000002", "Ida", "Nobody"]]), "x.csv")
    assert report.missing_required == []
    assert report.rows[0].profile.aamc_id == "14000002"


def test_header_aliases() -> None:
    assert canonical_header("Medical School State") == "Medical School State/Province"
    assert canonical_header("COMLEX Level 1 Score") == "COMLEX-USA Level 1 Score"
    assert canonical_header("Step 1 Attempts") == "USMLE Step 1 Attempts"
    assert canonical_header("alpha omega alpha") == "Alpha Omega Alpha"  # the phrase form, its own column
    assert canonical_header("AOA") == "Alpha Omega Alpha (Yes/No)"
    assert canonical_header("Medical Degree Expected or Earned") == "Medical Degree"
    assert canonical_header("Degree") == "Medical Degree"
    assert canonical_header("Favourite colour") is None


def test_missing_required_columns_are_named_and_no_rows_are_read() -> None:
    report = read_export(csv_bytes([["AAMC ID", "Last Name"], ["14000003", "Nobody"]]), "x.csv")
    assert report.missing_required == ["First Name"]
    assert report.rows == []
    assert report.data_rows == 1
    assert not report.ok


def test_unknown_columns_listed_once_and_protected_columns_ignored() -> None:
    rows = [
        [*HEADER, "Favourite Colour", "favourite colour", "Gender", "Date of Birth", "Count of Poster Presentation"],
        ["14000004", "Ana", "Nobody", "blue", "green", "X", "01/01/1999", "3"],
    ]
    report = read_export(csv_bytes(rows), "x.csv")
    assert report.unknown_columns == ["Favourite Colour"]
    assert report.ignored_columns == ["Gender", "Date of Birth", "Count of Poster Presentation"]
    assert report.ok


def test_semicolon_and_tab_separated_files() -> None:
    for sep in (";", "\t"):
        data = f"AAMC ID{sep}First Name{sep}Last Name\n14000005{sep}Lee{sep}Nobody\n".encode()
        report = read_export(data, "x.csv")
        assert report.rows[0].profile.last_name == "Nobody"


def test_cp1252_fallback_with_a_note() -> None:
    data = csv_bytes([HEADER, ["14000006", "José", "Muñoz"]], encoding="cp1252")
    report = read_export(data, "x.csv")
    assert report.rows[0].profile.first_name == "José"
    assert any("Windows-1252" in note for note in report.notes)


def test_utf8_file_has_no_encoding_note() -> None:
    report = read_export(csv_bytes([HEADER, ["14000007", "José", "Muñoz"]], bom=True), "x.csv")
    assert report.rows[0].profile.last_name == "Muñoz"
    assert report.notes == []


def test_blank_rows_are_skipped_and_row_numbers_stay_as_the_spreadsheet_shows() -> None:
    rows = [HEADER, ["14000008", "A", "One"], ["", "", ""], ["14000009", "", "Two"]]
    report = read_export(csv_bytes(rows), "x.csv")
    assert [row.row_number for row in report.rows] == [2]
    assert report.errors == [RowError(4, "First Name", "First Name is empty")]
    assert report.data_rows == 2


def test_title_rows_above_the_header_are_skipped() -> None:
    rows = [["PDWS export, Internal Medicine"], [], HEADER, ["14000010", "Tia", "Nobody"]]
    report = read_export(csv_bytes(rows), "x.csv")
    assert report.header_row == 3
    assert report.rows[0].row_number == 4


# ---------------------------------------------------------------------------------------------------
# Errors: every bad row, with row number, column and reason


def test_every_bad_row_is_reported_with_column_and_reason() -> None:
    rows = [
        [*HEADER, "USMLE Step 2 CK Score", "Felony Conviction", "Medical School Graduation Date"],
        ["14000011", "Good", "Row", "240", "No", "05/01/2020"],
        ["1400001X", "Bad", "Id", "240", "No", "05/01/2020"],
        ["14000013", "Bad", "Score", "abc", "Maybe", "2020-13-45"],
        ["14000011", "Dup", "Row", "", "", ""],
        ["", "No", "Id", "", "", ""],
    ]
    report = read_export(csv_bytes(rows), "x.csv")
    assert [row.row_number for row in report.rows] == [2]
    assert [(e.row_number, e.column) for e in report.errors] == [
        (3, "AAMC ID"),
        (4, "USMLE Step 2 CK Score"),
        (4, "Felony Conviction"),
        (4, "Medical School Graduation Date"),
        (5, "AAMC ID"),
        (6, "AAMC ID"),
    ]
    reasons = [e.reason for e in report.errors]
    assert reasons[0] == "AAMC ID must be 8 digits, got '1400001X'"
    assert "expected Pass, Fail or a score" in reasons[1]
    assert reasons[2] == "expected Y, N, Yes, No, Screened or blank, got 'Maybe': it could hide a yes"
    assert "expected a date like 05/15/2020" in reasons[3]
    assert reasons[4] == "duplicate AAMC ID 14000011 (also on row 2)"
    assert reasons[5] == "AAMC ID is empty"
    assert report.bad_rows == [3, 4, 5, 6]
    assert str(report.errors[0]) == "row 3, AAMC ID: AAMC ID must be 8 digits, got '1400001X'"
    assert "1 of 5 applicant rows read, 4 row(s) with problems" in report.summary()[0]


# ---------------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize(
    ("cell", "expected", "padded"),
    [
        ("14000014", "14000014", False),
        ("14000014.0", "14000014", False),
        ("1.4000014E+07", "14000014", False),
        ("4000015", "04000015", True),
        (" 14000016 ", "14000016", False),
    ],
)
def test_aamc_id_forms(cell: str, expected: str, padded: bool) -> None:
    report = read_export(csv_bytes([HEADER, [cell, "A", "B"]]), "x.csv")
    assert report.rows[0].profile.aamc_id == expected
    assert any("leading zeros" in note for note in report.notes) == padded


@pytest.mark.parametrize("cell", ["123", "123456789", "12-345678", "abc", "１４０００００１"])
def test_bad_aamc_ids(cell: str) -> None:
    report = read_export(csv_bytes([HEADER, [cell, "A", "B"]]), "x.csv")
    assert report.rows == []
    assert report.errors[0].column == "AAMC ID"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("05/15/2020", date(2020, 5, 15)),
        ("5/1/2020", date(2020, 5, 1)),
        ("2020-05-15", date(2020, 5, 15)),
        ("2020-05-15T00:00:00", date(2020, 5, 15)),
        ("05/2020", date(2020, 5, 1)),
        ("2020", date(2020, 6, 1)),
        ("", None),
    ],
)
def test_graduation_dates(cell: str, expected: date | None) -> None:
    rows = [[*HEADER, "Medical School Graduation Date"], ["14000017", "A", "B", cell]]
    assert read_export(csv_bytes(rows), "x.csv").rows[0].profile.graduation_date == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Pass", ExamResult(passed=True)),
        ("P", ExamResult(passed=True)),
        ("Fail", ExamResult(passed=False, failures=1)),
        ("Fail, Pass", ExamResult(passed=True, attempts=2, failures=1)),
        ("245", ExamResult(score=245)),
        ("245.0", ExamResult(score=245)),
    ],
)
def test_exam_cells(cell: str, expected: ExamResult) -> None:
    rows = [[*HEADER, "USMLE Step 1 Score"], ["14000018", "A", "B", cell]]
    assert read_export(csv_bytes(rows), "x.csv").rows[0].profile.exams == {"USMLE Step 1": expected}


def test_exam_attempts_and_failures_columns() -> None:
    rows = [
        [*HEADER, "COMLEX-USA Level 2 CE Score", "COMLEX Level 2 CE Attempts", "USMLE Step 3 Failures"],
        ["14000019", "A", "B", "560", "2", "1"],
    ]
    exams = read_export(csv_bytes(rows), "x.csv").rows[0].profile.exams
    assert exams == {
        "COMLEX Level 2 CE": ExamResult(score=560, attempts=2),
        "USMLE Step 3": ExamResult(failures=1),
    }
    assert exams["COMLEX Level 2 CE"].failure_count == 0  # score only: pass/fail unknown


def test_a_score_above_the_exam_range_is_an_error() -> None:
    rows = [[*HEADER, "USMLE Step 2 CK Score"], ["14000020", "A", "B", "560"]]
    report = read_export(csv_bytes(rows), "x.csv")
    assert report.errors[0].reason == "expected Pass, Fail or a score (1-300), got '560'"


def test_template_extra_columns_and_connection_flags() -> None:
    rows = [
        [
            *HEADER,
            "US Clinical Experience (months)",
            "Recent Clinical Experience (months)",
            "Professionalism Concern",
            "Home Student",
            "Rotated Here",
            "Interviewed",
            "Prior Contact",
        ],
        ["14000021", "A", "B", "6", "12", "No", "No", "Yes", "", "No Response"],
    ]
    [(_, profile, flags)] = read_export(csv_bytes(rows), "x.csv").rows
    assert profile.us_clinical_months == 6
    assert profile.recent_clinical_months == 12
    assert profile.professionalism_concern is False
    assert flags == {"home_student": False, "rotated_here": True}


def test_formula_looking_text_is_kept_as_text() -> None:
    rows = [[*HEADER, "Medical School of Graduation"], ["14000022", "=cmd|' /C calc'!A0", "+Nobody", "@SUM(1)"]]
    profile = read_export(csv_bytes(rows), "x.csv").rows[0].profile
    assert profile.first_name == "=cmd|' /C calc'!A0"
    assert profile.last_name == "+Nobody"
    assert profile.medical_school == "@SUM(1)"


def test_names_are_literal_but_other_text_knows_no_response() -> None:
    rows = [[*HEADER, "Citizenship", "Middle Name"], ["14000032", "None", "Na", "No Response", "N/A"]]
    profile = read_export(csv_bytes(rows), "x.csv").rows[0].profile
    assert (profile.first_name, profile.last_name) == ("None", "Na")
    assert profile.citizenship is None
    assert profile.middle_name is None


def test_overlong_text_is_an_error() -> None:
    report = read_export(csv_bytes([HEADER, ["14000023", "A" * 400, "B"]]), "x.csv")
    assert report.errors[0].column == "First Name"
    assert "too long" in report.errors[0].reason


# ---------------------------------------------------------------------------------------------------
# Excel


def test_reads_xlsx_with_typed_cells() -> None:
    data = xlsx_bytes(
        [
            [*HEADER, "Medical School Graduation Date", "USMLE Step 2 CK Score", "Felony Conviction"],
            [14000024, "Xena", "Nobody", datetime(2021, 5, 30), 251, "No"],
            [4000025.0, "Yuri", "@Nobody", "06/01/2019", "Fail", "Yes"],
            [None, None, None, None, None, None],
            ["not an id", "Zed", "Nobody", None, None, None],
        ],
        extra_sheet=True,
    )
    report = read_export(data, "export.xlsx")
    first, second = report.rows
    assert first.profile.aamc_id == "14000024"
    assert first.profile.graduation_date == date(2021, 5, 30)
    assert first.profile.exams["USMLE Step 2 CK"].score == 251
    assert second.profile.aamc_id == "04000025"
    assert second.profile.last_name == "@Nobody"
    assert second.profile.felony is True
    assert report.errors == [RowError(5, "AAMC ID", "AAMC ID must be 8 digits, got 'not an id'")]
    assert any("other sheets were ignored" in note for note in report.notes)


def test_equal_cells_of_different_types_are_read_each_as_itself() -> None:
    """True, 1 and 1.0 are equal in Python; an Excel column that holds them reads Yes, 1 and 1."""
    data = xlsx_bytes(
        [
            [*HEADER, "Middle Name", "US Clinical Experience (months)", "Felony Conviction"],
            [14000031, "Ana", "One", True, 1, True],
            [14000032, "Ben", "Two", 1, 1.0, 1],
            [14000033, "Cy", "Three", 1.0, True, "No"],
        ]
    )
    report = read_export(data, "typed.xlsx")
    assert [(r.profile.middle_name, r.profile.us_clinical_months, r.profile.felony) for r in report.rows] == [
        ("Yes", 1, True),
        ("1", 1, True),
    ]
    assert report.errors == [RowError(4, "US Clinical Experience (months)", "expected a number of months, got 'Yes'")]


def test_xlsx_formula_cells_are_never_evaluated() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["14000026", "=1+1", "Nobody"])  # stored as a formula, no cached value
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = read_export(buffer.getvalue(), "export.xlsx")
    assert report.rows == []
    assert report.errors == [RowError(2, "First Name", "First Name is empty")]


def test_xlsx_text_cells_that_look_like_formulas_stay_text() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["14000030", "Una", "Nobody"])
    cell = sheet.cell(row=2, column=2)
    cell.value = '=HYPERLINK("http://example.invalid","x")'
    cell.data_type = "s"  # a text cell, as Excel stores a value typed with a leading apostrophe
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = read_export(buffer.getvalue(), "export.xlsx")
    assert report.rows[0].profile.first_name == '=HYPERLINK("http://example.invalid","x")'


def test_non_ascii_names_and_headers() -> None:
    rows = [[*HEADER, "名前", "備考"], ["14000031", "ª", "李", "x", "y"]]
    report = read_export(csv_bytes(rows), "x.csv")
    assert report.rows[0].profile.last_name == "李"
    assert report.rows[0].profile.first_name == "ª"
    assert report.unknown_columns == ["名前", "備考"]


def test_xlsx_sniffed_without_extension_and_bad_files_rejected(tmp_path: Path) -> None:
    data = xlsx_bytes([HEADER, ["14000027", "A", "B"]])
    assert read_export(data, "upload").rows[0].profile.aamc_id == "14000027"
    with pytest.raises(ExportFileError, match="could not open it as an Excel"):
        read_export(b"PK\x03\x04 not really a zip", "broken.xlsx")
    with pytest.raises(ExportFileError, match=r"\.xls files are not supported"):
        read_export(b"\xd0\xcf\x11\xe0", "old.xls")
    with pytest.raises(ExportFileError, match="empty"):
        read_export(b"\xef\xbb\xbf\r\n", "empty.csv")
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([HEADER, ["14000028", "A", "B"]]))
    assert read_export(path).filename == "export.csv"
    with pytest.raises(ExportFileError, match="could not read"):
        read_export(tmp_path / "missing.csv")


def test_a_pdf_or_a_document_is_named_as_not_a_spreadsheet() -> None:
    # Read as text, it would only say "required columns are missing" and blame the encoding.
    with pytest.raises(ExportFileError, match=r"applicants\.csv is not a spreadsheet \(a PDF"):
        read_export(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "applicants.csv")
    with pytest.raises(ExportFileError, match="not a spreadsheet"):
        read_export(b"AAMC ID,First Name,Last Name\n", "applicants.docx")


# ---------------------------------------------------------------------------------------------------
# Columns mapping


def test_columns_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "columns.csv"
    path.write_text(
        "their header,our header\n"
        "# our PDWS export names\n"
        "\n"
        "Applicant ID,AAMC ID\n"
        '"Given name, preferred",First Name\n'
        "Surname , last name\n",
        encoding="utf-8",
    )
    mapping = read_columns_mapping(path)
    assert mapping == {"Applicant ID": "AAMC ID", "Given name, preferred": "First Name", "Surname": "Last Name"}
    rows = [["Applicant ID", "Given name, preferred", "SURNAME"], ["14000029", "Uma", "Nobody"]]
    report = read_export(csv_bytes(rows), "x.csv", columns_mapping=mapping)
    assert report.ok
    assert report.rows[0].profile.first_name == "Uma"


def test_columns_mapping_errors_name_the_line() -> None:
    with pytest.raises(ColumnsMappingError, match=r"line 2: 'Frist Name' is not a column.*'First Name'"):
        parse_columns_mapping("Applicant ID,AAMC ID\nGiven,Frist Name\n")
    with pytest.raises(ColumnsMappingError, match="line 1: expected two headers"):
        parse_columns_mapping("just one column\n")
    with pytest.raises(ColumnsMappingError):
        read_export(csv_bytes([HEADER]), "x.csv", columns_mapping={"X": "Nonsense"})


# ---------------------------------------------------------------------------------------------------
# The documented template


def test_the_documented_template_imports_cleanly() -> None:
    report = read_export(DOCS / "import-template.csv")
    assert report.ok, report.errors
    assert report.unknown_columns == []
    assert len(report.rows) == 3


def test_every_canonical_header_is_documented() -> None:
    text = (DOCS / "import.md").read_text(encoding="utf-8")
    missing = [header for header in CANONICAL_HEADERS if f"`{header}`" not in text]
    assert missing == []


# ---------------------------------------------------------------------------------------------------
# Properties and scale

names = (
    st.text(
        alphabet=st.characters(categories=["L", "Zs"], exclude_characters="\x85\xa0\u2028\u2029"),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(10_000_000, 99_999_999), names, names, st.sampled_from(["Yes", "No", ""])),
        max_size=15,
        unique_by=lambda row: row[0],
    ),
    st.booleans(),
)
def test_any_valid_csv_round_trips(rows: list[tuple[int, str, str, str]], bom: bool) -> None:
    data = csv_bytes([[*HEADER, "Felony Conviction"], *[[str(a), f, last, fel] for a, f, last, fel in rows]], bom=bom)
    report = read_export(data, "x.csv")
    assert report.errors == []
    got = [(int(r.profile.aamc_id), r.profile.first_name, r.profile.last_name) for r in report.rows]
    # a name written all in capitals is shown in natural case, any other as written
    assert got == [(a, natural_case(f), natural_case(last, surname=True)) for a, f, last, _ in rows]
    assert [r.profile.felony for r in report.rows] == [{"Yes": True, "No": False, "": None}[x] for *_, x in rows]


def test_100k_rows_read_in_linear_time() -> None:
    header = [*HEADER, "USMLE Step 2 CK Score", "Felony Conviction", "Medical School Graduation Date"]

    def build(count: int) -> bytes:
        lines = [",".join(header)]
        lines += [f"{10_000_000 + i},First{i},Last{i},{200 + i % 80},No,05/15/2020" for i in range(count)]
        lines.append(f"{10_000_000},Dup,Licate,240,No,05/15/2020")
        return ("\n".join(lines) + "\n").encode()

    started = time.perf_counter()
    small = read_export(build(10_000), "small.csv")
    small_time = time.perf_counter() - started
    started = time.perf_counter()
    big = read_export(build(100_000), "big.csv")
    big_time = time.perf_counter() - started
    assert len(small.rows) == 10_000
    assert len(big.rows) == 100_000
    assert big.errors == [RowError(100_002, "AAMC ID", "duplicate AAMC ID 10000000 (also on row 2)")]
    assert big_time < 30 * max(small_time, 0.05), (small_time, big_time)  # ~10x, not ~100x
