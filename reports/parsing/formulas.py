"""Formula-injection escaping for CSV files people open in spreadsheets (OWASP "CSV Injection").

The one home of the rule; every CSV we export is written by `SpreadsheetCsvWriter`.

A cell starting with = + - @ (or tab or carriage return) can run as a formula in Excel, LibreOffice
or Google Sheets. So can a formula further in: a spreadsheet that splits lines on ";" (or tab)
reads `x;=HYPERLINK(…)` as two cells, the second a formula, and quoting does not stop it, since
our quotes stand after a comma, mid-cell for that reader. OWASP asks to take care of the field
separators too. So a cell with a formula at its start or after a separator (, ; tab or a line
break, spaces allowed between) is escaped: a single quote before the cell (shown as text) and
before each formula after a separator, and the cell is written quoted. A leading "-" is escaped
even before a plain number ("-5" is written '-5), as OWASP says: "-2+3+cmd|…" starts the same way.

Reading back strips exactly the quotes escaping added: a quote is also added before a quote
standing where a formula would be, so unescape_formula(escape_formula(x)) == x for every x.
"""

import re
from collections.abc import Callable, Iterable
from typing import TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = frozenset(FORMULA_TRIGGERS) | {"'"}
# A formula at the start of the cell or after a separator a spreadsheet may split on.
_FORMULA_INSIDE = re.compile(r"(?:\A|[,;\t\r\n]) *[=+\-@]")
# Where escaping adds a quote inside a cell: before a formula sign or a quote after a separator.
_INNER_ESCAPE = re.compile(r"(?<=[,;\t\r\n])( *)([=+\-@'])")
_INNER_UNESCAPE = re.compile(r"(?<=[,;\t\r\n])( *)'([=+\-@'])")
# What makes the csv module's QUOTE_MINIMAL quote a cell with the default dialect.
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def needs_formula_escape(cell: str) -> bool:
    """True when a spreadsheet could read a formula in `cell` (or it starts with our quote)."""
    return bool(cell) and (cell[0] in _ESCAPED_STARTS or _FORMULA_INSIDE.search(cell) is not None)


def escape_formula(cell: str) -> str:
    if needs_formula_escape(cell):
        return "'" + _INNER_ESCAPE.sub(r"\1'\2", cell)
    return cell


def unescape_formula(cell: str) -> str:
    """Undo escape_formula. Lenient with a cell edited in a spreadsheet: a line added without its
    quote (a new "- item" in an escaped description) does not keep the others' quotes in."""
    if len(cell) > 1 and cell[0] == "'":
        original = _INNER_UNESCAPE.sub(r"\1\2", cell[1:])
        if needs_formula_escape(original):
            return original
    return cell


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


class SpreadsheetCsvWriter:
    """csv.writer's default dialect (comma, CRLF, minimal quoting), with every cell escaped.

    A cell the escape changed is always quoted; the csv module cannot quote one cell alone, so
    the line is built here. `escape` lets a format add its own marks (the edit sheet's "(none)").
    """

    def __init__(self, out: TextIO, *, escape: Callable[[str], str] = escape_formula):
        self._out = out
        self._escape = escape

    def format_row(self, cells: Iterable) -> str:
        parts = []
        for value in cells:
            cell = "" if value is None else str(value)
            safe = self._escape(cell)
            parts.append(_quoted(safe) if safe != cell or _NEEDS_QUOTES.search(safe) else safe)
        if parts == [""]:
            parts = ['""']  # as the csv module does: a lone empty cell is not a blank line
        return ",".join(parts) + "\r\n"

    def writerow(self, cells: Iterable) -> None:
        self._out.write(self.format_row(cells))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for cells in rows:
            self.writerow(cells)
