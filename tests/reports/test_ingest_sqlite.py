"""SQLite only: the set-based SQLite merge (merge_sqlite) writes exactly what the Python reference
writes, a daily report's videos whose counters alone moved never reach the Python merge, and a run
killed in the middle of a chunk's merge resumes exactly."""

import pytest
from django.contrib.auth import get_user_model

from reports import merge_python, merge_sqlite, pipeline
from reports.models import Report
from reports.services import report_create_from_path, report_ingest
from tests.reports.test_ingest_daily import rewrite
from tests.reports.test_ingest_helpers import (
    FIXTURES,
    assert_accounted,
    catalogue_dump,
    generated_fixture,  # noqa: F401  (fixture "generated")
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
    report_counts,
    sqlite_only,
)
from tests.reports.test_ingest_pipeline import _empty_catalogue, _Killed
from tests.reports.test_ingest_postgres import _prepared_catalogue, _run_all
from videos.models import Claim, Video

pytestmark = [sqlite_only, pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def next_day(row):
    """YouTube's next day: new views everywhere, every 9th video renamed, every 13th re-policed,
    every 17th asset's ISRC filled in, every 11th claim gone."""
    row["views"] = str(int(row["views"] or 0) + 1000)
    number = sum(map(ord, row["video_id"]))
    if number % 9 == 0:
        row["video_title"] = f"Renamed {row['video_title']}"
    if number % 13 == 0 and row.get("effective_policy"):
        row["effective_policy"] = "Block in all countries"
    if row.get("asset_id") and sum(map(ord, row["asset_id"])) % 17 == 0 and not row.get("isrc"):
        row["isrc"] = "GBXYZ2600001"
    if row.get("claim_id") and sum(map(ord, row["claim_id"])) % 11 == 0:
        row["claim_id"] = ""


@pytest.mark.parametrize("dry_run", [False, True])
def test_sqlite_merge_writes_exactly_what_the_python_reference_writes(generated, settings, tmp_path, dry_run):
    settings.REPORTS_CHUNK_ROWS = 97  # many chunks, boundaries in odd places
    settings.REPORTS_MERGE_ENGINE = "auto"
    assert pipeline.merge_engine() == "sqlite"
    user = get_user_model().objects.create_user("editor")
    dirty = generated("equal.csv", videos=900, seed=21, bad_rate=0.03)
    day1 = generated("day1.csv", videos=600, seed=23)
    paths = [
        dirty,
        FIXTURES / "seed_layout.synthetic.csv",
        dirty,  # again: everything unchanged
        day1,
        rewrite(day1, tmp_path / "day2.csv", next_day),
    ]
    _prepared_catalogue(paths[:2], user)
    python_reports, python_dump = _run_all(paths, settings, engine="python", dry_run=dry_run)
    _prepared_catalogue(paths[:2], user)
    Report.objects.all().delete()
    sqlite_reports, sqlite_dump = _run_all(paths, settings, engine="auto", dry_run=dry_run)
    assert sqlite_reports == python_reports
    assert sqlite_dump == python_dump
    if not dry_run:
        assert python_dump["drift_marked"], "the prepared catalogue should have drifted"
        assert any(video[0] for video in Video.objects.values_list("has_pending_changes"))
        assert python_reports[2][0]["rows_imported"] == 0
        day2 = python_reports[4][0]
        assert day2["videos_updated"] > 500 and day2["claims_upserted"] > 0, day2


def test_a_views_only_daily_report_sends_no_video_through_the_python_merge(
    generated, tmp_path, owner_a, monkeypatch
):
    """A row whose catalogue values did not change costs a comparison in SQL, not a Python merge;
    the renamed ones (and only they) go through video_apply_remote_state."""
    day1 = generated("daily.csv", videos=120, seed=18)
    import_file(day1, content_owner=owner_a)
    merged = []
    real_merge_videos = merge_python.merge_videos

    def watched(groups, *args, **kwargs):
        merged.extend(group.video_id for group in groups)
        return real_merge_videos(groups, *args, **kwargs)

    monkeypatch.setattr(merge_python, "merge_videos", watched)

    def views(row):
        row["views"] = str(int(row["views"]) + 1000)

    report = import_file(rewrite(day1, tmp_path / "views.csv", views), content_owner=owner_a)
    assert report.status == Report.Status.DONE and report.videos_updated == 120, report.message
    assert_accounted(report)
    assert merged == []

    renamed = sorted(Video.objects.values_list("pk", flat=True))[::10]

    def rename(row):
        if row["video_id"] in renamed:
            row["video_title"] = "Renamed in Studio"

    report = import_file(rewrite(day1, tmp_path / "renamed.csv", rename), content_owner=owner_a)
    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert sorted(merged) == renamed
    assert report.videos_updated == 120  # the views went back to day 1's: every video's counters moved
    assert set(Video.objects.filter(has_drift=True).values_list("pk", flat=True)) == set(renamed)
    assert Claim.objects.filter(status=Claim.Status.INACTIVE).count() == 0


def test_a_run_killed_in_the_middle_of_a_chunks_merge_leaves_nothing_of_it_and_resumes_exactly(
    generated, settings, tmp_path, owner_a, monkeypatch
):
    """The chunk's videos are written, then the process dies before its assets and claims: the
    chunk's transaction (temporary tables included) is gone whole, and the re-run gives the
    catalogue and counts of an uninterrupted day 1 and day 2."""
    settings.REPORTS_CHUNK_ROWS = 150
    day1 = generated("kill-day1.csv", videos=500, seed=19)
    day2 = rewrite(day1, tmp_path / "kill-day2.csv", next_day)
    expected = [report_counts(import_file(path, content_owner=owner_a)) for path in (day1, day2)]
    expected_dump = catalogue_dump()
    _empty_catalogue()

    real_refuse = merge_sqlite.refuse_other_owners_rows
    calls = {"n": 0}

    def dying_refuse(**kwargs):
        calls["n"] += 1
        if calls["n"] == 7:  # the fourth chunk, after its videos were written
            raise _Killed()
        return real_refuse(**kwargs)

    for number, path in enumerate((day1, day2)):
        calls["n"] = 0
        monkeypatch.setattr(merge_sqlite, "refuse_other_owners_rows", dying_refuse)
        report = report_create_from_path(path=str(path), content_owner=owner_a, enqueue=False)
        with pytest.raises(_Killed):
            report_ingest(report_id=report.pk)
        report.refresh_from_db()
        assert report.status == Report.Status.RUNNING and report.checkpoint_line > 0
        assert_accounted(report)
        monkeypatch.setattr(merge_sqlite, "refuse_other_owners_rows", real_refuse)
        Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)  # what the reaper does
        report = report_ingest(report_id=report.pk)
        assert report.status == Report.Status.DONE and report.attempts == 2, report.message
        assert report_counts(report) == expected[number]
    assert catalogue_dump() == expected_dump
