"""Dirty reports from both generators: every injected bad row is one RowError, and no row is lost.

How to count, from the generators' source (tests/reports/generators/):
- Data rows: gen_a4_report's stats "rows" (one row per claim, at least one per video);
  gen_cms_report's --rows (one row per video). Every data row is yielded exactly once, as a
  ReportRow or a RowError.
- gen_a4_report marks a *video* bad and corrupts only its first row: RowErrors = sum of "bad".
  Exception: invalid_utf8 inserts a 0xC3 byte before the title's UTF-8 bytes found in the CSV
  line; a title containing '"' is written quoted with doubled quotes, the search misses and
  the row stays valid (the video-id replacement has count 0 and never applies). The effective
  count is the number of lines that are not valid UTF-8 (a4 rows are one line each).
- gen_cms_report's duplicate_id copies an id from `recent_ids`, which holds the id each row was
  generated with, even when missing_id or duplicate_id replaced it in the file; such a copy
  is the only row with that id, so it is valid. The effective count is the number of rows
  whose id appeared on an earlier row, counted here with the csv module.
- gen_cms_report writes --stats only when --bad-rate > 0.
"""

import csv
import io
import json
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from reports.parsing import ReportReader, ReportRow, RowError

GENERATORS = Path(__file__).parent / "generators"

A4_KINDS = {
    "missing_id": lambda e: e.column == "video_id" and e.reason.endswith("is empty."),
    "bad_time": lambda e: e.column == "time_published",
    "bad_length": lambda e: e.column == "video_length",
    "column_count": lambda e: e.column == "" and "cells; the header has" in e.reason,
    "invalid_utf8": lambda e: "not valid UTF-8" in e.reason,
    "bad_privacy": lambda e: e.column == "video_privacy_status",
    "negative_views": lambda e: e.column == "views" and "negative" in e.reason,
    "huge_field": lambda e: e.column == "video_title" and "longer than 100,000 characters" in e.reason,
    "bad_category": lambda e: e.column == "category",
}
CMS_KINDS = {
    "missing_id": lambda e: e.column == "video_id" and e.reason.endswith("is empty."),
    "bad_date": lambda e: e.column == "time_published",
    "bad_duration": lambda e: e.column == "video_length",
    "column_count": lambda e: e.column == "" and "cells; the header has" in e.reason,
    "invalid_utf8": lambda e: "not valid UTF-8" in e.reason,
    "duplicate_id": lambda e: "earlier row" in e.reason,
    "huge_field": lambda e: e.column in ("video_title", "description") and "longer than 100,000" in e.reason,
}


def _generate(script: str, out: Path, *args: str) -> dict:
    stats = out.with_name(out.name + ".stats.json")
    subprocess.run(
        [sys.executable, str(GENERATORS / script), "--out", str(out), "--stats", str(stats), *args],
        check=True,
        capture_output=True,
    )
    return json.loads(stats.read_text()) if stats.exists() else {}


def _parse(path: Path) -> tuple[ReportReader, list]:
    with open(path, "rb") as stream:
        reader = ReportReader(stream, name=path.name)
        return reader, list(reader)


def _csv_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        import gzip

        return gzip.decompress(data)
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return archive.read(archive.namelist()[0])
    return data


def _lines_not_utf8(data: bytes) -> int:
    count = 0
    for line in data.split(b"\n"):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            count += 1
    return count


def _repeated_ids(data: bytes) -> int:
    csv.field_size_limit(10**7)
    rows = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""))
    next(rows)
    seen, repeats = set(), 0
    for row in rows:
        if row and row[0]:
            repeats += row[0] in seen
            seen.add(row[0])
    return repeats


def _check(items, data_rows: int, expected: dict, kinds: dict):
    errors = [i for i in items if isinstance(i, RowError)]
    assert len(items) == data_rows, "every data row is yielded once"
    assert all(isinstance(i, ReportRow | RowError) for i in items)
    assert len(errors) == sum(expected.values())
    by_kind = Counter(
        next((k for k, test in kinds.items() if test(e)), f"unexpected: {e.reason}") for e in errors
    )
    assert by_kind == +Counter(expected)
    lines = [i.line_number for i in items]
    assert lines == sorted(lines) and lines[0] >= 2


