"""Open an uploaded report as one stream of CSV bytes: plain, gzip or a zip holding one .csv.

Every byte taken from the upload goes through a counter (progress, and the max_file_bytes
limit); every decompressed byte goes through a second one that refuses bombs while streaming,
so decompressed data is never held beyond one buffer.

Gzip is inflated here with zlib rather than through the gzip module: GzipFile reads 128 KiB of
compressed input at a time, so a ratio check against the bytes it had read let a bomb through
26 MB of CSV (and its rows into the catalogue) before it fired. Feeding zlib small pieces and
counting what it actually consumed keeps the ratio exact at every read. A seekable gzip file is
also judged by its size trailer before a single row is parsed.
"""

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from .base import ReportFileError, ReportLimits

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
BUFFER_BYTES = 1 << 16
# Compressed bytes handed to zlib at a time: small, so "consumed" never runs far ahead of output.
GZIP_INPUT_BYTES = 1 << 14
GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer (CRC-32 and ISIZE checked by zlib)
GZIP_TRAILER_BYTES = 4  # ISIZE: the last member's uncompressed size modulo 2**32 (RFC 1952 2.3.1)
GZIP_MIN_BYTES = 18  # a 10-byte header, an empty deflate stream needs at least 2, an 8-byte trailer
# Deflate cannot do better than about 1032:1 (a 258-byte match per 2 bits), so a trailer claiming
# more than this times the file's size is not an ISIZE: the file is cut short or has junk appended.
DEFLATE_MAX_RATIO = 1032
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

    def read_tail(self, size: int) -> tuple[bytes, int] | None:
        """The last `size` bytes and the whole length, or None when the upload cannot seek.

        Not counted as read, and the next read goes on where the last one stopped.
        """
        if not self.seekable():
            return None
        position = self._stream.tell()
        try:
            length = self._stream.seek(0, io.SEEK_END)
            if length < size:
                return b"", length
            self._stream.seek(length - size)
            tail = b""
            while len(tail) < size and (data := self._stream.read(size - len(tail))):
                tail += data
            return tail, length
        finally:
            self._stream.seek(position)

    def seek(self, offset, whence=io.SEEK_SET):
        self._replay = b""
        return self._stream.seek(offset, whence)

    def tell(self):
        return self._stream.tell() - len(self._replay)


class GzipInflater(io.RawIOBase):
    """The decompressed bytes of a gzip stream (all its members, as gzip(1) writes them).

    `compressed_consumed` counts the input zlib has actually used, not what was read ahead.
    """

    def __init__(self, source: CountingSource):
        self._source = source
        self._inflater = zlib.decompressobj(GZIP_WBITS)
        self._pending = b""  # read from the source, not yet used by zlib
        self._between_members = False
        self.compressed_consumed = 0

    def readable(self):
        return True

    def _more(self) -> bytes:
        return self._source.read(GZIP_INPUT_BYTES)

    def _start_next_member(self) -> bool:
        """Skip the zero padding after a member; False at the end, True if another member starts."""
        while True:
            stripped = self._pending.lstrip(b"\x00")
            self.compressed_consumed += len(self._pending) - len(stripped)
            self._pending = stripped
            if len(self._pending) >= 2:
                break
            more = self._more()
            if not more:
                if self._pending:
                    raise EOFError("Compressed file ended in the middle of a gzip header.")
                return False
            self._pending += more
        if self._pending[:2] != b"\x1f\x8b":
            # as the gzip module: bytes after a member must be another member (or zero padding)
            raise zlib.error(f"Not a gzipped file ({self._pending[:2]!r} after the end of a member)")
        self._inflater = zlib.decompressobj(GZIP_WBITS)
        self._between_members = False
        return True

    def readinto(self, buffer):
        wanted = len(buffer)
        if wanted == 0:
            return 0
        while True:
            if self._between_members and not self._start_next_member():
                return 0
            if not self._pending:
                self._pending = self._more()
                if not self._pending:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
            given = len(self._pending)
            data = self._inflater.decompress(self._pending, wanted)
            if self._inflater.eof:
                self._pending = self._inflater.unused_data
                self._between_members = True
            else:
                self._pending = self._inflater.unconsumed_tail
            self.compressed_consumed += given - len(self._pending)
            if data:
                n = len(data)
                buffer[:n] = data
                return n


