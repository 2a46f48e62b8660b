"""Hostile and malformed ERAS exports: fuzzed rows, formulas, encodings, sizes, zip bombs.

Reading is pure (bot.eras.read_export); one case goes through Slack to show what the
coordinator sees. The 100k-row case only parses (bounded time), as the suite must stay fast.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console.signing import SlackClientSim
from bot.eras import ExportFileError, read_export
from bot.services.records import export_archive
from bot.spreadsheet import FORMULA_STARTS, csv_bytes
from tests.adversarial.conftest import AdversarialServed, import_rows, program_id, snapshot
from tests.e2e.conftest import MEMBERS, WAR_ROOM
from tests.factories import applicant_row, applicant_rows, eras_csv, eras_xlsx, table
from tests.harness.slack_api import SlackStandIn

FORMULA = '=HYPERLINK("http://evil.example","click me")'
HEADERS = list(applicant_row(0))
cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=len(HEADERS) + 3), max_size=8),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
def test_fuzzed_rows_are_read_or_reported_never_crash(rows: list[list[str]], encoding: str) -> None:
    """Defence: read_export validates every cell (RowError) and raises only ExportFileError."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding, errors="replace")
    try:
        report = read_export(data, "fuzz.csv")
    except ExportFileError as error:
        message = str(error)
        assert message.startswith("fuzz.csv:"), message
        return
    assert len(report.rows) + len({e.row_number for e in report.errors}) <= report.data_rows
    for row in report.rows:
        assert row.profile.aamc_id.isdigit() and len(row.profile.aamc_id) == 8


def test_formula_cells_are_kept_as_inert_text_and_neutralised_on_export(served: AdversarialServed,
                                                                        war_room: str) -> None:
    """Defence: the import stores text as text (never evaluates), and bot.spreadsheet.safe_cell
    prefixes every exported cell that starts with = + - @ (or a tab/CR) with an apostrophe."""
    rows = [applicant_row(1, first_name=FORMULA, last_name="+cmd|'/C calc'!A0", school="@SUM(1+1)*cmd"),
            applicant_row(2, last_name="-2+3", middle_name="\t=1+1")]
    import_rows(served.room.database, rows)
    archive = zipfile.ZipFile(io.BytesIO(export_archive(served.room.database, program_id(served.room.database))))
    applicants = archive.read("applicants.csv").decode("utf-8-sig")
    assert FORMULA.replace('"', '""') in applicants  # the text is kept, visibly…
    for name in archive.namelist():
        for record in csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))):
            for cell in record:
                assert not cell.startswith(FORMULA_STARTS), (name, cell)  # …but never as a formula


def test_safe_cell_covers_every_formula_start() -> None:
    """Defence: bot.spreadsheet.csv_bytes (OWASP CSV injection advice)."""
    data = csv_bytes(["=h"], [[start + "1+1" for start in FORMULA_STARTS] + ["ok", 5, None]]).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(data)))
    assert header == ["'=h"]
    assert all(cell.startswith("'") for cell in row[:len(FORMULA_STARTS)])
    assert row[len(FORMULA_STARTS):] == ["ok", "5", ""]


def test_encodings_and_a_byte_order_mark_read_the_same_names() -> None:
    """Defence: bot.eras.files.decode (UTF-8 with or without BOM, UTF-16 with BOM, else cp1252 with a note)."""
    rows = [applicant_row(1, first_name="Zoë", last_name="Núñez-Ærø")]
    text = "\r\n".join(",".join(r) for r in table(rows)) + "\r\n"
    variants = {"utf-8": text.encode("utf-8"), "bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
                "utf-16": text.encode("utf-16"), "cp1252": text.encode("cp1252"), "latin-1": text.encode("latin-1")}
    for label, data in variants.items():
        report = read_export(data, f"{label}.csv")
        assert report.ok, (label, report.errors[:2])
        [row] = report.rows
        assert (row.profile.first_name, row.profile.last_name) == ("Zoë", "Núñez-Ærø"), label
        if label in ("cp1252", "latin-1"):
            assert any("Windows-1252" in note for note in report.notes)


@pytest.mark.timing
def test_a_hundred_thousand_rows_parse_in_bounded_time() -> None:
    """Defence: read_export streams rows (no quadratic step); 100k rows parse in well under a minute."""
    data = eras_csv(applicant_rows(100_000))
    started = time.monotonic()
    report = read_export(data, "huge.csv")
    elapsed = time.monotonic() - started
    assert report.data_rows == 100_000
    assert len(report.rows) + len({e.row_number for e in report.errors}) == 100_000
    assert elapsed < 60, f"{elapsed:.1f}s"


def _bomb(rows: int) -> bytes:
    """A real .xlsx whose sheet unpacks to many megabytes of rows from a small zip."""
    src = zipfile.ZipFile(io.BytesIO(eras_xlsx(applicant_rows(2))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                head, _, tail = data.decode().partition("</sheetData>")
                head = re.sub(r"<dimension[^>]*/>", "", head)  # openpyxl would trust it and stop early
                with archive.open(info.filename, "w", force_zip64=True) as sheet:
                    sheet.write(head.encode())
                    chunk = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>x</t></is></c></row>'
                                    for i in range(10, 10_010)).encode()
                    for _ in range(rows // 10_000):
                        sheet.write(chunk)
                    sheet.write(("</sheetData>" + tail).encode())
            else:
                archive.writestr(info, data)
    return out.getvalue()


@pytest.mark.timing
def test_an_xlsx_zip_bomb_is_refused_quickly() -> None:
    """Defence: bot.eras.files refuses an .xlsx that unpacks to more than MAX_XLSX_UNPACKED before opening it."""
    bomb = _bomb(2_000_000)
    assert len(bomb) < 20 * 1024 * 1024  # it passes the download size limit
    started = time.monotonic()
    with pytest.raises(ExportFileError, match=r"soap\.xlsx: .*MB"):
        read_export(bomb, "soap.xlsx")
    assert time.monotonic() - started < 5


def test_a_file_that_is_not_a_zip_named_xlsx_gets_a_clear_error(served: AdversarialServed, slack: SlackClientSim,
                                                                standin: SlackStandIn, war_room: str) -> None:
    """Defence: bot.eras.files wraps openpyxl's failures in ExportFileError; the import answers in the
    thread and stores nothing."""
    for data in (b"AAMC ID,First Name\r\n1,2\r\n", b"PK\x03\x04" + b"\x00" * 100, b"\x00" * 10, b""):
        with pytest.raises(ExportFileError, match=r"fake\.xlsx"):
            read_export(data, "fake.xlsx")
    before = snapshot(served.room.database)
    file = standin.share_file("applicants.xlsx", b"this is not a workbook, only text", MEMBERS[0])
    share = slack.message_event(WAR_ROOM, MEMBERS[0], "import")
    share.update({"subtype": "file_share", "files": [file]})
    slack.event(share)
    served.idle()
    [reply] = [c.params["text"] for c in standin.calls if c.method in ("chat.postMessage", "chat.postEphemeral")]
    assert "applicants.xlsx" in reply
    assert "Excel" in reply or "xlsx" in reply
    assert "Traceback" not in reply
    assert snapshot(served.room.database) == before
