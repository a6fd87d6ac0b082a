"""The edit-sheet preview and apply stream: memory stays a fraction of the sheet, counts cover every
row, only REPORTS_PREVIEW_VIDEOS changes and problems are kept, and a cell longer than its field
is a row error instead of being held."""

import csv
import gzip
import io
import os
import tracemalloc

import pytest
from django.urls import reverse

from reports.parsing import ReportFileError
from reports.services import edit_sheet_apply, edit_sheet_preview
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, upload  # noqa: F401
from videos.models import Video

pytestmark = pytest.mark.django_db

ALICES = ["a1song00001", "a1live00001", "a2clip00001"]
UNKNOWN_ROWS = 1500


def big_sheet() -> tuple[bytes, int]:
    """A gzipped sheet: alice's 3 videos retitled, charlie's video, and 1,500 rows of unknown ids
    whose 20,000-character descriptions no video can hold. Returns (gzip bytes, decompressed size)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["video_id", "title", "description", "notes"])
    for video_id in ALICES:
        writer.writerow([video_id, f"New {video_id}", "", ""])
    writer.writerow(["b1secret001", "Taken", "", ""])
    for number in range(UNKNOWN_ROWS):
        # Random hex: it compresses about 2x, like real text, not like a bomb.
        writer.writerow([f"z{number:010d}", "", os.urandom(10_000).hex(), os.urandom(1_000).hex()])
    text = out.getvalue().encode()
    return gzip.compress(text, compresslevel=1), len(text)


def peak_bytes(function, **kwargs):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = function(**kwargs)
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_preview_memory_is_a_fraction_of_the_sheet(alice, catalogue, settings):
    settings.REPORTS_PREVIEW_VIDEOS = 2
    data, size = big_sheet()
    preview, peak = peak_bytes(edit_sheet_preview, stream=io.BytesIO(data), name="sheet.csv.gz", user=alice)
    assert size > 30 * 2**20
    assert peak < size / 4, f"peak {peak:,} bytes for a sheet of {size:,}"
    assert (preview.changing, preview.error_count, preview.unchanged) == (3, 1 + UNKNOWN_ROWS, 0)
    assert len(preview.changes) == 2 and len(preview.errors) == 2
    assert [error.raw for error in preview.errors] == [[], []]  # problems are kept without their cells


def test_a_cell_longer_than_its_field_is_a_row_error_that_does_not_hold_the_cell(alice, catalogue):
    data, _ = big_sheet()
    preview = edit_sheet_preview(stream=io.BytesIO(data), name="sheet.csv.gz", user=alice)
    (charlies,) = [error for error in preview.errors if error.video_id == "b1secret001"]
    assert charlies.reason == "video_id 'b1secret001' was not found."  # charlie's video is not hers
    long_one = preview.errors[1]
    assert long_one.column == "description"
    assert long_one.reason == "description is 20,000 characters; a description holds at most 5,000."
    assert len(long_one.value_excerpt) <= 100


def test_apply_streams_and_saves_only_the_valid_rows(alice, catalogue, settings):
    settings.REPORTS_PREVIEW_VIDEOS = 2
    data, size = big_sheet()
    result, peak = peak_bytes(edit_sheet_apply, stream=io.BytesIO(data), name="sheet.csv.gz", user=alice)
    assert peak < size / 4, f"peak {peak:,} bytes for a sheet of {size:,}"
    assert (result.updated, result.unchanged, result.failed_count, len(result.failed)) == (
        3,
        0,
        1 + UNKNOWN_ROWS,
        2,
    )
    assert [Video.objects.get(pk=pk).title for pk in ALICES] == [f"New {pk}" for pk in ALICES]
    assert Video.objects.get(pk="b1secret001").title == "Secret Midnight Demo"


def test_a_sheet_over_the_row_limit_found_halfway_saves_nothing(alice, catalogue, settings):
    settings.BULK_EDIT_MAX_VIDEOS = 600
    data, _ = big_sheet()
    with pytest.raises(ReportFileError, match="more than 600 rows"):
        edit_sheet_apply(stream=io.BytesIO(data), name="sheet.csv.gz", user=alice)
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"


@pytest.mark.usefixtures("immediate_tasks")
def test_the_admin_preview_counts_every_row_and_lists_the_first(client, alice, catalogue, settings):
    settings.REPORTS_PREVIEW_VIDEOS = 2
    data, _ = big_sheet()
    client.force_login(alice)
    page = client.post(
        reverse("admin:reports_report_edit_sheet"),
        {"step": "preview", "file": upload("sheet.csv.gz", data)},
    ).content.decode()
    assert "<strong>3</strong> videos would change." in page
    assert "<strong>1,501</strong> row problems" in page
    assert "Showing the first 2 of 1,501." in page and "Showing the first 2 of 3." in page
    assert "Save 3 changes as pending edits" in page
