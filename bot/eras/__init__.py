"""Reading ERAS (PDWS) applicant exports and the spreadsheets coordinators share.

Pure: no database, no Slack. Inside, one way: ``export`` (the whole file → ``ImportReport``) reads
the header against ``columns`` (and a program's ``mapping``), each row with ``rows``, each cell with
``cells``; ``files`` turns a CSV or .xlsx into rows of cells (the pre-SOAP plan reads its rows there too).
"""

from bot.eras.columns import CANONICAL_HEADERS, ColumnKind, canonical_header
from bot.eras.export import ImportedRow, ImportReport, read_export
from bot.eras.files import ExportFileError, Spreadsheet, SpreadsheetSource, open_spreadsheet
from bot.eras.mapping import ColumnsMappingError, parse_columns_mapping, read_columns_mapping

__all__ = [
    "CANONICAL_HEADERS",
    "ColumnKind",
    "ColumnsMappingError",
    "ExportFileError",
    "ImportReport",
    "ImportedRow",
    "Spreadsheet",
    "SpreadsheetSource",
    "canonical_header",
    "open_spreadsheet",
    "parse_columns_mapping",
    "read_columns_mapping",
    "read_export",
]
