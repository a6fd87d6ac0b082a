"""Streaming parser for YouTube CMS video reports; pure Python, no database access.

    with ReportReader(upload, name="report.csv.gz") as report:   # ReportFileError if unreadable
        for item in report:                                        # ReportRow or RowError
            ...
        # report.bytes_read / compressed size -> progress

Modules: streams (plain/gzip/zip, byte counting, bomb limits), records (CSV records with line
numbers, bad bytes and oversized records contained), columns (header spellings), values (cell
converters), reader (ReportReader), failed_rows (the failed-rows CSV), formulas (CSV injection).
"""

from .base import ReportFileError, ReportLimits, RowError
from .failed_rows import write_failed_rows
from .formulas import SpreadsheetCsvWriter, escape_formula, unescape_formula
from .reader import ReportReader, ReportRow

__all__ = [
    "ReportFileError",
    "ReportLimits",
    "ReportReader",
    "ReportRow",
    "RowError",
    "SpreadsheetCsvWriter",
    "escape_formula",
    "unescape_formula",
    "write_failed_rows",
]
