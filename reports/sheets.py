"""The edit sheet: export videos' editable fields to CSV, edit in a spreadsheet, import the changes.

Semantics follow Studio's bulk edit: only what the sheet says changes.
- An empty (or blank) cell means "no change": the field is absent from SheetRow.changes.
- The literal `(none)` (any case) clears a field that may be empty: description, tags,
  default_language, self_declared_made_for_kids, publish_at, contains_synthetic_media, artists,
  genres, isrc, custom_id, notes. Clearing title, category_id, privacy_status, embeddable,
  public_stats_viewable or license is a row error: YouTube requires them. A lone "|" is not a
  way to clear a list (it is a row error that points to `(none)`), so a stray separator never
  wipes a video's tags.
- A list cell (tags, artists, genres) replaces the whole list. Tags are comma-separated, as in
  the admin form and YouTube Studio (videos.validation.split_tags); "|" also separates them, so
  sheets exported before are read as they were written. Artists and genres are separated by "|"
  (a name may hold a comma). The export's header says so: "tags (comma-separated)",
  "artists (|-separated)"; the importer ignores such a parenthesised hint.
- Values are typed as in reports: booleans TRUE/FALSE (also Yes/No, 1/0), times ISO 8601 in
  UTC, categories by id or US name, privacy public/unlisted/private, license youtube or
  creativeCommon.
- Every exported cell is escaped against formula injection (reports/parsing/formulas.py: quotes
  before a formula at the start or after a separator, the cell quoted); reading strips exactly
  those quotes, so an exported sheet imported unchanged yields exactly the exported values.
  A field whose value is literally "(none)" is exported as '(none) and read back as text.
Text is kept exactly as written (no stripping), so what was exported comes back unchanged; only
line endings are normalised (CRLF and CR to LF, as YouTube keeps them): a spreadsheet that writes
CRLF in a cell changes nothing, and a description is measured as YouTube measures it.
Limits (title length, tag budget, assignable categories...) are not checked here: the
services run videos/validation.py. Only cells that cannot be read as their type, and cells
longer than the caller's per-column cap (max_cell_chars), are RowErrors.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO, TextIO

from reports.parsing import ReportFileError, ReportLimits, RowError, values
from reports.parsing.base import excerpt, printable
from reports.parsing.columns import normalise_header
from reports.parsing.formulas import SpreadsheetCsvWriter, escape_formula, unescape_formula
from reports.parsing.records import iter_records
from reports.parsing.streams import open_report
from videos.validation import TAG_SEPARATOR, join_tags, normalise_line_endings, split_tags

EDIT_SHEET_COLUMNS = [
    "video_id",
    "title",
    "description",
    "tags",
    "category_id",
    "default_language",
    "privacy_status",
    "embeddable",
    "public_stats_viewable",
    "license",
    "self_declared_made_for_kids",
    "publish_at",
    "contains_synthetic_media",
    "artists",
    "genres",
    "isrc",
    "custom_id",
    "notes",
]
CLEAR_MARKER = "(none)"
LIST_SEPARATOR = "|"
# The header as the export writes it: each list column says how its items are separated.
EDIT_SHEET_HEADER = {
    "tags": "tags (comma-separated)",
    "artists": f"artists ({LIST_SEPARATOR}-separated)",
    "genres": f"genres ({LIST_SEPARATOR}-separated)",
}
# A header cell's trailing "(…)" is a hint for people, not part of the column's name.
_HEADER_HINT = re.compile(r"\s*\([^()]*\)\s*$")

LIST_FIELDS = frozenset({"tags", "artists", "genres"})
BOOLEAN_FIELDS = frozenset({"embeddable", "public_stats_viewable"})
NULLABLE_BOOLEAN_FIELDS = frozenset({"self_declared_made_for_kids", "contains_synthetic_media"})
TIME_FIELDS = frozenset({"publish_at"})
# What `(none)` sets each clearable field to; the others cannot be cleared.
CLEARED_VALUES = {
    "description": "",
    "tags": [],
    "default_language": "",
    "self_declared_made_for_kids": None,
    "publish_at": None,
    "contains_synthetic_media": None,
    "artists": [],
    "genres": [],
    "isrc": "",
    "custom_id": "",
    "notes": "",
}
LICENSES = {  # videos#status.license, plus the labels Studio shows
    "youtube": "youtube",
    "standard youtube license": "youtube",
    "creativecommon": "creativeCommon",
    "creative commons": "creativeCommon",
    "creative commons - attribution": "creativeCommon",
}
# Header spellings besides the column names themselves (normalised).
HEADER_ALIASES = {
    "id": "video_id",
    "category": "category_id",
    "privacy": "privacy_status",
    "video_title": "title",
}

_DEFAULT_LIMITS = ReportLimits()


@dataclass(slots=True)
class SheetRow:
    line_number: int  # line where the record starts, the header is line 1
    video_id: str
    changes: dict  # field -> typed value, only for non-empty cells
    raw: list[str] = field(default_factory=list, repr=False)  # added: the cells, for a failed-rows CSV


# -- export ------------------------------------------------------------------------------------


def _read_field(video, column: str):
    if isinstance(video, Mapping):
        if column == "video_id":
            return video.get("video_id") or video.get("id")
        return video.get(column)
    if column == "video_id":
        # A Video model's key is `id`; other objects may call it video_id.
        return getattr(video, "video_id", None) or getattr(video, "pk", None) or getattr(video, "id", None)
    return getattr(video, column, None)


def format_cell(column: str, value) -> str:
    """The sheet text for one value, before formula escaping."""
    if value is None:
        return ""
    if column in LIST_FIELDS:
        items = [str(item) for item in value]
        for item in items:
            if LIST_SEPARATOR in item:
                raise ValueError(
                    f"{column} item {item!r} contains '|', which the edit sheet uses to separate items."
                )
        return join_tags(items) if column == "tags" else LIST_SEPARATOR.join(items)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat().replace("+00:00", "Z")
    return str(value)


def _escape(text: str) -> str:
    cell = escape_formula(text)
    if cell.strip().lower() == CLEAR_MARKER:
        cell = "'" + cell  # the value is the text "(none)", not the instruction to clear
    return cell


def write_edit_sheet(videos: Iterable, out: TextIO) -> int:
    """Write EDIT_SHEET_COLUMNS and one row per video (mappings or objects); return the row count.

    Tags are comma-separated, artists and genres |-separated, booleans TRUE/FALSE, times ISO 8601 in UTC, None and empty values
    empty cells. A list item containing "|" cannot be written and raises ValueError. For
    Excel, open `out` with encoding="utf-8-sig".
    """
    writer = SpreadsheetCsvWriter(out, escape=_escape)
    writer.writerow([EDIT_SHEET_HEADER.get(column, column) for column in EDIT_SHEET_COLUMNS])
    count = 0
    for video in videos:
        writer.writerow([format_cell(column, _read_field(video, column)) for column in EDIT_SHEET_COLUMNS])
        count += 1
    return count


# -- import ------------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, column: str, value: str, reason: str):
        self.column, self.value, self.reason = column, value, reason


def _sentence(column: str, value: str, predicate: str) -> str:
    return f"{column} '{excerpt(value, 60)}' {predicate}"


def _parse_license(text: str) -> str:
    license_ = LICENSES.get(" ".join(text.lower().split()))
    if license_ is None:
        raise values.BadValue("is not a license (youtube or creativeCommon)")
    return license_


def _parse_list(text: str) -> list[str]:
    items = values.parse_list(normalise_line_endings(text))
    if not items:
        raise values.BadValue(f"has no items; write {CLEAR_MARKER} to clear the list")
    return items


def _parse_tags(text: str) -> list[str]:
    # Commas as in the form; "|" too, as sheets exported before wrote it.
    tags = split_tags(text.replace(LIST_SEPARATOR, TAG_SEPARATOR))
    if not tags:
        raise values.BadValue(f"has no items; write {CLEAR_MARKER} to clear the list")
    return tags


_CONVERTERS = {
    "title": values.keep_text,
    "description": values.keep_text,
    "tags": _parse_tags,
    "category_id": values.parse_category,
    "default_language": values.keep_text,
    "privacy_status": values.parse_privacy,
    "embeddable": values.parse_bool,
    "public_stats_viewable": values.parse_bool,
    "license": _parse_license,
    "self_declared_made_for_kids": values.parse_bool,
    "publish_at": values.parse_time,
    "contains_synthetic_media": values.parse_bool,
    "artists": _parse_list,
    "genres": _parse_list,
    "isrc": values.keep_text,
    "custom_id": values.keep_text,
    "notes": values.keep_text,
}


class EditSheet:
    """An edit sheet being read: iterate it for SheetRow and RowError, one per data row.

    Returned by parse_edit_sheet, which reads the header first so that a file that is not an
    edit sheet raises ReportFileError at once. `header`, `columns` and `unknown_columns` are
    available before iterating (unknown columns are ignored: people add notes columns).
    """

    def __init__(
        self, stream: BinaryIO, *, name: str, limits: ReportLimits, max_cell_chars: Mapping[str, int]
    ):
        self._limits = limits
        self._max_cell_chars = dict(max_cell_chars)
        self._opened = open_report(stream, name=name, limits=limits)
        self._records = None
        try:
            self._records = iter_records(self._opened.csv_bytes, limits)
            first = next(self._records, None)
            if first is None:
                raise ReportFileError("The file holds no data: not even a header row.")
            line_number, cells, problem = first
            if problem is not None:
                raise ReportFileError(
                    f"Line {line_number} should be the edit sheet's header row, but it {problem.reason}."
                )
            self.header = cells
            self.columns = []
            self.unknown_columns = []
            self._index = {}
            for position, cell in enumerate(cells):
                normalised = normalise_header(_HEADER_HINT.sub("", cell))
                column = HEADER_ALIASES.get(normalised, normalised)
                if column in _CONVERTERS or column == "video_id":
                    if column in self._index:
                        raise ReportFileError(
                            f"The header has two {column} columns; remove one and upload again."
                        )
                    self._index[column] = position
                else:
                    column = normalised or f"column_{position + 1}"
                    self.unknown_columns.append(column)
                self.columns.append(column)
            if "video_id" not in self._index:
                raise ReportFileError(
                    f"Line {line_number} must be the edit sheet's header row with a video_id column; it has: "
                    + ", ".join(repr(excerpt(c, 40)) for c in cells[:12])
                    + "."
                )
        except BaseException:
            self.close()
            raise
        self._rows = self._iter_rows()

    def __iter__(self) -> Iterator[SheetRow | RowError]:
        return self

    def __next__(self) -> SheetRow | RowError:
        return next(self._rows)

    def close(self):
        if self._records is not None:
            self._records.close()
        self._opened.close()

    def _held_cells(self, cells: list[str]) -> list[str]:
        """A failed row's cells as kept: a cell longer than its column allows is cut to an excerpt,
        so the rows a preview keeps do not hold what made them fail."""
        caps = [self._max_cell_chars.get(column) for column in self.columns]
        held = []
        for position, cell in enumerate(cells):
            cap = caps[position] if position < len(caps) and caps[position] is not None else None
            if cap is None:
                too_long = len(cell) > self._limits.max_field_chars
            else:
                too_long = len(cell) > cap and len(unescape_formula(cell)) > cap
            held.append(excerpt(cell) if too_long else printable(cell))
        return held

    def _iter_rows(self) -> Iterator[SheetRow | RowError]:
        ncols = len(self.columns)
        i_video = self._index["video_id"]
        editable = [
            (position, column, _CONVERTERS[column])
            for column, position in self._index.items()
            if column != "video_id"
        ]
        seen = set()  # edit sheets are small: thousands of rows, not millions
        try:
            for line_number, cells, problem in self._records:
                n = len(cells)
                if n > ncols and not any(c.strip() for c in cells[ncols:]):
                    del cells[ncols:]
                    n = ncols
                video_id = unescape_formula(cells[i_video].strip()) if i_video < n else ""
                try:
                    if problem is not None:
                        column = self.columns[problem.cell] if 0 <= problem.cell < ncols else ""
                        subject = column or "The row"
                        value = cells[problem.cell] if problem.cell >= 0 else ""
                        raise _Invalid(column, value, f"{subject} {problem.reason}.")
                    if n != ncols:
                        raise _Invalid("", "", f"The row has {n} cells; the header has {ncols}.")
                    if not values.is_video_id(video_id):
                        if not video_id:
                            raise _Invalid("video_id", "", "video_id is empty.")
                        raise _Invalid(
                            "video_id",
                            video_id,
                            _sentence("video_id", video_id, "is not 11 characters of A-Z a-z 0-9 _ -."),
                        )
                    if video_id in seen:
                        raise _Invalid(
                            "video_id",
                            video_id,
                            _sentence(
                                "video_id", video_id, "is on an earlier row too; edit each video once."
                            ),
                        )
                    seen.add(video_id)
                    changes = {}
                    for position, column, convert in editable:
                        cell = cells[position]
                        if not cell or cell.isspace():
                            continue  # an empty cell means "no change"
                        if cell[0] == "'" and cell[1:].strip().lower() == CLEAR_MARKER:
                            text = cell[1:]  # the text "(none)" itself, escaped on export
                        else:
                            text = normalise_line_endings(unescape_formula(cell))
                            if text.strip().lower() == CLEAR_MARKER:
                                if column not in CLEARED_VALUES:
                                    raise _Invalid(
                                        column, text, f"{column} cannot be cleared: YouTube requires a value."
                                    )
                                cleared = CLEARED_VALUES[column]
                                changes[column] = list(cleared) if isinstance(cleared, list) else cleared
                                continue
                        cap = self._max_cell_chars.get(column)
                        if cap is not None and len(text) > cap:
                            raise _Invalid(
                                column,
                                text,
                                f"{column} is {len(text):,} characters; a {column} holds at most {cap:,}.",
                            )
                        try:
                            changes[column] = convert(text)
                        except ValueError as exc:
                            raise _Invalid(column, text, _sentence(column, text, f"{exc}.")) from None
                except _Invalid as invalid:
                    yield RowError(
                        line_number,
                        invalid.column,
                        excerpt(invalid.value),
                        invalid.reason,
                        self._held_cells(cells),
                        video_id if values.is_video_id(video_id) else "",
                    )
                    continue
                yield SheetRow(line_number, video_id, changes, cells)
        finally:
            self.close()


def parse_edit_sheet(
    stream: BinaryIO,
    *,
    name: str,
    limits: ReportLimits = _DEFAULT_LIMITS,
    max_cell_chars: Mapping[str, int] | None = None,
) -> EditSheet:
    """Read an edit sheet (.csv, .csv.gz or .zip); raise ReportFileError now if it is not one.

    `max_cell_chars` caps columns in characters (after unescaping): a longer cell makes its row a
    RowError instead of being held (every cell is capped at limits.max_field_chars anyway).
    """
    return EditSheet(stream, name=name, limits=limits, max_cell_chars=max_cell_chars or {})
