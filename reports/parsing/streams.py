"""Open an uploaded report as one stream of CSV bytes: plain, gzip or a zip holding one .csv.

Every byte taken from the upload goes through a counter (progress, and the max_file_bytes
limit); every decompressed byte goes through a second one that refuses bombs while streaming,
so decompressed data is never held beyond one buffer.
"""

import gzip
import io
import zipfile
from dataclasses import dataclass, field
from typing import BinaryIO

from .base import ReportFileError, ReportLimits

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
BUFFER_BYTES = 1 << 16
# Below this much output the ratio is not checked: tiny files can have odd ratios and cannot hurt.
RATIO_CHECK_FLOOR_BYTES = 1 << 20
MAC_METADATA_PREFIX = "__MACOSX/"  # Finder's "Compress" adds these resource-fork entries


def _size(n: float) -> str:
    """1234567 -> '1.2 MB' (decimal units, as file managers show them)."""
    if n < 1000:
        return f"{int(n)} bytes"
    for unit in ("KB", "MB", "GB"):
        n /= 1000
        if n < 1000:
            return f"{n:.1f} {unit}"
    return f"{n / 1000:.1f} TB"


class CountingSource(io.RawIOBase):
    """The upload, read through a byte counter; can replay the first bytes after sniffing them."""

    def __init__(self, stream: BinaryIO, *, max_bytes: int):
        self._stream = stream
        self.max_bytes = max_bytes
        self._replay = b""
        self.bytes_read = 0

    def readable(self):
        return True

    def _read_stream(self, size: int) -> bytes:
        data = self._stream.read(size)
        if not data:
            return b""
        self.bytes_read += len(data)
        if self.bytes_read > self.max_bytes:
            raise ReportFileError(f"The file is larger than the {_size(self.max_bytes)} allowed.")
        return data

    def readinto(self, buffer):
        if self._replay:
            data, self._replay = self._replay[: len(buffer)], self._replay[len(buffer) :]
        else:
            data = self._read_stream(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def sniff(self, size: int) -> bytes:
        """Return up to `size` first bytes; they are read again by the next reads."""
        head = b""
        while len(head) < size:
            data = self._read_stream(size - len(head))
            if not data:
                break
            head += data
        self._replay = head + self._replay
        return head

    def seekable(self):
        try:
            return self._stream.seekable()
        except AttributeError:
            return False

    def seek(self, offset, whence=io.SEEK_SET):
        self._replay = b""
        return self._stream.seek(offset, whence)

    def tell(self):
        return self._stream.tell() - len(self._replay)


class InflatingSource(io.RawIOBase):
    """Decompressed bytes, refused once they exceed the size or ratio limits."""

    def __init__(self, decompressed: BinaryIO, *, counter: CountingSource, limits: ReportLimits, what: str):
        self._decompressed = decompressed
        self._counter = counter
        self._limits = limits
        self._what = what
        self.bytes_out = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            data = self._decompressed.read(len(buffer))
        except ReportFileError:
            raise
        except Exception as exc:  # zlib.error, EOFError, BadGzipFile, BadZipFile (CRC), lzma/bz2 errors
            raise ReportFileError(
                f"The {self._what} data is damaged or cut short after {_size(self.bytes_out)} "
                f"of CSV ({exc}). Download the report again."
            ) from exc
        n = len(data)
        buffer[:n] = data
        self.bytes_out += n
        limits = self._limits
        if self.bytes_out > limits.max_uncompressed_bytes:
            raise ReportFileError(
                f"The {self._what} file decompresses to more than the "
                f"{_size(limits.max_uncompressed_bytes)} allowed; refused."
            )
        if (
            self.bytes_out > RATIO_CHECK_FLOOR_BYTES
            and self.bytes_out > limits.max_compression_ratio * self._counter.bytes_read
        ):
            raise ReportFileError(
                f"The {self._what} file decompresses to more than {limits.max_compression_ratio} times "
                f"its compressed size ({_size(self.bytes_out)} from {_size(self._counter.bytes_read)}: "
                f"a compression ratio over {limits.max_compression_ratio}:1); refused as a "
                "decompression bomb. Real reports compress far less."
            )
        return n


@dataclass
class OpenedReport:
    csv_bytes: io.BufferedReader  # the CSV text as bytes, decompressed
    counter: CountingSource
    compression: str  # "none", "gzip" or "zip"
    member_name: str | None = None  # the .csv inside a .zip
    _closers: list = field(default_factory=list, repr=False)

    def close(self):
        for closer in reversed(self._closers):
            try:
                closer.close()
            except Exception:  # closing our own wrappers must never mask the real error
                pass
        self._closers.clear()


def _kind_by_magic(head: bytes) -> str:
    if head[:2] == GZIP_MAGIC:
        return "gzip"
    if head[:4] in ZIP_MAGICS:
        return "zip"
    return "none"


def _kind_by_name(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".gz", ".gzip")):
        return "gzip"
    return None


