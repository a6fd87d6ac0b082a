"""ReportReader: a YouTube CMS video report as a stream of ReportRow and RowError."""

import itertools
import operator
import os
import struct
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from . import values
from .base import EXCERPT_CHARS, ReportFileError, ReportLimits, RowError, excerpt, printable
from .columns import (
    BOOLEAN_COLUMNS,
    FAILED_ROWS_ERROR_COLUMN,
    PRIMARY_KEY,
    canonical,
    normalise_header,
    remote_fields,
)
from .formulas import unescape_formula
from .records import RecordProblem, iter_records
from .streams import open_report

# Rows read before iteration to tell the Reporting API (True/False) from Studio (Yes/No).
LAYOUT_LOOKAHEAD_ROWS = 20
LAYOUT_LOOKAHEAD_CHARS = 1 << 20
KNOWN_CHANNELS_MAX = 100_000  # validated channel ids remembered, so each is checked once
DEFAULT_LIMITS = ReportLimits()  # frozen, so one shared default is safe


@dataclass(slots=True)
class ReportRow:
    line_number: int  # line where the record starts, the header is line 1
    raw: list[str]  # the original cells, for the failed-rows CSV
    video_id: str
    channel_id: str  # "" when the report has no channel column
    channel_title: str
    remote: dict  # Video model field -> typed value, only for non-empty cells of columns present
    claim: (
        dict | None
    )  # None without claim_id; else id, asset_id, content_type, origin, policy_label, custom_id, isrc
    # Added: the row's asset, custom id and ISRC even when it has no claim (the seed layout has
    # "Asset ID" and "Custom ID" but no claim id). "" when absent.
    asset_id: str = ""
    custom_id: str = ""
    isrc: str = ""


class _Invalid(Exception):
    """One bad cell or row; caught in ReportReader.__iter__ and turned into a RowError."""

    def __init__(self, column: str, value: str, reason: str):
        self.column = column
        self.value = value
        self.reason = reason


def _quoted(value: str) -> str:
    return "'" + excerpt(value, 60) + "'"


def _sentence(label: str, value: str, predicate: str) -> str:
    return f"{label} {_quoted(value)} {predicate}"


