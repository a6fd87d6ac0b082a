"""The daily report (#18): the next day's report, whose only change is every video's view count,
records the new counts and leaves everything else of the catalogue as it was, through any merge
engine: pending edits, drift marks, and every column an index is built on (updated_at among them,
which the API's "changed since" cursor reads), so the update touches no index.
"""

import copy
import csv

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from reports import events as report_events
from reports.merge_python import _catalogue_values
from reports.models import Report
from syncs.changesets.edits import video_edit_in_changeset as video_update
from tests.conftest import remote_state
from tests.reports.test_import_tenancy import engine  # noqa: F401  (fixture "engine")
from tests.reports.test_ingest_helpers import (
    assert_accounted,
    generated_fixture,  # noqa: F401  (fixture "generated")
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
    postgres_only,
    write_csv,
)
from tests.reports.test_ingest_pipeline import a4, small_report
from videos.models import Video
from videos.services import video_apply_remote_state

# Each test runs with the ORM merge, and with the set-based merge of its database too (fixture "engine").
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks", "engine")]

# Columns an index of videos_video is built on: Meta.indexes, and on PostgreSQL the trigram
# indexes of migration 0008 (title, search_keywords).
INDEXED = sorted(
    {
        Video._meta.get_field(name.lstrip("-")).attname
        for index in Video._meta.indexes
        for name in index.fields
    }
    | {"id", "title", "search_keywords"}
)
PENDING_AND_DRIFT = [
    "pending_fields",
    "has_pending_changes",
    "drifted_fields",
    "has_drift",
    "drift_detected_at",
]
KEPT = sorted({*INDEXED, *PENDING_AND_DRIFT, "remote_snapshot"})


def rewrite(source, target, change):
    """A copy of the a4 file with change(row: dict) applied to every row."""
    with open(source, newline="", encoding="utf-8") as handle:
        records = list(csv.reader(handle))
    header = records[0]
    rows = []
    for record in records[1:]:
        row = dict(zip(header, record, strict=True))
        change(row)
        rows.append([row[name] for name in header])
    return write_csv(target, [header, *rows])


def kept_state() -> dict[str, dict]:
    return {row["id"]: row for row in Video.objects.order_by("pk").values(*KEPT)}


def test_a_daily_report_changing_only_view_counts_leaves_pending_drift_and_indexed_columns_untouched(
    tmp_path, generated, owner_a
):
    day1 = generated("daily.csv", videos=120, seed=18)
    import_file(day1, content_owner=owner_a)
    videos = list(Video.objects.order_by("pk"))
    assert len(videos) == 120
    # Some videos with our own pending edits, some changed in Studio since (drift).
    editor = get_user_model().objects.create_user("editor")
    for video in videos[:10]:
        video_update(video=video, changes={"title": f"Our title {video.pk}"}, user=editor)
    studio = {video.pk for video in videos[5:20]}

    def studio_edit(row):
        if row["video_id"] in studio:
            row["video_title"] = "Renamed in Studio"

    today = rewrite(day1, tmp_path / "today.csv", studio_edit)
    import_file(today, content_owner=owner_a)
    before = kept_state()
    assert sum(row["has_pending_changes"] for row in before.values()) == 10
    assert sum(row["has_drift"] for row in before.values()) == 15
    views_before = dict(Video.objects.values_list("pk", "view_count"))

    def next_day(row):
        row["views"] = str(int(row["views"]) + 1000)

    report = import_file(rewrite(today, tmp_path / "next_day.csv", next_day), content_owner=owner_a)

    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert report.rows_rejected == 0 and report.videos_created == 0
    assert dict(Video.objects.values_list("pk", "view_count")) == {
        pk: views + 1000 for pk, views in views_before.items()
    }
    after = kept_state()
    moved = {pk: sorted(name for name in KEPT if row[name] != before[pk][name]) for pk, row in after.items()}
    assert {pk: names for pk, names in moved.items() if names} == {}


