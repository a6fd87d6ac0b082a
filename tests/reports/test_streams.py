"""Opening uploads: plain, gzip and zip by name and magic bytes; limits and decompression bombs."""

import gzip
import io
import os
import tracemalloc
import zipfile

import pytest

from reports.parsing import ReportFileError, ReportLimits, ReportReader

from .helpers import a4_bytes, a4_row, gzipped, read, rows_of, zipped

BOMB_MB = 200  # of zeros; compresses to about 200 KB


class NonSeekable(io.RawIOBase):
    """An upload arriving as a pipe: read() only."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        return self._data.readinto(buffer)

    def seekable(self):
        return False


def read_piped(data: bytes, name: str, **limits) -> list:
    """Read through a pipe: no size trailer to look at, only the streaming checks."""
    return list(ReportReader(io.BufferedReader(NonSeekable(data)), name=name, limits=ReportLimits(**limits)))


def _video_ids(items):
    return [row.video_id for row in rows_of(items)]


REPORT = a4_bytes(a4_row("dQw4w9WgXcQ"), a4_row("9bZkp7q19f0"))


@pytest.mark.parametrize(
    ("data", "name", "compression"),
    [
        (REPORT, "report.csv", "none"),
        (gzipped(REPORT), "report.csv.gz", "gzip"),
        (zipped({"report.csv": REPORT}), "report.zip", "zip"),
        (zipped({"report.csv": REPORT}), "YouTube_Owner_M_20240101_video_raw_v1-1.csv.zip", "zip"),
    ],
)
def test_plain_gzip_and_zip_read_the_same_rows(data, name, compression):
    reader, items = read(data, name=name)
    assert reader.compression == compression
    assert _video_ids(items) == ["dQw4w9WgXcQ", "9bZkp7q19f0"]


def test_gzip_content_named_csv_is_read_by_its_magic_bytes():
    reader, items = read(gzipped(REPORT), name="report.csv")
    assert reader.compression == "gzip"
    assert len(rows_of(items)) == 2


def test_zip_member_name_is_reported():
    reader, _ = read(zipped({"content_owner_video_metadata_a4.csv": REPORT}), name="r.zip")
    assert reader.member_name == "content_owner_video_metadata_a4.csv"


def test_gz_name_without_gzip_data_is_refused():
    with pytest.raises(ReportFileError, match="named like a gzip file but is neither gzip nor zip"):
        read(REPORT, name="report.csv.gz")


def test_zip_name_with_gzip_data_is_refused():
    with pytest.raises(ReportFileError, match="named like a zip file but is gzip-compressed"):
        read(gzipped(REPORT), name="report.zip")


def test_zip_with_two_files_is_refused_naming_them():
    data = zipped({"a.csv": REPORT, "b.csv": REPORT})
    with pytest.raises(ReportFileError, match=r"exactly one \.csv.*2 files: 'a\.csv', 'b\.csv'"):
        read(data, name="r.zip")


def test_zip_holding_a_non_csv_file_is_refused_naming_it():
    with pytest.raises(ReportFileError, match=r"one file that is not a \.csv: 'report\.txt'"):
        read(zipped({"report.txt": REPORT}), name="r.zip")


def test_zip_holding_a_csv_and_another_file_is_refused():
    with pytest.raises(ReportFileError, match=r"'report\.csv', 'notes\.pdf'"):
        read(zipped({"report.csv": REPORT, "notes.pdf": b"%PDF"}), name="r.zip")


def test_empty_zip_is_refused():
    with pytest.raises(ReportFileError, match="holds nothing"):
        read(zipped({}), name="r.zip")


def test_zip_directories_and_macos_metadata_are_ignored():
    data = zipped({"reports/": b"", "reports/r.csv": REPORT, "__MACOSX/reports/._r.csv": b"\x00\x05"})
    reader, items = read(data, name="r.zip")
    assert reader.member_name == "reports/r.csv"
    assert len(rows_of(items)) == 2


def test_excel_workbook_gets_an_export_hint():
    workbook = zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    with pytest.raises(ReportFileError, match="export it as CSV"):
        read(workbook, name="report.xlsx")


def test_empty_file_is_refused():
    with pytest.raises(ReportFileError, match="The file is empty"):
        read(b"", name="report.csv")


def test_empty_gzip_is_refused():
    with pytest.raises(ReportFileError, match="no data"):
        read(gzipped(b""), name="report.csv.gz")


def test_corrupt_zip_is_refused():
    with pytest.raises(ReportFileError, match="not a readable zip archive"):
        read(b"PK\x03\x04" + b"garbage" * 10, name="r.zip")


def test_truncated_gzip_fails_as_a_file_error_during_iteration():
    big = a4_bytes(*(a4_row(f"v{i:010d}") for i in range(3000)))
    data = gzipped(big)[:-5000]
    reader = ReportReader(io.BytesIO(data), name="r.csv.gz")
    with pytest.raises(ReportFileError, match="damaged or cut short"):
        list(reader)


def test_gzip_bomb_is_refused_by_ratio_without_holding_the_data(tmp_path):
    # Streamed: a valid header and row start, then 200 MB of zeros, compressed 1 MB at a time.
    path = tmp_path / "bomb.csv.gz"
    zeros = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as bomb:
        bomb.write(b"video_id,video_title\ndQw4w9WgXcQ,")
        for _ in range(BOMB_MB):
            bomb.write(zeros)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        # Through a pipe, so the streaming check is what refuses it (not the size trailer).
        with (
            open(path, "rb") as stream,
            pytest.raises(ReportFileError, match=r"more than 200 times.*ratio over 200:1"),
        ):
            list(ReportReader(io.BufferedReader(NonSeekable(stream.read())), name=path.name))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak / 2**20:.1f} MiB"


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    path = tmp_path / "bomb.zip"
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("report.csv", "w", force_zip64=True) as member:
            member.write(b"video_id\n")
            for _ in range(BOMB_MB):
                member.write(zeros)
    tracemalloc.start()
    try:
        with (
            open(path, "rb") as stream,
            pytest.raises(ReportFileError, match=r"compression ratio of \d+:1, over the 200:1"),
        ):
            ReportReader(stream, name=path.name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_ratio_limit_applies_to_gzip_while_streaming():
    # Ordinary rows, but a limit of 2:1 makes any real compression a "bomb".
    data = gzipped(a4_bytes(*(a4_row(f"v{i:010d}") for i in range(20000))))
    with pytest.raises(ReportFileError, match="more than 2 times"):
        read_piped(data, name="r.csv.gz", max_compression_ratio=2)


def test_max_uncompressed_bytes_is_enforced_for_gzip():
    data = gzipped(a4_bytes(*(a4_row(f"v{i:010d}") for i in range(20000))))
    with pytest.raises(ReportFileError, match="decompresses to more than"):
        read_piped(data, name="r.csv.gz", max_uncompressed_bytes=1 << 20)


def test_max_file_bytes_is_enforced():
    data = a4_bytes(*(a4_row(f"v{i:010d}") for i in range(2000)))
    with pytest.raises(ReportFileError, match="larger than"):
        read(data, max_file_bytes=100_000)


def test_bytes_read_grows_with_compressed_bytes_consumed():
    # Random titles keep the compressed file bigger than gzip's 128 KB read-ahead.
    data = gzipped(a4_bytes(*(a4_row(f"v{i:010d}", video_title=os.urandom(24).hex()) for i in range(20000))))
    reader = ReportReader(io.BytesIO(data), name="r.csv.gz")
    seen = []
    for number, _ in enumerate(reader):
        if number % 5000 == 0:
            seen.append(reader.bytes_read)
    assert seen == sorted(seen) and seen[0] < seen[-1] <= len(data)
    assert reader.bytes_read == len(data)


def test_non_seekable_streams_work_for_plain_and_gzip():
    for data, name in [(REPORT, "r.csv"), (gzipped(REPORT), "r.csv.gz")]:
        reader = ReportReader(io.BufferedReader(NonSeekable(data)), name=name)
        assert _video_ids(list(reader)) == ["dQw4w9WgXcQ", "9bZkp7q19f0"]


def test_zip_from_a_non_seekable_stream_is_refused():
    data = zipped({"r.csv": REPORT})
    with pytest.raises(ReportFileError, match="seekable"):
        ReportReader(io.BufferedReader(NonSeekable(data)), name="r.zip")


def test_the_given_stream_is_left_open():
    stream = io.BytesIO(gzipped(REPORT))
    with ReportReader(stream, name="r.csv.gz") as reader:
        list(reader)
    assert not stream.closed


def test_limits_reject_a_record_size_below_one_kilobyte():
    with pytest.raises(ValueError):
        ReportLimits(max_record_bytes=10)


def test_gzip_with_a_damaged_header_is_refused():
    with pytest.raises(ReportFileError, match="gzip data is damaged"):
        read(b"\x1f\x8b" + b"garbage" * 20, name="r.csv.gz")
