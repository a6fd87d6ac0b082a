"""Decompression bombs are refused before anything is imported; legitimate gzip files still import.

The bombs are built here with zlib, streaming, so a gigabyte of CSV takes about a megabyte on disk.
"""

import gzip
import hashlib
import io
import zipfile
import zlib

import pytest

from reports.models import Report, ReportRowError
from reports.parsing import ReportFileError, ReportReader, RowError
from reports.parsing.streams import BUFFER_BYTES, RATIO_CHECK_FLOOR_BYTES
from reports.pipeline import HashingStream
from reports.services import report_create_from_s3
from tests.reports.helpers import A4_HEADER, a4_row, csv_text
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, import_file  # noqa: F401
from tests.reports.test_s3_reports import PREFIX, bucket, moto_url  # noqa: F401
from tests.reports.test_streams import NonSeekable
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

GIB = 1 << 30
# One valid video, then rows that are each a row error (a bad video id, one cell): what a bomb
# looks like when it is meant to fill the catalogue and the row-error table before it is caught.
HEAD = csv_text([A4_HEADER, a4_row("dQw4w9WgXcQ")]).encode()
BAD_ROW = b"0" * 49 + b"\n"


def write_gzip_bomb(path, *, csv_bytes: int, head: bytes = HEAD, row: bytes = BAD_ROW):
    """A gzip file of `head` then `row` repeated to about `csv_bytes`, compressed as it is written."""
    block = row * ((1 << 20) // len(row))
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    with open(path, "wb") as out:
        out.write(compressor.compress(head))
        for _ in range(csv_bytes // len(block)):
            out.write(compressor.compress(block))
        out.write(compressor.flush())
    return path


def csv_of(*video_ids, notes="") -> bytes:
    header = [*A4_HEADER, "notes"] if notes else A4_HEADER
    return csv_text([header, *(a4_row(v) + ([notes] if notes else []) for v in video_ids)]).encode()


def ids(count, start=0):
    return [f"vid{i:08d}" for i in range(start, start + count)]


def test_a_gigabyte_gzip_bomb_is_refused_with_nothing_imported(tmp_path):
    path = write_gzip_bomb(tmp_path / "bomb.csv.gz", csv_bytes=GIB)
    assert path.stat().st_size < 4 << 20
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "decompression bomb" in report.message and "before reading any row" in report.message
    assert Video.objects.count() == 0
    assert ReportRowError.objects.count() == 0
    assert report.rows_read == 0


def test_a_gzip_bomb_over_the_uncompressed_limit_is_refused_by_its_trailer(tmp_path, settings):
    settings.REPORTS_MAX_COMPRESSION_RATIO = 100_000  # only the size limit can refuse it
    settings.REPORTS_MAX_UNCOMPRESSED_BYTES = 64 << 20
    report = import_file(write_gzip_bomb(tmp_path / "big.csv.gz", csv_bytes=128 << 20))
    assert report.status == Report.Status.FAILED
    assert "at least 134.2 MB (its size trailer says so), more than the 67.1 MB allowed" in report.message
    assert Video.objects.count() == 0 and ReportRowError.objects.count() == 0


def test_a_gzip_bomb_on_s3_is_refused_with_nothing_imported(tmp_path, bucket):  # noqa: F811
    path = write_gzip_bomb(tmp_path / "bomb.csv.gz", csv_bytes=256 << 20)
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}bomb.csv.gz", Body=path.read_bytes())
    report = report_create_from_s3(key=f"{PREFIX}bomb.csv.gz")
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert "decompression bomb" in report.message
    assert Video.objects.count() == 0 and ReportRowError.objects.count() == 0


def test_a_gzip_report_from_s3_keeps_its_sha256(bucket):  # noqa: F811
    body = gzip.compress(csv_of(*ids(3)))
    bucket.put_object(Bucket=bucket.name, Key=f"{PREFIX}r.csv.gz", Body=body)
    report = report_create_from_s3(key=f"{PREFIX}r.csv.gz")
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.message
    assert report.sha256 == hashlib.sha256(body).hexdigest()


def test_a_gzip_bomb_read_through_a_pipe_stops_within_the_first_megabyte(tmp_path):
    # No trailer to read: the streaming check refuses it, counting the compressed bytes zlib has
    # used (the gzip module's 128 KB read-ahead let 26 MB of rows through first).
    path = write_gzip_bomb(tmp_path / "bomb.csv.gz", csv_bytes=64 << 20)
    reader = ReportReader(io.BufferedReader(NonSeekable(path.read_bytes())), name=path.name)
    rows = 0
    with pytest.raises(ReportFileError, match="more than 200 times.*decompression bomb"):
        for item in reader:
            assert isinstance(item, RowError) or item.video_id == "dQw4w9WgXcQ"
            rows += 1
    assert rows * len(BAD_ROW) < RATIO_CHECK_FLOOR_BYTES + 2 * BUFFER_BYTES


def test_a_multi_member_bomb_whose_trailer_proves_nothing_is_refused_while_streaming(tmp_path):
    # The last member is small, so its ISIZE says nothing about the whole; the streaming check still
    # refuses the file.
    path = write_gzip_bomb(tmp_path / "bomb.csv.gz", csv_bytes=32 << 20)
    with open(path, "ab") as out:
        out.write(gzip.compress(b"0" * 100 + b"\n"))
    with open(path, "rb") as stream, pytest.raises(ReportFileError, match="more than 200 times"):
        list(ReportReader(stream, name=path.name))


def test_a_highly_compressible_report_under_the_ratio_limit_imports(tmp_path, settings):
    # 300 rows, each with 4 KB of one repeated character in an ignored column: about 1.2 MB that
    # compresses some hundred times.
    data = csv_of(*ids(300), notes="x" * 4000)
    compressed = gzip.compress(data, compresslevel=9)
    ratio = len(data) / len(compressed)
    assert len(data) > RATIO_CHECK_FLOOR_BYTES and ratio > 50
    path = tmp_path / "report.csv.gz"
    path.write_bytes(compressed)
    settings.REPORTS_MAX_COMPRESSION_RATIO = int(ratio) + 2  # the gzip trailer is a few bytes more
    report = import_file(path)
    assert report.status == Report.Status.DONE, report.message
    assert Video.objects.count() == 300


def test_the_same_report_over_the_ratio_limit_is_refused_by_its_trailer(tmp_path, settings):
    data = csv_of(*ids(300), notes="x" * 4000)
    compressed = gzip.compress(data, compresslevel=9)
    path = tmp_path / "report.csv.gz"
    path.write_bytes(compressed)
    settings.REPORTS_MAX_COMPRESSION_RATIO = len(data) // len(compressed)
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "size trailer says so" in report.message
    assert Video.objects.count() == 0


@pytest.mark.parametrize(
    "counts",
    [
        pytest.param([2500, 20], id="small-last-member"),
        pytest.param([20, 2500], id="large-last-member"),
        pytest.param([1000, 1000, 520], id="three-members"),
    ],
)
def test_a_multi_member_gzip_imports_every_member(tmp_path, counts):
    # gzip(1) concatenates members when files are appended (cat a.gz b.gz); zero padding after the
    # last one is allowed too. 1.3 MB of CSV compressing about 75 times, a real report's shape.
    notes = "x" * 400
    parts, start = [], 0
    for number, count in enumerate(counts):
        rows = [a4_row(v) + [notes] for v in ids(count, start)]
        parts.append(
            gzip.compress(csv_text([[*A4_HEADER, "notes"], *rows] if number == 0 else rows).encode())
        )
        start += count
    path = tmp_path / "report.csv.gz"
    path.write_bytes(b"".join(parts) + bytes(512))
    report = import_file(path)
    assert report.status == Report.Status.DONE, report.message
    assert Video.objects.count() == report.rows_imported == sum(counts)
    assert report.rows_rejected == 0


def test_a_zip_bomb_is_refused_with_nothing_imported(tmp_path):
    path = tmp_path / "bomb.zip"
    block = BAD_ROW * ((1 << 20) // len(BAD_ROW))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("report.csv", "w", force_zip64=True) as member:
            member.write(HEAD)
            for _ in range(256):
                member.write(block)
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "decompression bomb" in report.message
    assert Video.objects.count() == 0 and ReportRowError.objects.count() == 0


def test_reading_the_trailer_keeps_the_files_sha256():
    data = gzip.compress(csv_of(*ids(3)))
    hashing = HashingStream(io.BytesIO(data))
    with ReportReader(hashing, name="r.csv.gz") as reader:
        assert len(list(reader)) == 3
    assert hashing.sha256 == hashlib.sha256(data).hexdigest()
