"""Small builders shared by the report parsing tests."""

import csv
import gzip
import io
import zipfile

from reports.parsing import ReportLimits, ReportReader, ReportRow, RowError

A4_HEADER = [
    "video_id",
    "channel_id",
    "claim_id",
    "asset_id",
    "custom_id",
    "category",
    "channel_display_name",
    "claim_origin",
    "claimed_by_this_owner",
    "content_type",
    "effective_policy",
    "embedding_allowed",
    "time_published",
    "video_length",
    "video_privacy_status",
    "video_title",
    "views",
]
CHANNEL = "UC" + "a" * 22


def a4_row(video_id="dQw4w9WgXcQ", **overrides) -> list[str]:
    row = {
        "video_id": video_id,
        "channel_id": CHANNEL,
        "claim_id": "",
        "asset_id": "",
        "custom_id": "",
        "category": "10",
        "channel_display_name": "Channel",
        "claim_origin": "",
        "claimed_by_this_owner": "False",
        "content_type": "",
        "effective_policy": "",
        "embedding_allowed": "True",
        "time_published": "2024/03/01 12:34:56",
        "video_length": "253",
        "video_privacy_status": "public",
        "video_title": "A title",
        "views": "42",
    }
    row.update(overrides)
    return [row[c] for c in A4_HEADER]


def csv_text(rows, lineterminator="\n") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=lineterminator).writerows(rows)
    return out.getvalue()


def a4_bytes(*rows, header=A4_HEADER) -> bytes:
    return csv_text([header, *rows]).encode()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read(data: bytes, name: str = "report.csv", **limits) -> tuple[ReportReader, list]:
    reader = ReportReader(io.BytesIO(data), name=name, limits=ReportLimits(**limits))
    return reader, list(reader)


def rows_of(items) -> list[ReportRow]:
    return [item for item in items if isinstance(item, ReportRow)]


def errors_of(items) -> list[RowError]:
    return [item for item in items if isinstance(item, RowError)]


def only_row(data: bytes, **kwargs) -> ReportRow:
    _, items = read(data, **kwargs)
    assert len(items) == 1 and isinstance(items[0], ReportRow), items
    return items[0]


def only_error(data: bytes, **kwargs) -> RowError:
    _, items = read(data, **kwargs)
    assert len(items) == 1 and isinstance(items[0], RowError), items
    return items[0]