def _show(head: bytes) -> str:
    text = head.decode("ascii", "replace")
    return repr(text) if text.isprintable() and "\ufffd" not in text else "bytes " + head.hex(" ")


_DESCRIBE = {"gzip": "gzip-compressed", "zip": "a zip archive", "none": "neither gzip nor zip"}


def open_report(stream: BinaryIO, *, name: str, limits: ReportLimits) -> OpenedReport:
    """Open the upload by its name and its first bytes; raise ReportFileError if that is impossible."""
    counter = CountingSource(stream, max_bytes=limits.max_file_bytes)
    head = counter.sniff(4)
    if not head:
        raise ReportFileError("The file is empty.")
    actual = _kind_by_magic(head)
    expected = _kind_by_name(name)
    if expected is not None and actual != expected:
        raise ReportFileError(
            f"{name!r} is named like a {expected} file but is {_DESCRIBE[actual]} "
            f"(it starts with {_show(head)}). Upload the report as .csv, .csv.gz or .zip."
        )
    if name.lower().endswith((".xlsx", ".xls", ".ods")):
        raise ReportFileError(
            f"{name!r} is a spreadsheet workbook; export it as CSV (UTF-8) and upload that."
        )
    if actual == "gzip":
        decompressed = gzip.GzipFile(fileobj=counter, mode="rb")
        inflating = InflatingSource(decompressed, counter=counter, limits=limits, what="gzip")
        reader = io.BufferedReader(inflating, buffer_size=BUFFER_BYTES)
        return OpenedReport(reader, counter, "gzip", None, [decompressed, reader])
    if actual == "zip":
        return _open_zip(counter, name=name, limits=limits)
    if limits.max_uncompressed_bytes < limits.max_file_bytes:
        counter.max_bytes = limits.max_uncompressed_bytes
    return OpenedReport(io.BufferedReader(counter, buffer_size=BUFFER_BYTES), counter, "none")


def _open_zip(counter: CountingSource, *, name: str, limits: ReportLimits) -> OpenedReport:
    if not counter.seekable():
        raise ReportFileError("A .zip report can only be read from a seekable file; upload it again.")
    try:
        archive = zipfile.ZipFile(counter)
    except ReportFileError:
        raise
    except Exception as exc:  # BadZipFile, OSError, ValueError on mangled directories
        raise ReportFileError(f"{name!r} is not a readable zip archive ({exc}).") from exc
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith(MAC_METADATA_PREFIX)
    ]
    names = [info.filename for info in members]
    if "[Content_Types].xml" in names:
        archive.close()
        raise ReportFileError(
            f"{name!r} is an Excel or OpenDocument workbook; export it as CSV and upload that."
        )
    if len(members) != 1 or not names[0].lower().endswith(".csv"):
        archive.close()
        shown = ", ".join(repr(n) for n in names[:10]) + (
            f" and {len(names) - 10} more" if len(names) > 10 else ""
        )
        found = f"{len(names)} files: {shown}" if len(names) != 1 else f"one file that is not a .csv: {shown}"
        raise ReportFileError(
            f"A .zip report must hold exactly one .csv file; {name!r} holds "
            + ("nothing" if not names else found)
            + "."
        )
    info = members[0]
    if info.flag_bits & 0x1:
        archive.close()
        raise ReportFileError(f"{info.filename!r} in the zip is password-protected; upload it unencrypted.")
    # The declared sizes are checked first; zipfile also stops reading at the declared size,
    # so a member cannot produce more than it declares.
    if info.file_size > limits.max_uncompressed_bytes:
        archive.close()
        raise ReportFileError(
            f"{info.filename!r} decompresses to {_size(info.file_size)}, more than the "
            f"{_size(limits.max_uncompressed_bytes)} allowed."
        )
    if info.file_size > RATIO_CHECK_FLOOR_BYTES and info.file_size > limits.max_compression_ratio * max(
        info.compress_size, 1
    ):
        archive.close()
        ratio = info.file_size // max(info.compress_size, 1)
        raise ReportFileError(
            f"{info.filename!r} decompresses to {_size(info.file_size)} from {_size(info.compress_size)}: "
            f"a compression ratio of {ratio}:1, over the {limits.max_compression_ratio}:1 allowed; refused as "
            "a decompression bomb."
        )
    try:
        member = archive.open(info)
    except Exception as exc:  # NotImplementedError for unsupported compression methods, BadZipFile
        archive.close()
        raise ReportFileError(f"{info.filename!r} in the zip cannot be read ({exc}).") from exc
    inflating = InflatingSource(member, counter=counter, limits=limits, what="zip")
    reader = io.BufferedReader(inflating, buffer_size=BUFFER_BYTES)
    return OpenedReport(reader, counter, "zip", info.filename, [archive, member, reader])