A4_CASES = [
    ("a4-plain.csv", ["--videos", "1500", "--seed", "1", "--bad-rate", "0.05"]),
    ("a4-studio-bom-crlf.csv.gz", ["--videos", "1500", "--seed", "2", "--variant", "studio", "--bad-rate", "0.15", "--bom", "--crlf"]),
    (
        "a4-shuffled.zip",
        ["--videos", "1500", "--seed", "3", "--bad-rate", "0.25", "--shuffle-columns", "--extra-columns",
         "--drop-columns", "eidr,engaged_views,upload_source,video_url"],
    ),
    (
        "a4-studio-everything.zip",
        ["--videos", "1000", "--seed", "4", "--variant", "studio", "--bad-rate", "0.1", "--shuffle-columns",
         "--bom", "--crlf", "--extra-columns", "--drop-columns", "third_party_video_id"],
    ),
    ("a4-clean.csv.gz", ["--videos", "1000", "--seed", "5"]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "args"), A4_CASES, ids=[c[0] for c in A4_CASES])
def test_a4_generator_bad_rows_are_exactly_the_row_errors(tmp_path, name, args):
    path = tmp_path / name
    stats = _generate("gen_a4_report.py", path, *args)
    reader, items = _parse(path)
    expected = dict(stats["bad"])
    expected["invalid_utf8"] = _lines_not_utf8(_csv_bytes(path))
    assert expected["invalid_utf8"] <= stats["bad"]["invalid_utf8"]
    _check(items, stats["rows"], expected, A4_KINDS)
    assert reader.layout == ("studio" if "studio" in args else "reporting_api")
    assert reader.unknown_columns == (["future_field_x"] if "--extra-columns" in args else [])
    claims = sum(1 for i in items if isinstance(i, ReportRow) and i.claim)
    assert claims <= stats["claim_rows"]


CMS_CASES = [
    ("cms-plain.csv", ["--rows", "2000", "--seed", "1", "--bad-rate", "0.05"], None),
    ("cms-gzip.csv.gz", ["--rows", "2000", "--seed", "2", "--bad-rate", "0.2", "--gzip"], None),
    ("cms-zipped.zip", ["--rows", "1500", "--seed", "3", "--bad-rate", "0.1"], "zip"),
    (
        "cms-huge-just-over.csv",
        ["--rows", "800", "--seed", "4", "--bad-rate", "0.3", "--huge-chars", "100001"],
        None,
    ),
    ("cms-clean.csv", ["--rows", "1000", "--seed", "5"], None),
]


@pytest.mark.parametrize(("name", "args", "wrap"), CMS_CASES, ids=[c[0] for c in CMS_CASES])
def test_cms_generator_bad_rows_are_exactly_the_row_errors(tmp_path, name, args, wrap):
    path = tmp_path / name
    generated = path.with_suffix(".csv") if wrap else path
    stats = _generate("gen_cms_report.py", generated, *args)
    if wrap:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(generated, "video_report.csv")
    reader, items = _parse(path)
    rows = int(args[args.index("--rows") + 1])
    expected = dict(stats.get("bad", {}))
    if expected:
        expected["duplicate_id"] = _repeated_ids(_csv_bytes(path))
        assert expected["duplicate_id"] <= stats["bad"]["duplicate_id"]
    _check(items, rows, expected, CMS_KINDS)
    assert reader.layout == "seed" and reader.unknown_columns == []


def test_cms_huge_field_of_exactly_max_field_chars_is_read(tmp_path):
    # 100,000 characters is allowed in a cell: a huge description is read; a huge title is still
    # an error, because Video.title holds 255 characters.
    path = tmp_path / "cms-huge-at-limit.csv"
    stats = _generate(
        "gen_cms_report.py",
        path,
        "--rows",
        "800",
        "--seed",
        "4",
        "--bad-rate",
        "0.3",
        "--huge-chars",
        "100000",
    )
    _, items = _parse(path)
    long_descriptions = [
        i for i in items if isinstance(i, ReportRow) and len(i.remote.get("description", "")) == 100_000
    ]
    huge_titles = [i for i in items if isinstance(i, RowError) and "longer than 255 characters" in i.reason]
    assert long_descriptions and huge_titles
    assert len(long_descriptions) + len(huge_titles) == stats["bad"]["huge_field"]
    expected = dict(stats["bad"], huge_field=len(huge_titles), duplicate_id=_repeated_ids(path.read_bytes()))
    _check(
        items, 800, expected, {**CMS_KINDS, "huge_field": lambda e: "longer than 255 characters" in e.reason}
    )


def test_generator_copies_are_byte_identical_to_the_shared_tools():
    shared = Path(__file__).resolve().parents[3] / "shared" / "tools"
    if not shared.is_dir():
        pytest.skip("../shared is not present")
    for script in ("gen_a4_report.py", "gen_cms_report.py"):
        assert (GENERATORS / script).read_bytes() == (shared / script).read_bytes(), script
