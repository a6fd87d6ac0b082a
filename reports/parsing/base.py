"""The types every part of report parsing shares: limits, the file error and the row error."""

from dataclasses import dataclass, field


class ReportFileError(Exception):
    """The file cannot be read at all; the message is meant for the user who uploaded it."""


@dataclass(frozen=True)
class ReportLimits:
    max_file_bytes: int = 20 * 2**30  # compressed/raw bytes read
    max_uncompressed_bytes: int = 100 * 2**30
    # uncompressed/compressed, checked as it streams (gzip and zip bombs). Real CSV reports
    # compress 5-20x; a bomb of zeros compresses about 1000x.
    max_compression_ratio: int = 200
    max_field_chars: int = 100_000  # a longer cell is a row error, never a MemoryError
    # Added: a record (one CSV row, all its lines) longer than this is skipped unparsed and
    # becomes one row error. It bounds the memory one row can take, e.g. after an unclosed
    # quote that would otherwise swallow the rest of the file into one field.
    max_record_bytes: int = 8 * 2**20

    def __post_init__(self):
        if self.max_record_bytes < 1024 or self.max_field_chars < 1:
            raise ValueError("max_record_bytes must be >= 1024 and max_field_chars >= 1")


@dataclass(slots=True)
class RowError:
    line_number: int  # line where the record starts, the header is line 1
    column: str  # normalised column name, "" for whole-row problems
    value_excerpt: str  # at most 100 chars of the offending value
    reason: str  # a sentence for the user, naming the column and the value
    raw: list[str] = field(repr=False)  # the row's cells as read, for the failed-rows CSV
    video_id: str = ""  # added: the row's video id when it could be read, else ""


EXCERPT_CHARS = 100


def printable(value: str) -> str:
    """Return `value` with undecodable bytes and NULs shown as U+FFFD, so it can be written as UTF-8."""
    if value.isascii() and "\x00" not in value:
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value.replace("\x00", "\ufffd")


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    value = printable(value[: limit * 2])
    return value if len(value) <= limit else value[: limit - 1] + "…"
