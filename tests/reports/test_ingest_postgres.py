"""PostgreSQL only: the set-based SQL merge writes exactly what the Python reference writes, and
the pipelined import (merger thread on its own connection) gives the same result."""

import re
import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from channels_app.models import Channel
from reports import merge_postgres
from reports.models import Report
from reports.parsing import ReportReader, ReportRow
from reports.services import report_create_from_path, report_ingest
from syncs.changesets.edits import video_edit_in_changeset as video_update
from tests.conftest import remote_state
from tests.reports.test_ingest_helpers import (
    FIXTURES,
    assert_accounted,
    catalogue_dump,
    generated_fixture,  # noqa: F401  (fixture "generated")
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
    postgres_only,
    report_counts,
)
from videos.models import Asset, Claim, Policy, Video
from videos.services import video_create

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.usefixtures("immediate_tasks")]


def _rows(path, limit):
    with open(path, "rb") as stream:
        rows = [item for item in ReportReader(stream, name=path.name) if isinstance(item, ReportRow)]
    return rows[:limit]


def _prepared_catalogue(paths, user):
    """Videos of the files that already exist: some with other values (drift), some with edits."""
    for model in (Claim, Video, Asset, Policy, Channel):
        model.objects.all().delete()
    for path in paths:
        for n, row in enumerate(_rows(path, 60)):
            if Video.objects.filter(pk=row.video_id).exists():
                continue
            channel, _ = Channel.objects.get_or_create(pk=row.channel_id, defaults={"title": "Existing"})
            video = video_create(
                channel=channel,
                video_id=row.video_id,
                remote=remote_state(
                    title=f"Old title {n}", privacy_status="private", tags=["old", f"t{n % 3}"]
                ),
                source="api",
            )
            if n % 3 == 0:
                video_update(video=video, changes={"title": f"Our title {n}", "tags": ["ours"]}, user=user)
            if n % 5 == 0:
                video_update(video=video, changes={"artists": ["Somebody"], "isrc": ""}, user=user)
            if n % 7 == 0:
                Video.objects.filter(pk=video.pk).update(drifted_fields=["description"], has_drift=True)


def _run_all(paths, settings, *, engine, dry_run):
    settings.REPORTS_MERGE_ENGINE = engine
    reports = [import_file(path, dry_run=dry_run) for path in paths]
    messages = [re.sub(r"report #\d+", "report #N", r.message) for r in reports]
    return [
        (report_counts(r), r.preview, r.status, m) for r, m in zip(reports, messages, strict=True)
    ], catalogue_dump()


