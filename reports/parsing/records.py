"""CSV bytes -> records with the line each starts on; unreadable records become problems, not crashes.

The csv module does the parsing, fed one physical line at a time by a generator that reads
bytes. Reading bytes (not an io.TextIOWrapper) lets each line be decoded on its own: a line with
invalid UTF-8 is decoded with surrogateescape and flagged, and the lines around it are untouched.

How a bad record is contained:
- Invalid UTF-8 or NUL bytes: the record is parsed as usual and reported as a problem.
- A record longer than max_record_bytes (a huge cell, binary junk with no newline, or an
  unclosed quote swallowing the file): the generator stops feeding it to the csv module. If
  the csv module is inside a quoted field it is given a closing quote and newline, otherwise an
  empty line, so it ends the record there; the rest of the record is skipped by counting quote
  characters until a line ends outside quotes. This is the only place quotes are counted, and
  it assumes well-formed quoting; a stray quote inside an unquoted cell can make it skip more.
- Anything the csv module still refuses (csv.Error, e.g. a carriage return inside an unquoted
  cell) is one problem record; the csv module drops the rest of that physical line and parsing
  resumes on the next one. If the refused record spanned several lines, its remaining lines are
  read as records of their own, which normally fail the column count.

Memory per record is bounded by max_record_bytes (the csv field size limit is raised to match,
process-wide, because the csv module only has a global setting).
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .base import ReportLimits

UTF8_BOM = b"\xef\xbb\xbf"
DRAIN_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class RecordProblem:
    cell: int  # index of the offending cell, -1 when the problem is the whole record
    reason: str  # a predicate: "<column or The row> <reason>"


Record = tuple[int, list[str], RecordProblem | None]

_UTF8 = "utf8"
_NUL = "nul"
_TOO_LONG = "too long"


def iter_records(csv_bytes: BinaryIO, limits: ReportLimits) -> Iterator[Record]:
    """Yield (line number where the record starts, cells, problem or None); blank lines are skipped."""
    max_record = limits.max_record_bytes
    max_field = limits.max_field_chars
    if csv.field_size_limit() < max_record + 2:
        csv.field_size_limit(max_record + 2)
    readline = csv_bytes.readline

    line_number = 0  # physical lines consumed so far
    record_bytes = 0  # bytes of the current record handed to the csv module
    flaw = None  # what is wrong with the current record, found while reading its lines

    def lines():
        nonlocal line_number, record_bytes, flaw
        limit = max_record + 1
        chunk = readline(limit)
        if chunk[:3] == UTF8_BOM:
            chunk = chunk[3:]
        while chunk:
            line_number += 1
            size = len(chunk)
            if record_bytes + size > max_record:
                # The csv module is mid-record only inside a quoted field: lines it has finished
                # always end a record. Skip to where the quotes balance at a line end.
                inside_quotes = record_bytes > 0
                while True:
                    inside_quotes ^= chunk.count(b'"') & 1
                    ends_line = chunk.endswith(b"\n")
                    if ends_line and not inside_quotes:
                        break
                    chunk = readline(DRAIN_BYTES)
                    if not chunk:
                        break
                    if ends_line:
                        line_number += 1
                flaw = _TOO_LONG
                yield '"\n' if record_bytes else "\n"
            else:
                record_bytes += size
                try:
                    text = chunk.decode()
                except UnicodeDecodeError:
                    text = chunk.decode("utf-8", "surrogateescape")
                    if flaw is None:
                        flaw = _UTF8
                if b"\x00" in chunk and flaw is None:
                    flaw = _NUL
                yield text
            chunk = readline(limit)

    next_record = csv.reader(lines()).__next__
    start = 1
    while True:
        try:
            cells = next_record()
            refused = None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, refused = [], exc
        record_start, start = start, line_number + 1
        size, record_bytes = record_bytes, 0
        found, flaw = flaw, None
        if found is None and refused is None:
            if size > max_field:  # chars <= bytes, so only a long record can hold a long cell
                problem = _long_cell(cells, max_field)
                if problem is not None:
                    yield record_start, cells, problem
                    continue
            if cells:
                yield record_start, cells, None
            continue
        if refused is not None:
            if "new-line character" in str(refused):
                reason = (
                    "has a carriage return (CR) inside an unquoted cell; if the file ends its lines with CR "
                    "alone (old Mac style), save it with LF or CRLF line endings"
                )
            else:
                reason = f"could not be read as CSV ({refused})"
            problem = RecordProblem(-1, reason)
        elif found is _TOO_LONG:
            problem = RecordProblem(
                -1,
                f"is longer than {max_record:,} bytes and was skipped unread "
                "(an unclosed quote makes a row run on into the lines after it)",
            )
        elif found is _UTF8:
            problem = RecordProblem(
                _first_cell(cells, _has_surrogate),
                "contains bytes that are not valid UTF-8 (shown as \ufffd); save the file as UTF-8",
            )
        else:
            problem = RecordProblem(
                _first_cell(cells, lambda cell: "\x00" in cell), "contains NUL bytes (binary data?)"
            )
        yield record_start, cells, problem


def _long_cell(cells: list[str], max_field: int) -> RecordProblem | None:
    for index, cell in enumerate(cells):
        if len(cell) > max_field:
            return RecordProblem(index, f"is longer than {max_field:,} characters ({len(cell):,})")
    return None


def _has_surrogate(cell: str) -> bool:
    if cell.isascii():
        return False
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _first_cell(cells: list[str], test) -> int:
    for index, cell in enumerate(cells):
        if test(cell):
            return index
    return -1
