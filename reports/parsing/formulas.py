"""Formula-injection escaping for CSV files people open in spreadsheets (OWASP "CSV Injection").

A cell starting with = + - @ (or tab or carriage return) can run as a formula in Excel, LibreOffice
or Google Sheets; a leading single quote makes it text. A cell that already starts with a quote
gets one more, so that reading back can strip exactly one quote without guessing.
"""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = frozenset(FORMULA_TRIGGERS) | {"'"}


def escape_formula(cell: str) -> str:
    if cell and cell[0] in _ESCAPED_STARTS:
        return "'" + cell
    return cell


def unescape_formula(cell: str) -> str:
    """Undo escape_formula: drop one leading quote that precedes a trigger or another quote."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in _ESCAPED_STARTS:
        return cell[1:]
    return cell