class InflatingSource(io.RawIOBase):
    """Decompressed bytes, refused once they exceed the size or ratio limits."""

    def __init__(
        self, decompressed: BinaryIO, *, compressed_bytes: Callable[[], int], limits: ReportLimits, what: str
    ):
        self._decompressed = decompressed
        self._compressed_bytes = compressed_bytes
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
        except Exception as exc:  # zlib.error, EOFError, BadZipFile (CRC), lzma/bz2 errors
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
        compressed = self._compressed_bytes()
        if (
            self.bytes_out > RATIO_CHECK_FLOOR_BYTES
            and self.bytes_out > limits.max_compression_ratio * compressed
        ):
            raise ReportFileError(
                f"The {self._what} file decompresses to more than {limits.max_compression_ratio} times "
                f"its compressed size ({_size(self.bytes_out)} from {_size(compressed)}: "
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
    # For compressed files: the file's bytes used so far (for gzip, not what was read ahead of zlib)
    # and the CSV bytes they decompressed to.
    used_bytes: Callable[[], int] | None = field(default=None, repr=False)
    csv_bytes_out: Callable[[], int] | None = field(default=None, repr=False)

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
        _check_gzip_trailer(counter, limits=limits)
        decompressed = GzipInflater(counter)
        inflating = InflatingSource(
            decompressed,
            compressed_bytes=lambda: decompressed.compressed_consumed,
            limits=limits,
            what="gzip",
        )
        reader = io.BufferedReader(inflating, buffer_size=BUFFER_BYTES)
        return OpenedReport(
            reader,
            counter,
            "gzip",
            None,
            [decompressed, reader],
            used_bytes=lambda: decompressed.compressed_consumed,
            csv_bytes_out=lambda: inflating.bytes_out,
        )
    if actual == "zip":
        return _open_zip(counter, name=name, limits=limits)
    if limits.max_uncompressed_bytes < limits.max_file_bytes:
        counter.max_bytes = limits.max_uncompressed_bytes
    return OpenedReport(io.BufferedReader(counter, buffer_size=BUFFER_BYTES), counter, "none")


def _check_gzip_trailer(counter: CountingSource, *, limits: ReportLimits) -> None:
    """Refuse a seekable gzip file whose size trailer proves it a bomb, before any row is read.

    ISIZE is only the last member's size (modulo 2**32), so the whole file decompresses to at
    least that much: a large ISIZE proves a bomb, a small one proves nothing (several members, a
    size past 4 GiB) and is left to the streaming check.
    """
    tail = counter.read_tail(GZIP_TRAILER_BYTES)
    if tail is None:
        return
    trailer, length = tail
    if length < GZIP_MIN_BYTES or len(trailer) != GZIP_TRAILER_BYTES:
        return  # too short to be whole; inflating it says so
    at_least = int.from_bytes(trailer, "little")
    if at_least > DEFLATE_MAX_RATIO * length:
        return  # not a real size trailer: the file is damaged, and inflating it says where
    if at_least > limits.max_uncompressed_bytes:
        raise ReportFileError(
            f"The gzip file decompresses to at least {_size(at_least)} (its size trailer says so), more "
            f"than the {_size(limits.max_uncompressed_bytes)} allowed; refused before reading any row."
        )
    if at_least > RATIO_CHECK_FLOOR_BYTES and at_least > limits.max_compression_ratio * length:
        raise ReportFileError(
            f"The gzip file decompresses to at least {_size(at_least)} from {_size(length)} (its size "
            f"trailer says so): a compression ratio over {limits.max_compression_ratio}:1; refused as a "
            "decompression bomb (or a damaged file) before reading any row. Real reports compress far less."
        )


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
    inflating = InflatingSource(
        member, compressed_bytes=lambda: counter.bytes_read, limits=limits, what="zip"
    )
    reader = io.BufferedReader(inflating, buffer_size=BUFFER_BYTES)
    return OpenedReport(
        reader,
        counter,
        "zip",
        info.filename,
        [archive, member, reader],
        used_bytes=lambda: counter.bytes_read,
        csv_bytes_out=lambda: inflating.bytes_out,
    )