def test_another_owners_report_does_not_move_the_view_counts_of_as_videos(
    tmp_path, owner_b, channel_b1, channel_a1, make_video
):
    """The statistics path keeps the tenancy rule: B's report naming A's video is rejected."""
    theirs = make_video(channel_a1, video_id="aVideo00001", title="A's song")
    Video.objects.filter(pk=theirs.pk).update(view_count=7)
    before = Video.objects.filter(pk=theirs.pk).values().get()
    report = import_file(
        small_report(
            tmp_path,
            [a4("aVideo00001", title="A's song", channel=channel_b1.pk, views="999999"), a4("bVideo00001")],
        ),
        content_owner=owner_b,
    )
    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert report.rows_rejected == 1
    assert Video.objects.filter(pk=theirs.pk).values().get() == before


@postgres_only
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_views_only_daily_report_updates_every_video_in_place(tmp_path, generated, owner_a):
    """Each video's new counters fit on its own page: a heap-only update, which writes no index
    entry (committed chunks, as an import runs)."""
    day1 = generated("daily.csv", videos=120, seed=18)
    import_file(day1, content_owner=owner_a)

    def pages() -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, (ctid::text::point)[0]::bigint FROM videos_video")
            return dict(cursor.fetchall())

    before = pages()

    def next_day(row):
        row["views"] = str(int(row["views"]) + 1000)

    report = import_file(rewrite(day1, tmp_path / "day2.csv", next_day), content_owner=owner_a)
    assert report.status == Report.Status.DONE and report.videos_updated == 120, report.message
    moved = {pk: (page, pages()[pk]) for pk, page in before.items() if pages()[pk] != page}
    assert moved == {}


def test_a_daily_report_in_three_chunks_shows_rising_progress_before_it_ends(
    tmp_path, generated, owner_a, settings, monkeypatch
):
    """The bar moves during a day-2 import (#18: a pull ran 112 s at 0 %): each committed chunk
    publishes a frame between 0 and 100 and stores the counters the page reads, never ahead of
    the rows done."""
    day1 = generated("daily.csv", videos=120, seed=18)
    import_file(day1, content_owner=owner_a)

    def next_day(row):
        row["views"] = str(int(row["views"]) + 1000)

    day2 = rewrite(day1, tmp_path / "day2.csv", next_day)
    with open(day2, encoding="utf-8") as handle:
        rows = sum(1 for _ in handle) - 1
    settings.REPORTS_CHUNK_ROWS = rows // 3 + 5  # three chunks (cut at video boundaries)
    monkeypatch.setattr(report_events, "PROGRESS_SECONDS", 0)  # a frame per chunk, unthrottled
    frames = []

    def capture(kind, payload, **scope):
        if kind == "processing_update":
            stored = Report.objects.get(pk=payload["report_id"])  # what the reports list shows
            frames.append((payload["progress"], payload["done"], stored.rows_read, stored.progress_percent))

    monkeypatch.setattr(report_events, "publish", capture)

    report = import_file(day2, content_owner=owner_a)

    assert report.status == Report.Status.DONE and report.rows_read == rows, report.message
    assert frames[0][:3] == (0, False, 0) and frames[-1][:2] == (100, True)
    during = frames[1:-1]
    assert len(during) == 3, frames  # one per chunk
    assert all(0 < progress < 100 and not done for progress, done, _, _ in during), frames
    assert [frame[0] for frame in frames] == sorted(frame[0] for frame in frames)
    read = [frame[2] for frame in during]
    assert read == sorted(read) and 0 < read[0] < read[1] < rows, frames  # stored as it goes
    # Neither the frame nor the stored bar claims more than the rows committed (bytes and rows
    # grow together in this file, within a few per cent).
    assert all(
        progress <= 100 * read_so_far / rows + 5 and percent <= 100 * read_so_far / rows + 5
        for progress, _, read_so_far, percent in during
    ), frames


def test_recording_youtubes_state_replaces_a_videos_lists_and_dicts_never_changes_them_in_place(
    channel_a1, make_video
):
    """The ORM merge keeps a video's values by reference to compare them after
    video_apply_remote_state (merge_python._catalogue_values): an in-place change would make a
    changed video look unchanged."""
    video = make_video(channel_a1, tags=["music", "live"])
    video.tags.append("ours")  # a pending edit of the tags
    video.pending_fields = ["tags"]
    before = _catalogue_values(video)
    copies = {name: copy.deepcopy(value) for name, value in before.items()}

    video_apply_remote_state(
        video=video, remote=remote_state(tags=["music", "studio"], title="Renamed"), source="report"
    )

    assert before == copies
    assert _catalogue_values(video) != before
