"""The failed-rows CSV: what a user downloads to see, fix and re-upload the rows that failed."""

from collections.abc import Iterable
from typing import TextIO

from .base import RowError, printable
from .columns import FAILED_ROWS_ERROR_COLUMN
from .formulas import SpreadsheetCsvWriter


def write_failed_rows(errors: Iterable[RowError], header: list[str], out: TextIO) -> int:
    """Write the header and each failed row's original cells, with an error column; return the row count.

    The error column ("line N: reason") comes first, so a row with too few or too many cells
    still lines up under the header. Every cell is escaped against formula injection
    (formulas.py). The file can be fixed and uploaded again: ReportReader recognises the leading error column,
    ignores it and strips the escaping quotes. For Excel, open `out` with encoding="utf-8-sig".
    """
    writer = SpreadsheetCsvWriter(out)
    writer.writerow([FAILED_ROWS_ERROR_COLUMN, *header])
    count = 0
    for error in errors:
        message = f"line {error.line_number}: {error.reason}"
        writer.writerow([printable(message), *(printable(c) for c in error.raw)])
        count += 1
    return count