@pytest.mark.django_db
@pytest.mark.parametrize("dry_run", [False, True])
def test_sql_merge_writes_exactly_what_the_python_reference_writes(generated, settings, dry_run):
    settings.REPORTS_CHUNK_ROWS = 97  # many chunks, boundaries in odd places
    user = get_user_model().objects.create_user("editor")
    paths = [
        generated("equal.csv", videos=900, seed=21, bad_rate=0.03),
        FIXTURES / "seed_layout.synthetic.csv",
        generated("equal.csv", videos=900, seed=21, bad_rate=0.03),  # again: everything unchanged
    ]
    _prepared_catalogue(paths[:2], user)
    python_reports, python_dump = _run_all(paths, settings, engine="python", dry_run=dry_run)
    _prepared_catalogue(paths[:2], user)
    Report.objects.all().delete()
    sql_reports, sql_dump = _run_all(paths, settings, engine="auto", dry_run=dry_run)
    assert sql_reports == python_reports
    assert sql_dump == python_dump
    if not dry_run:
        assert python_dump["drift_marked"], "the prepared catalogue should have drifted"
        assert any(video[0] for video in Video.objects.values_list("has_pending_changes"))
        assert python_reports[2][0]["rows_imported"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pipelined_import_gives_the_same_catalogue_as_the_reference(generated, settings):
    settings.REPORTS_CHUNK_ROWS = 400
    path = generated("pipelined.csv", videos=2500, seed=31, bad_rate=0.02)
    settings.REPORTS_MERGE_ENGINE = "python"
    reference = import_file(path)
    expected_dump = catalogue_dump()
    for model in (Claim, Video, Asset, Policy, Channel):
        model.objects.all().delete()
    settings.REPORTS_MERGE_ENGINE = "auto"
    progress = []
    report = report_create_from_path(path=str(path), enqueue=False)
    report = report_ingest(report_id=report.pk, on_progress=progress.append)  # outside any transaction
    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert report_counts(report) == report_counts(reference)
    assert catalogue_dump() == expected_dump
    assert len(progress) >= 5 and progress[-1]["rows_read"] == report.rows_read


def _import_watching_statements(path, monkeypatch, on_statement) -> Report:
    """Import the file, showing every merge statement to on_statement(sql) before it runs."""
    real_run = merge_postgres._run

    def watched_run(cursor, sql, params=None):
        on_statement(sql)
        return real_run(cursor, sql, params)

    monkeypatch.setattr(merge_postgres, "_run", watched_run)
    try:
        return import_file(path)
    finally:
        monkeypatch.setattr(merge_postgres, "_run", real_run)


@pytest.mark.django_db
def test_a_chunk_of_new_videos_is_inserted_without_the_merge_tables(generated, settings, monkeypatch):
    settings.REPORTS_CHUNK_ROWS = 150
    path = generated("fresh.csv", videos=400, seed=37, bad_rate=0)
    statements = []
    report = _import_watching_statements(path, monkeypatch, statements.append)
    assert report.status == Report.Status.DONE, report.message
    assert report.videos_created == Video.objects.count() == 400
    assert report.rows_imported == report.rows_read
    fresh = [sql for sql in statements if sql == merge_postgres._INSERT_FRESH_VIDEOS_SQL[0]]
    assert len(fresh) >= 3  # every chunk took the direct insert...
    assert not any(f"INSERT INTO {merge_postgres.NEW_VIDEOS}" in sql for sql in statements)  # no merge table

    # The same file again: every video exists, so the general path compares (and writes nothing).
    statements.clear()
    again = _import_watching_statements(path, monkeypatch, statements.append)
    assert again.rows_imported == 0 and again.videos_unchanged == 400
    assert any(f"INSERT INTO {merge_postgres.NEW_VIDEOS}" in sql for sql in statements)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_video_created_by_someone_else_during_the_direct_insert_is_merged_the_general_way(
    generated, settings, monkeypatch
):
    settings.REPORTS_CHUNK_ROWS = 10_000
    path = generated("race.csv", videos=300, seed=41, bad_rate=0)
    first = _rows(path, 1)[0]
    channel = Channel.objects.create(pk=first.channel_id, title="Existing")
    raced = []

    def create_elsewhere():
        try:
            video_create(
                channel=channel,
                video_id=first.video_id,
                remote=remote_state(title="Made elsewhere"),
                source="api",
            )
        finally:
            connections.close_all()

    def race(sql):
        if not raced and sql == merge_postgres._INSERT_FRESH_VIDEOS_SQL[0]:
            # Another writer commits one of the chunk's videos between the probe and the insert.
            raced.append(True)
            other = threading.Thread(target=create_elsewhere)
            other.start()
            other.join()

    report = _import_watching_statements(path, monkeypatch, race)
    assert raced == [True]
    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert (report.videos_created, report.videos_updated) == (299, 1)
    assert Video.objects.count() == 300
    assert Video.objects.get(pk=first.video_id).title == first.remote["title"]


def _existing_asset_and_claim(row):
    """An asset and a claim the file's first claimed row names, already in the catalogue on a video
    the file does not list (the claim moved to one of the file's new videos)."""
    for model in (Claim, Video, Asset, Policy, Channel):
        model.objects.all().delete()
    channel = Channel.objects.create(pk="UC" + "x" * 22, title="Elsewhere")
    other = video_create(channel=channel, video_id="zzzzzzzzzz9", remote=remote_state(), source="api")
    asset = Asset.objects.create(pk=row.claim["asset_id"], isrc="", custom_id="")
    Claim.objects.create(
        pk=row.claim["id"], video=other, asset=asset, content_type="audio", status="inactive"
    )


@pytest.mark.django_db
def test_new_videos_naming_an_existing_asset_and_claim_write_what_the_reference_writes(generated, settings):
    path = generated("known-asset.csv", videos=200, seed=43, bad_rate=0)
    row = next(r for r in _rows(path, 50) if r.claim)
    results = {}
    for engine in ("python", "auto"):
        settings.REPORTS_MERGE_ENGINE = engine
        _existing_asset_and_claim(row)
        report = import_file(path)
        assert report.status == Report.Status.DONE, report.message
        results[engine] = (report_counts(report), catalogue_dump())
    assert results["auto"] == results["python"]
    counts, dump = results["auto"]
    assert counts["assets_created"] == counts["claims_upserted"] - 1  # the asset existed, its claim moved
    claim = Claim.objects.get(pk=row.claim["id"])
    assert (claim.video_id, claim.status) == (row.video_id, "active")


@pytest.mark.django_db
def test_a_next_day_report_writes_what_the_reference_writes_with_counters_apart(
    generated, settings, monkeypatch, tmp_path
):
    """Day 2 (new views on every video, new comments, a few titles, a pending edit, a drift): the
    videos whose only change is their counters take the counters-only path, and the catalogue and
    every count are what the ORM merge gives."""
    from tests.reports.test_ingest_daily import rewrite  # noqa: PLC0415  (a helper of that module)

    settings.REPORTS_CHUNK_ROWS = 97
    day1 = generated("counters.csv", videos=400, seed=43, bad_rate=0)
    user = get_user_model().objects.create_user("editor")

    def next_day(row):
        row["views"] = str(int(row["views"] or 0) + 17)
        if row["video_id"][-1] in "AB":
            row["comments"] = str(int(row["comments"] or 0) + 2)
        if row["video_id"][-1] in "xyz":
            row["video_title"] += " (day 2)"

    day2 = rewrite(day1, tmp_path / "counters_day2.csv", next_day)

    def run(engine):
        for model in (Claim, Video, Asset, Policy, Channel):
            model.objects.all().delete()
        settings.REPORTS_MERGE_ENGINE = engine
        import_file(day1)
        edited = Video.objects.order_by("pk")[:6]
        for video in edited[:3]:
            video_update(video=video, changes={"title": f"Ours {video.pk}"}, user=user)
        Video.objects.filter(pk__in=[video.pk for video in edited[3:]]).update(
            drifted_fields=["description"], has_drift=True
        )
        statements = []
        report = _import_watching_statements(day2, monkeypatch, statements.append)
        assert report.status == Report.Status.DONE, report.message
        assert_accounted(report)
        return report_counts(report), catalogue_dump(), statements

    python_counts, python_dump, _ = run("python")
    sql_counts, sql_dump, statements = run("auto")
    assert sql_counts == python_counts
    assert sql_dump == python_dump
    assert python_counts["videos_updated"] > 300 and python_counts["rows_imported"] > 300
    assert statements.count(merge_postgres._UPDATE_COUNTERS_SQL) >= 3  # the counters-only path ran
