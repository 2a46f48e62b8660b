"""Reading a spreadsheet file (CSV in any encoding Excel saves, or Excel .xlsx) into rows of cells,
for the ERAS export and the pre-SOAP plan alike. Whatever cannot be read at all is an
``ExportFileError`` naming the file and what to do."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

#: A path, the file's bytes, or a binary file object.
SpreadsheetSource = str | Path | bytes | BinaryIO


class ExportFileError(ValueError):
    """The file cannot be read at all (not a CSV/.xlsx, corrupt, empty)."""


@dataclasses.dataclass(slots=True)
class Spreadsheet:
    """A file's bytes and name, before its rows are read."""

    name: str
    """The name messages use: the file name given, else the path's or the file object's."""
    data: bytes

    def rows(self, notes: list[str]) -> Iterator[Sequence[object]]:
        """The rows of the first (active) sheet, each a sequence of cells, header included.

        Raises ``ExportFileError`` when the file is empty or is not a spreadsheet; notes what the
        reader should know (an encoding guessed, other sheets ignored) in ``notes``."""
        if not self.data.strip(b"\xef\xbb\xbf\r\n\t ,;"):
            raise ExportFileError(f"{self.name}: the file is empty")
        return _rows_of(self.data, self.name, notes)


def open_spreadsheet(source: SpreadsheetSource, filename: str | None = None) -> Spreadsheet:
    """The file's bytes; ``filename`` decides the format by extension (.csv/.txt/.tsv, .xlsx/.xlsm;
    otherwise sniffed) and appears in messages. Raises ``ExportFileError`` if a path cannot be read."""
    data, name = _load(source, filename)
    return Spreadsheet(name, data)


def decode(data: bytes) -> tuple[str, str | None]:
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
    text, note = decode(data)
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