class SeenKeys:
    """Row keys remembered as 64-bit hashes, in bounded memory whatever the number of rows.

    The newest keys live in an open-addressing table (linear probing, at most half full) that
    grows up to MAX_TABLE_SLOTS (16 MB). When that is full, its keys are sorted and written to
    a temporary file (a *run*), and added to a Bloom filter of BLOOM_BITS bits (32 MB) over every
    key spilled so far; the table starts empty again. A key the table does not hold is searched
    in the runs (binary search, read from disk) only when the Bloom filter says it may be there:
    at ten million rows about one key in a thousand, and the filter stays useful (a few percent)
    up to a hundred million. So memory stops growing at ~50 MB (plus ~40 MB for the moment a
    run is sorted), where one table of ten million keys takes 270 MB (400 MB while it grows).
    Each new key costs one Bloom probe more once the table has spilled (~2 µs).

    Two different keys with the same 64-bit hash would be reported as a duplicate; with str
    hashing that is a one in 10^7 chance for ten million rows. ReportReader inlines the table
    probe of `add` in its loop, using `table`, `mask`, `grow`, `spilled` and `in_runs`.
    """

    MAX_TABLE_SLOTS = 1 << 21
    BLOOM_BITS = 1 << 28

    def __init__(self, *, max_table_slots: int | None = None, bloom_bits: int | None = None):
        self.table = array("q", bytes(8 * 4096))
        self.mask = 4095
        self.count = 0
        self.max_table_slots = max(4096, max_table_slots or self.MAX_TABLE_SLOTS)
        self.bloom_bits = bloom_bits or self.BLOOM_BITS  # a power of two
        self.bloom: bytearray | None = None
        self.runs: list = []  # (file, number of keys), each a sorted array of int64
        self.spilled = False

    def add(self, key) -> bool:
        """Remember `key`; return False if it was already there."""
        fingerprint = hash(key) or 1  # 0 marks an empty slot
        table, mask = self.table, self.mask
        slot = fingerprint & mask
        while found := table[slot]:
            if found == fingerprint:
                return False
            slot = (slot + 1) & mask
        if self.spilled and self.in_runs(fingerprint):
            return False
        table[slot] = fingerprint
        self.count += 1
        if self.count * 2 > mask:
            self.grow()
        return True

    def grow(self):
        """Double the table; at its largest, spill its keys to a run and start it empty."""
        old = self.table
        if len(old) >= self.max_table_slots:
            self._spill()
            return
        self.mask = mask = len(old) * 2 - 1
        self.table = table = array("q", bytes(8 * (mask + 1)))
        for fingerprint in old:
            if fingerprint:
                slot = fingerprint & mask
                while table[slot]:
                    slot = (slot + 1) & mask
                table[slot] = fingerprint

    def _spill(self):
        keys = array("q", sorted(filter(None, self.table)))
        if self.bloom is None:
            self.bloom = bytearray(self.bloom_bits // 8)
        bloom, bits = self.bloom, self.bloom_bits - 1
        for fingerprint in keys:
            step = ((fingerprint >> 32) & bits) | 1
            position = fingerprint & bits
            bloom[position >> 3] |= 1 << (position & 7)
            position = (position + step) & bits
            bloom[position >> 3] |= 1 << (position & 7)
            position = (position + step) & bits
            bloom[position >> 3] |= 1 << (position & 7)
        run = tempfile.TemporaryFile(prefix="ytcms-seen-keys-")
        keys.tofile(run)
        run.flush()
        self.runs.append((run, len(keys)))
        del keys
        self.table = array("q", bytes(8 * len(self.table)))
        self.count = 0
        self.spilled = True

    def in_runs(self, fingerprint: int) -> bool:
        """Whether a spilled run holds the key (the Bloom filter first, then the files)."""
        # Three positions (double hashing), written out: this runs for every new key once
        # the table has spilled, so it must cost about what the table probe costs.
        bloom, bits = self.bloom, self.bloom_bits - 1
        step = ((fingerprint >> 32) & bits) | 1
        position = fingerprint & bits
        if not bloom[position >> 3] & (1 << (position & 7)):
            return False
        position = (position + step) & bits
        if not bloom[position >> 3] & (1 << (position & 7)):
            return False
        position = (position + step) & bits
        if not bloom[position >> 3] & (1 << (position & 7)):
            return False
        for run, size in self.runs:
            descriptor = run.fileno()
            low, high = 0, size - 1
            while low <= high:
                middle = (low + high) // 2
                (value,) = struct.unpack("q", os.pread(descriptor, 8, middle * 8))
                if value == fingerprint:
                    return True
                if value < fingerprint:
                    low = middle + 1
                else:
                    high = middle - 1
        return False

    def close(self):
        for run, _ in self.runs:
            run.close()
        self.runs = []


# How the hot loop converts each kind of cell without a Python call in the common case.
_TEXT, _LOOKUP, _DIGITS, _CALL = range(4)


def _plan_entry(position: int, field: str, convert, column: str) -> tuple:
    """(position, Video field, kind, fast path argument, converter, column) for ReportReader.__iter__."""
    if (limit := getattr(convert, "max_chars", None)) is not None:
        return position, field, _TEXT, limit, convert, column
    if (spellings := values.EXACT_SPELLINGS.get(convert)) is not None:
        return position, field, _LOOKUP, spellings.get, convert, column
    if (digits := getattr(convert, "max_digits", None)) is not None:
        return position, field, _DIGITS, digits, convert, column
    return position, field, _CALL, convert, convert, column


class _CountedLines:
    """The CSV's readline, counting the bytes it hands to the parser."""

    __slots__ = ("_readline", "taken")

    def __init__(self, csv_bytes):
        self._readline = csv_bytes.readline if csv_bytes is not None else None
        self.taken = 0

    def readline(self, limit: int = -1) -> bytes:
        line = self._readline(limit)
        self.taken += len(line)
        return line


class ReportReader:
    """Read a CMS video report (.csv, .csv.gz or .zip) row by row, in flat memory.

    The constructor opens the file and reads the header, so `layout`, `header`, `columns` and
    `unknown_columns` are known before iterating; it raises ReportFileError for a file that
    cannot be read at all. Iterating yields one ReportRow or one RowError per data row: a bad
    row never stops the file. Iteration can still raise ReportFileError when the file itself
    turns out broken part-way (truncated or corrupt gzip/zip data, a decompression bomb, a
    file over the size limits). A reader can be iterated once; it closes its own wrappers at
    the end, never the stream it was given.
    """

    def __init__(self, stream: BinaryIO, *, name: str, limits: ReportLimits = DEFAULT_LIMITS):
        self.name = name
        self.limits = limits
        self._iterated = False
        self._opened = open_report(stream, name=name, limits=limits)
        self._records = None
        self._lines = _CountedLines(None)
        self._seen: SeenKeys | None = None
        self._lookahead: list = []
        try:
            self._check_encoding()
            self._lines = _CountedLines(self._opened.csv_bytes)
            self._records = iter_records(self._lines, limits)
            self._read_header()
            self._lookahead = self._detect_layout()
            fields = remote_fields(self.layout)
            self._plan = tuple(
                _plan_entry(self._index[column], field, convert, column)
                for column, (field, convert) in fields.items()
                if column in self._index
            )
        except BaseException:
            self.close()
            raise

    # -- what the pipeline reads -------------------------------------------------------------

    layout: str  # "reporting_api" (True/False booleans), "studio" (Yes/No), "seed" (Title Case headers)
    header: list[str]  # original header cells
    columns: list[str]  # normalised names: canonical for known columns
    unknown_columns: list[str]

    @property
    def bytes_read(self) -> int:
        """Bytes of the file behind the rows parsed so far (compressed bytes for .gz and .zip).

        The import's progress is this over the file's size, so it counts what the parser took, not
        what the buffers under it read ahead.
        """
        opened = self._opened
        if opened.used_bytes is None:
            return self._lines.taken  # the file's own bytes, up to the last line parsed
        # The compressed bytes behind the CSV parsed so far: the buffers read ahead of the parser
        # (64 KB of CSV, about a thousand rows) must not count as done.
        produced = opened.csv_bytes_out()
        used = opened.used_bytes()
        return used * self._lines.taken // produced if produced else used

    @property
    def compression(self) -> str:
        """Added: "none", "gzip" or "zip"."""
        return self._opened.compression

    @property
    def member_name(self) -> str | None:
        """Added: the name of the .csv inside a .zip."""
        return self._opened.member_name

    def close(self):
        if self._records is not None:
            self._records.close()
        if self._seen is not None:
            self._seen.close()
        self._opened.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- header ------------------------------------------------------------------------------

    def _check_encoding(self):
        head = self._opened.csv_bytes.peek(4)[:4]
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise ReportFileError(
                "The file is UTF-16 text (what Excel calls 'Unicode Text'); save it as 'CSV UTF-8' and upload that."
            )

    def _read_header(self):
        first = next(self._records, None)
        if first is None:
            raise ReportFileError("The file holds no data: not even a header row.")
        line_number, cells, problem = first
        if problem is not None:
            raise ReportFileError(
                f"Line {line_number} should be the header row of a CSV report, but it {problem.reason}."
            )
        self.header = cells
        self._labels = [cell.strip() for cell in cells]
        self.columns = []
        self.unknown_columns = []
        self._index = {}
        self._failed_rows_file = False
        for position, cell in enumerate(cells):
            normalised = normalise_header(cell)
            name = canonical(normalised)
            if name is None:
                name = normalised or f"column_{position + 1}"
                if position == 0 and name == FAILED_ROWS_ERROR_COLUMN:
                    # A failed-rows file written by write_failed_rows, fixed and uploaded again.
                    self._failed_rows_file = True
                else:
                    self.unknown_columns.append(name)
            elif name in self._index:
                first = self._index[name]
                raise ReportFileError(
                    f"The header has two {name} columns: {cells[first]!r} (column {first + 1}) and "
                    f"{cell!r} (column {position + 1}). Remove one and upload again."
                )
            else:
                self._index[name] = position
                if not self._labels[position]:
                    self._labels[position] = name
            self.columns.append(name)
        if "video_id" not in self._index:
            shown = ", ".join(repr(excerpt(c, 40)) for c in cells[:12]) + (" …" if len(cells) > 12 else "")
            hint = ""
            if len(cells) == 1 and any(sep in cells[0] for sep in ";\t"):
                hint = " The file seems to use ';' or tabs between columns; reports use commas."
            raise ReportFileError(
                f"Line {line_number} must be the header row of a YouTube video report, with a video_id "
                f"(or 'Video ID') column; it has {len(cells)} column(s): {shown}.{hint}"
            )

    def _detect_layout(self) -> list:
        if self._labels[self._index["video_id"]] != "video_id":  # e.g. "Video ID"
            self.layout = "seed"
            return []
        boolean_positions = [i for name, i in self._index.items() if name in BOOLEAN_COLUMNS]
        buffered: list = []
        layout = None
        chars = 0
        if boolean_positions:
            ncols = len(self.columns)
            for record in self._records:
                buffered.append(record)
                cells = record[1]
                if record[2] is None and len(cells) == ncols:
                    for position in boolean_positions:
                        value = cells[position].strip().lower()
                        if value in ("yes", "no"):
                            layout = "studio"
                            break
                        if value in ("true", "false"):
                            layout = "reporting_api"
                            break
                chars += sum(map(len, cells))
                if layout or len(buffered) >= LAYOUT_LOOKAHEAD_ROWS or chars > LAYOUT_LOOKAHEAD_CHARS:
                    break
        self.layout = layout or "reporting_api"
        return buffered

    # -- rows --------------------------------------------------------------------------------

    def _row_error(self, line_number, cells, column, value, reason, video_id="") -> RowError:
        cap = self.limits.max_field_chars
        raw = [printable(cell if len(cell) <= cap else cell[:cap]) for cell in cells]
        return RowError(line_number, column, excerpt(value, EXCERPT_CHARS), reason, raw, video_id)

    def _problem_error(self, line_number, cells, problem: RecordProblem, video_id) -> RowError:
        if problem.cell < 0:
            return self._row_error(line_number, cells, "", "", f"The row {problem.reason}.", video_id)
        value = cells[problem.cell]
        if len(cells) == len(self.columns):
            column, label = self.columns[problem.cell], self._labels[problem.cell]
        else:
            column, label = "", f"Cell {problem.cell + 1}"
        return self._row_error(line_number, cells, column, value, f"{label} {problem.reason}.", video_id)

    def __iter__(self) -> Iterator[ReportRow | RowError]:
        # The hot path: everything it needs is bound to locals once, cells are read by
        # position, and each value is first looked up among the spellings reports really use.
        if self._iterated:
            raise RuntimeError("A ReportReader can be iterated only once.")
        self._iterated = True
        index = self._index
        get = index.get
        ncols = len(self.columns)
        labels = self._labels
        i_video = index["video_id"]
        i_channel = get("channel_id", -1)
        i_channel_title = get("channel_display_name", -1)
        i_claim = get("claim_id", -1)
        i_asset = get("asset_id", -1)
        i_custom = get("custom_id", -1)
        i_content_type = get("content_type", -1)
        i_origin = get("claim_origin", -1)
        i_isrc = get("isrc", -1)
        i_this_owner = get("claimed_by_this_owner", -1)
        i_another_owner = get("claimed_by_another_owner", -1)
        i_other_owners = get("other_owners_claiming", -1)
        has_owner_flags = i_this_owner >= 0 or i_another_owner >= 0
        plan = self._plan
        if i_claim >= 0:
            # Rows per (video, claim): the documented primary key must not repeat.
            key_of = operator.itemgetter(*(index[c] for c in PRIMARY_KEY if c in index))
            duplicate_reason = (
                "The row repeats the "
                + ", ".join(c for c in PRIMARY_KEY if c in index)
                + " of an earlier row."
            )
        else:
            key_of = None  # one row per video
            duplicate_reason = "is on an earlier row too; a report without claim_id has one row per video."
        # SeenKeys, inlined: a method call per row costs as much as the probe itself.
        seen = self._seen = SeenKeys()
        table, mask, seen_count, spilled = seen.table, seen.mask, 0, False
        known_channels = set()
        unescape = self._failed_rows_file
        is_channel_id = values.is_channel_id
        bool_spellings = values.EXACT_SPELLINGS[values.parse_bool].get
        content_types = values.EXACT_SPELLINGS[values.parse_content_type].get
        parse_isrc = values.parse_isrc
        last_isrc_cell, last_isrc = "", ""
        row_error = self._row_error
        records = itertools.chain(self._lookahead, self._records)
        self._lookahead = []
        try:
            for line_number, cells, problem in records:
                n = len(cells)
                if n > ncols and not any(cells[ncols:]):
                    del cells[ncols:]  # trailing empty cells, as some spreadsheets write them
                    n = ncols
                if unescape:
                    cells = [unescape_formula(cell) for cell in cells]
                video_id = cells[i_video] if i_video < n else ""
                # Keys are remembered before any other check, so a repeat is reported even when
                # the first occurrence was a bad row.
                video_id_ok = (
                    len(video_id) == 11
                    and video_id.isascii()
                    and video_id.replace("-", "A").replace("_", "A").isalnum()
                )  # values.is_video_id, inlined
                fresh = True
                if video_id_ok:
                    if key_of is None or n == ncols:
                        fingerprint = hash(video_id if key_of is None else key_of(cells)) or 1
                        slot = fingerprint & mask
                        while found := table[slot]:
                            if found == fingerprint:
                                fresh = False
                                break
                            slot = (slot + 1) & mask
                        else:
                            if spilled and seen.in_runs(fingerprint):
                                fresh = False
                            else:
                                table[slot] = fingerprint
                                seen_count += 1
                                if seen_count * 2 > mask:
                                    seen.count = seen_count
                                    seen.grow()
                                    table, mask, seen_count, spilled = (
                                        seen.table,
                                        seen.mask,
                                        seen.count,
                                        seen.spilled,
                                    )
                else:
                    video_id = ""
                if problem is not None:
                    yield self._problem_error(line_number, cells, problem, video_id)
                    continue
                try:
                    if n != ncols:
                        raise _Invalid("", "", f"The row has {n} cells; the header has {ncols}.")
                    if not video_id_ok:
                        value = cells[i_video]
                        if not value:
                            raise _Invalid("video_id", value, f"{labels[i_video]} is empty.")
                        raise _Invalid(
                            "video_id",
                            value,
                            _sentence(labels[i_video], value, "is not 11 characters of A-Z a-z 0-9 _ -."),
                        )
                    if not fresh:
                        if key_of is None:
                            raise _Invalid(
                                "video_id", video_id, _sentence(labels[i_video], video_id, duplicate_reason)
                            )
                        raise _Invalid("", "", duplicate_reason)

                    remote = {}
                    for position, field, kind, fast, convert, column in plan:
                        value = cells[position]
                        if value:
                            if kind is _LOOKUP:
                                result = fast(value)
                                if result is None:
                                    result = self._convert(convert, column, value)
                            elif kind is _TEXT:
                                result = (
                                    value if len(value) <= fast else self._convert(convert, column, value)
                                )
                            elif (
                                kind is _DIGITS and len(value) <= fast and value.isdigit() and value.isascii()
                            ):
                                result = int(value)
                            else:
                                result = self._convert(convert, column, value)
                            remote[field] = result

                    if has_owner_flags:
                        status = None
                        claimed_by_others = False
                        if i_another_owner >= 0 and (value := cells[i_another_owner]):
                            claimed_by_others = bool_spellings(value)
                            if claimed_by_others is None:
                                claimed_by_others = self._convert(
                                    values.parse_bool, "claimed_by_another_owner", value
                                )
                        if i_this_owner >= 0 and (value := cells[i_this_owner]):
                            claimed = bool_spellings(value)
                            if claimed is None:
                                claimed = self._convert(values.parse_bool, "claimed_by_this_owner", value)
                            if claimed:
                                status = "claimed"
                            elif claimed_by_others or (i_other_owners >= 0 and cells[i_other_owners].strip()):
                                status = "others"
                            else:
                                status = "unclaimed"
                        if status is not None:
                            remote["claimed_status"] = status

                    channel_id = cells[i_channel] if i_channel >= 0 else ""
                    if channel_id and channel_id not in known_channels:
                        if not is_channel_id(channel_id):
                            raise _Invalid(
                                "channel_id",
                                channel_id,
                                _sentence(
                                    labels[i_channel],
                                    channel_id,
                                    "is not UC followed by 22 characters of A-Z a-z 0-9 _ -.",
                                ),
                            )
                        if len(known_channels) < KNOWN_CHANNELS_MAX:
                            known_channels.add(channel_id)

                    asset_id = cells[i_asset] if i_asset >= 0 else ""
                    if len(asset_id) > values.ASSET_ID_DB_MAX_CHARS:
                        raise _Invalid(
                            "asset_id",
                            asset_id,
                            _sentence(labels[i_asset], asset_id, "is longer than 64 characters."),
                        )
                    custom_id = cells[i_custom] if i_custom >= 0 else ""
                    if len(custom_id) > values.CUSTOM_ID_DB_MAX_CHARS:
                        raise _Invalid(
                            "custom_id",
                            custom_id,
                            _sentence(labels[i_custom], custom_id, "is longer than 255 characters."),
                        )
                    isrc = cells[i_isrc] if i_isrc >= 0 else ""
                    if isrc:
                        if isrc == last_isrc_cell:  # the rows of one video's claims repeat it
                            isrc = last_isrc
                        else:
                            last_isrc_cell, isrc = isrc, self._convert(parse_isrc, "isrc", isrc)
                            last_isrc = isrc

                    claim = None
                    if i_claim >= 0 and (claim_id := cells[i_claim]):
                        if len(claim_id) > values.CLAIM_ID_DB_MAX_CHARS:
                            raise _Invalid(
                                "claim_id",
                                claim_id,
                                _sentence(labels[i_claim], claim_id, "is longer than 64 characters."),
                            )
                        if not asset_id:
                            raise _Invalid(
                                "asset_id", "", f"The row has claim_id {_quoted(claim_id)} but no asset_id."
                            )
                        content_type = cells[i_content_type] if i_content_type >= 0 else ""
                        if content_type:
                            content_type = content_types(content_type) or self._convert(
                                values.parse_content_type, "content_type", content_type
                            )
                        origin = cells[i_origin] if i_origin >= 0 else ""
                        if len(origin) > values.ORIGIN_DB_MAX_CHARS:
                            raise _Invalid(
                                "claim_origin",
                                origin,
                                _sentence(labels[i_origin], origin, "is longer than 64 characters."),
                            )
                        claim = {
                            "id": claim_id,
                            "asset_id": asset_id,
                            "content_type": content_type,
                            "origin": origin,
                            "policy_label": remote.get("effective_policy", ""),
                            "custom_id": custom_id,
                            "isrc": isrc,
                        }
                    channel_title = cells[i_channel_title] if i_channel_title >= 0 else ""
                except _Invalid as invalid:
                    yield row_error(
                        line_number, cells, invalid.column, invalid.value, invalid.reason, video_id
                    )
                    continue
                yield ReportRow(
                    line_number,
                    cells,
                    video_id,
                    channel_id,
                    channel_title,
                    remote,
                    claim,
                    asset_id,
                    custom_id,
                    isrc,
                )
        finally:
            self.close()

    def _convert(self, convert, column: str, value: str):
        """Convert a value the fast lookup did not know, or raise _Invalid naming the column."""
        try:
            return convert(value)
        except ValueError as exc:
            label = self._labels[self._index[column]]
            raise _Invalid(column, value, _sentence(label, value, f"{exc}.")) from None
