"""report_ingest end to end on the embedded database and on PostgreSQL: layouts, compression,
bad rows, row accounting, idempotency, dry runs, drift, pending edits, scope, limits, resuming."""

import gzip
import zipfile

import pytest
from django.contrib.auth import get_user_model

from channels_app.models import Channel
from reports import pipeline
from reports.models import Report, ReportRowError
from reports.parsing import ReportReader, RowError
from reports.services import report_create_from_path, report_failed_rows_csv, report_ingest, report_rerun
from reports.staging import (
    CUSTOM_ID,
    ISRC,
    POLICY_RANK,
    REMOTE_INDEX,
    STAGED_WIDTH,
    group_by_video,
    policy_rank,
    with_video_aggregates,
)
from syncs.changesets.edits import video_edit_in_changeset as video_update
from tests.conftest import channel_id
from tests.reports.test_ingest_helpers import (
    FIXTURES,
    assert_accounted,
    catalogue_dump,
    generated_fixture,  # noqa: F401  (fixture "generated")
    generator_stats,
    immediate_tasks_fixture,  # noqa: F401  (fixture "immediate_tasks")
    import_file,
    report_counts,
    write_csv,
)
from videos.models import Asset, Claim, Policy, Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

HEADER = [
    "video_id",
    "channel_id",
    "claim_id",
    "asset_id",
    "custom_id",
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
CHANNEL = channel_id("r")


def a4(
    video_id,
    *,
    title="A title",
    claim="",
    asset="",
    policy="",
    privacy="public",
    views="42",
    channel=CHANNEL,
    **more,
):
    row = {
        "video_id": video_id,
        "channel_id": channel,
        "claim_id": claim,
        "asset_id": asset,
        "custom_id": more.get("custom_id", ""),
        "channel_display_name": "Report Channel",
        "claim_origin": more.get("origin", "Partner uploaded" if claim else ""),
        "claimed_by_this_owner": "True" if claim else "False",
        "content_type": "Audiovisual" if claim else "",
        "effective_policy": policy,
        "embedding_allowed": more.get("embeddable", "True"),
        "time_published": "2024/03/01 12:34:56",
        "video_length": more.get("length", "253"),
        "video_privacy_status": privacy,
        "video_title": title,
        "views": views,
    }
    return [row[column] for column in HEADER]


def _empty_catalogue():
    for model in (Claim, Video, Asset, Policy, Channel):
        model.objects.all().delete()


def small_report(tmp_path, rows, name="report.csv"):
    return write_csv(tmp_path / name, [HEADER, *rows])


# ---------------------------------------------------------------------------- layouts and files


@pytest.mark.parametrize(
    "fixture, layout",
    [
        ("content_owner_video_metadata_a4.synthetic.csv", "reporting_api"),
        ("studio_videos_report.synthetic.csv", "studio"),
        ("seed_layout.synthetic.csv", "seed"),
    ],
)
def test_every_layout_imports_with_every_row_accounted(fixture, layout):
    report = import_file(FIXTURES / fixture)
    assert report.status == Report.Status.DONE, report.message
    assert report.layout == layout
    assert_accounted(report)
    with open(FIXTURES / fixture, "rb") as stream:
        items = list(ReportReader(stream, name=fixture))
    assert report.rows_read == len(items)
    assert report.rows_rejected == sum(isinstance(item, RowError) for item in items)
    valid_ids = {item.video_id for item in items if not isinstance(item, RowError)}
    assert set(Video.objects.values_list("pk", flat=True)) == valid_ids
    assert report.videos_created == len(valid_ids)
    assert Video.objects.filter(remote_source="report", remote_snapshot__isnull=False).count() == len(
        valid_ids
    )


def test_seed_layout_tags_and_description_reach_the_snapshot():
    report = import_file(FIXTURES / "seed_layout.synthetic.csv")
    video = Video.objects.exclude(tags=[]).first()
    assert report.status == Report.Status.DONE
    assert video.remote_snapshot["tags"] == video.tags
    assert video.search_keywords == " | ".join(video.tags).upper()
    assert not video.has_pending_changes


@pytest.mark.parametrize("name", ["report.csv.gz", "report.zip"])
def test_gzip_and_zip_files_give_the_same_result_as_the_plain_csv(generated, name):
    plain = import_file(generated("plain.csv", videos=300, seed=3))
    expected = report_counts(plain)
    dump = catalogue_dump()
    _empty_catalogue()
    compressed = import_file(generated(name, videos=300, seed=3))
    assert compressed.status == Report.Status.DONE, compressed.message
    assert report_counts(compressed) == expected
    assert catalogue_dump()["Video"] == dump["Video"]


def test_a_zip_with_two_files_fails_with_a_clear_message(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "video_id\nabcdefghijk\n")
        archive.writestr("b.csv", "video_id\nabcdefghijk\n")
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "exactly one .csv" in report.message


def test_an_empty_file_fails_the_report_and_says_why(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert report.message == "The file is empty."
    assert Video.objects.count() == 0


# ---------------------------------------------------------------------------- bad rows


def test_dirty_file_rows_read_is_imported_plus_unchanged_plus_rejected(generated):
    path = generated("dirty.csv", videos=1500, seed=7, bad_rate=0.06)
    stats = generator_stats(path)
    report = import_file(path)
    assert report.status == Report.Status.DONE, report.message
    assert_accounted(report)
    assert report.rows_read == stats["rows"]
    # The generator's count of bad rows is an upper bound: a row it meant to break can come out
    # valid (its invalid-UTF-8 kind sometimes writes a valid sequence); the parser decides.
    assert 0.9 * sum(stats["bad"].values()) <= report.rows_rejected <= sum(stats["bad"].values())
    # The same lines the parser rejects, no more and no fewer.
    with open(path, "rb") as stream:
        parser_lines = [
            item.line_number for item in ReportReader(stream, name="dirty.csv") if isinstance(item, RowError)
        ]
    assert (
        list(report.row_errors.order_by("line_number").values_list("line_number", flat=True)) == parser_lines
    )


@pytest.mark.parametrize(
    "cells, column, reason_part",
    [
        ({"video_id": ""}, "video_id", "empty"),
        ({"video_id": "short"}, "video_id", "11 characters"),
        ({"time_published": "2024/13/45 99:99:99"}, "time_published", "date and time"),
        ({"video_length": "four minutes"}, "video_length", "duration"),
        ({"video_privacy_status": "semi-public"}, "video_privacy_status", "public, unlisted or private"),
        ({"views": "-12"}, "views", "negative"),
        ({"channel_id": "not-a-channel"}, "channel_id", "UC followed by 22"),
    ],
)
def test_each_kind_of_malformed_row_is_a_row_error_on_its_line(tmp_path, cells, column, reason_part):
    bad = dict(zip(HEADER, a4("abcdefghij2"), strict=True))
    bad.update(cells)
    path = small_report(tmp_path, [a4("abcdefghij1"), [bad[c] for c in HEADER], a4("abcdefghij3")])
    report = import_file(path)
    assert report.status == Report.Status.DONE
    assert (report.rows_read, report.rows_imported, report.rows_rejected) == (3, 2, 1)
    error = report.row_errors.get()
    assert error.line_number == 3
    assert error.column == column
    assert reason_part in error.reason
    assert error.raw[0] == bad["video_id"]


def test_wrong_column_count_and_invalid_utf8_are_row_errors_and_the_import_goes_on(tmp_path):
    good = write_csv(tmp_path / "x.csv", [HEADER, a4("abcdefghij1")]).read_bytes()
    data = good + b"abcdefghij2,only,three\n" + b"abcdefghij4," + "\u00e9".encode()[:1] + b"\xff,broken\n"
    data += write_csv(tmp_path / "y.csv", [a4("abcdefghij5")]).read_bytes()
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    report = import_file(path)
    assert report.status == Report.Status.DONE
    assert report.rows_read == 4 and report.rows_rejected == 2
    assert sorted(report.row_errors.values_list("line_number", flat=True)) == [3, 4]
    assert set(Video.objects.values_list("pk", flat=True)) == {"abcdefghij1", "abcdefghij5"}


def test_failed_rows_csv_holds_the_original_cells_with_an_error_column_and_no_live_formulas(tmp_path):
    path = small_report(tmp_path, [a4("abcdefghij1"), a4("=cmd|' /C calc'!A0", title="=HYPERLINK(1)")])
    report = import_file(path)
    text = "".join(report_failed_rows_csv(report=report))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("error,video_id,channel_id")
    assert lines[1].startswith("line 3: video_id '=cmd")
    assert "'=cmd" in lines[1] and "'=HYPERLINK(1)" in lines[1]


# ---------------------------------------------------------------------------- idempotency, dry runs


def test_importing_the_same_file_again_changes_nothing_and_says_so(generated):
    path = generated("twice.csv", videos=400, seed=11, bad_rate=0.02)
    first = import_file(path)
    before = catalogue_dump()
    updated_at = dict(Video.objects.values_list("pk", "updated_at"))
    second = import_file(path)
    assert second.status == Report.Status.DONE
    assert second.rows_imported == 0 and second.videos_created == second.videos_updated == 0
    assert second.videos_unchanged == first.videos_created
    assert second.rows_unchanged == first.rows_imported
    assert second.claims_upserted == second.assets_created == second.channels_created == 0
    assert second.message.startswith("Nothing changed")
    assert f"Same file as report #{first.pk}" in second.message
    assert catalogue_dump() == before
    assert dict(Video.objects.values_list("pk", "updated_at")) == updated_at


def test_dry_run_writes_nothing_and_previews_what_the_import_would_do(generated):
    path = generated("dry.csv", videos=300, seed=5, bad_rate=0.03)
    before = {model: model.objects.count() for model in (Video, Claim, Asset, Channel, Policy)}
    preview = import_file(path, dry_run=True)
    assert preview.status == Report.Status.DONE
    assert {model: model.objects.count() for model in before} == before
    assert preview.message.startswith("Preview only")
    assert len(preview.preview) == min(200, preview.videos_created)
    entry = preview.preview[0]
    assert entry["action"] == "create" and "title" in entry["changes"]
    real = import_file(path)
    assert report_counts(preview) == report_counts(real)
    assert ReportRowError.objects.filter(report=preview).count() == preview.rows_rejected


def test_preview_then_import_now_turns_the_preview_into_the_import(tmp_path):
    report = import_file(small_report(tmp_path, [a4("abcdefghij1")]), dry_run=True)
    assert not Video.objects.exists()
    report = report_rerun(report=report, dry_run=False)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE and not report.dry_run
    assert Video.objects.filter(pk="abcdefghij1").exists()


# ---------------------------------------------------------------------------- YouTube's state vs ours


def test_a_value_changed_in_studio_since_the_last_report_is_marked_as_drift(tmp_path):
    import_file(small_report(tmp_path, [a4("abcdefghij1", title="Old"), a4("abcdefghij2")], "one.csv"))
    report = import_file(
        small_report(tmp_path, [a4("abcdefghij1", title="New"), a4("abcdefghij2")], "two.csv")
    )
    drifted = Video.objects.get(pk="abcdefghij1")
    assert report.videos_updated == 1 and report.videos_unchanged == 1
    assert drifted.has_drift and drifted.drifted_fields == ["title"]
    assert drifted.title == "New" and drifted.remote_snapshot["title"] == "New"
    assert not Video.objects.get(pk="abcdefghij2").has_drift


def test_a_pending_local_edit_survives_an_import(tmp_path, django_user_model):
    user = django_user_model.objects.create_user("editor")
    import_file(small_report(tmp_path, [a4("abcdefghij1", title="From YouTube")], "one.csv"))
    video = Video.objects.get(pk="abcdefghij1")
    video_update(video=video, changes={"title": "Our title"}, user=user)
    # Same report again, then one where YouTube's title moved on: our edit stays pending.
    import_file(small_report(tmp_path, [a4("abcdefghij1", title="From YouTube")], "one.csv"))
    import_file(
        small_report(tmp_path, [a4("abcdefghij1", title="Changed in Studio", privacy="unlisted")], "two.csv")
    )
    video.refresh_from_db()
    assert video.title == "Our title"
    assert video.remote_snapshot["title"] == "Changed in Studio"
    assert video.pending_fields == ["title"] and video.has_pending_changes
    assert video.privacy_status == "unlisted"  # not edited here: follows YouTube
    assert video.drifted_fields == ["title", "privacy_status"]


def test_claims_assets_and_policies_are_upserted_and_the_most_restrictive_policy_wins(tmp_path):
    rows = [
        a4("abcdefghij1", claim="claim000001", asset="A00000000000001", policy="Monetize in all countries"),
        a4("abcdefghij1", claim="claim000002", asset="A00000000000002", policy="Block in all countries"),
        a4("abcdefghij2"),
    ]
    report = import_file(small_report(tmp_path, rows))
    video = Video.objects.get(pk="abcdefghij1")
    assert (report.claims_upserted, report.assets_created, report.channels_created) == (2, 2, 1)
    assert video.claimed_status == "claimed" and video.effective_policy == "Block in all countries"
    assert Video.objects.get(pk="abcdefghij2").claimed_status == "unclaimed"
    claim = Claim.objects.select_related("policy").get(pk="claim000002")
    assert claim.policy.name == "Block in all countries" and claim.is_partner_uploaded
    assert Policy.objects.count() == 2
    assert Channel.objects.get(pk=CHANNEL).title == "Report Channel"


# ---------------------------------------------------------------------------- scope


def test_rows_of_another_content_owners_channel_are_rejected(tmp_path, owner_a, channel_b1):
    rows = [a4("abcdefghij1"), a4("abcdefghij2", channel=channel_b1.pk)]
    report = import_file(small_report(tmp_path, rows), content_owner=owner_a)
    assert (report.rows_imported, report.rows_rejected) == (1, 1)
    error = report.row_errors.get()
    assert error.column == "channel_id" and "not a channel of this report's content owner" in error.reason
    assert Channel.objects.get(pk=CHANNEL).content_owner == owner_a
    assert not Video.objects.filter(pk="abcdefghij2").exists()


def test_an_existing_video_of_another_owner_is_not_touched(tmp_path, owner_a, channel_b1, make_video):
    make_video(channel_b1, video_id="abcdefghij9", title="B's video")
    report = import_file(small_report(tmp_path, [a4("abcdefghij9", title="Hijacked")]), content_owner=owner_a)
    assert report.rows_rejected == 1
    assert Video.objects.get(pk="abcdefghij9").title == "B's video"


# ---------------------------------------------------------------------------- limits


def test_a_gzip_bomb_fails_the_report_with_a_clear_message(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    with gzip.open(path, "wb") as bomb:
        bomb.write(b"video_id\n")
        for _ in range(40):
            bomb.write(b"0" * (1 << 20))
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "decompression bomb" in report.message
    assert not Video.objects.exists()


def test_a_zip_bomb_fails_the_report_with_a_clear_message(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.csv", b"video_id\n" + b"0" * (40 << 20))
    report = import_file(path)
    assert report.status == Report.Status.FAILED
    assert "decompression bomb" in report.message


def test_a_file_over_the_size_limit_is_refused(tmp_path, settings, generated):
    settings.REPORTS_MAX_FILE_BYTES = 10_000
    report = import_file(generated("limit.csv", videos=200, seed=2))
    assert report.status == Report.Status.FAILED
    assert "larger than" in report.message


# ---------------------------------------------------------------------------- resuming


class _Killed(BaseException):
    """Stands in for kill -9: nothing after it runs, not even except/finally of the service."""


def test_a_run_stopped_mid_file_resumes_after_its_checkpoint_with_exact_counts(
    generated, settings, monkeypatch
):
    settings.REPORTS_CHUNK_ROWS = 150
    path = generated("resume.csv", videos=700, seed=13, bad_rate=0.03)
    clean = import_file(path, dry_run=False)
    expected = report_counts(clean)
    expected_dump = catalogue_dump()
    _empty_catalogue()

    commits = {"n": 0}
    original = pipeline.ReportRun._commit_chunk

    def dying_commit(self, chunk):
        if commits["n"] == 3:
            raise _Killed()
        commits["n"] += 1
        return original(self, chunk)

    monkeypatch.setattr(pipeline.ReportRun, "_commit_chunk", dying_commit)
    report = report_create_from_path(path=str(path), enqueue=False)
    with pytest.raises(_Killed):
        report_ingest(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == Report.Status.RUNNING and report.checkpoint_line > 0
    assert_accounted(report)
    monkeypatch.setattr(pipeline.ReportRun, "_commit_chunk", original)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.QUEUED)  # what the reaper does
    report = report_ingest(report_id=report.pk)
    assert report.status == Report.Status.DONE and report.attempts == 2
    assert report_counts(report) == expected
    assert catalogue_dump() == expected_dump


def test_a_run_whose_token_was_taken_over_stops_without_writing(tmp_path):
    report = Report.objects.create(original_name="x.csv", status=Report.Status.QUEUED)
    run = pipeline.ReportRun(Report(pk=report.pk, run_token="old", dry_run=False))
    run.ctx = pipeline.MergeContext(
        report_id=report.pk,
        owner_id=None,
        dry_run=False,
        has_policy_column=False,
        fetched_at=None,
        preview_limit=0,
    )
    Report.objects.filter(pk=report.pk).update(run_token="new")
    with pytest.raises(pipeline.Superseded):
        run._commit_chunk(pipeline.Chunk(rows=[], errors=[], last_line=5, bytes_read=10))
    assert Report.objects.get(pk=report.pk).checkpoint_line == 0


def test_a_report_that_is_not_queued_is_not_run_twice(tmp_path):
    report = import_file(small_report(tmp_path, [a4("abcdefghij1")]))
    assert report_ingest(report_id=report.pk) is None


def test_row_errors_of_an_earlier_run_are_replaced_on_a_rerun(tmp_path):
    report = import_file(small_report(tmp_path, [a4("abcdefghij1"), a4("bad")]))
    assert report.rows_rejected == 1
    report = report_rerun(report=report)
    report.refresh_from_db()
    assert report.rows_rejected == 1 and report.row_errors.count() == 1


def test_created_by_is_kept(tmp_path):
    user = get_user_model().objects.create_user("importer")
    report = import_file(small_report(tmp_path, [a4("abcdefghij1")]), user=user)
    assert report.created_by == user


def test_stream_is_never_read_whole(tmp_path, monkeypatch):
    """The reader asks for bounded reads only (a whole-file read would be read(-1) or a huge size)."""
    sizes = []
    original = pipeline.HashingStream.read

    def spy(self, size=-1):
        sizes.append(size)
        return original(self, size)

    monkeypatch.setattr(pipeline.HashingStream, "read", spy)
    import_file(small_report(tmp_path, [a4(f"abcdefghi{i:02d}") for i in range(50)]))
    assert sizes and all(0 < size <= 1 << 20 for size in sizes)


def test_unknown_columns_are_reported_once_in_the_summary(tmp_path):
    path = write_csv(tmp_path / "extra.csv", [[*HEADER, "future_field_x"], [*a4("abcdefghij1"), "?"]])
    report = import_file(path)
    assert report.unknown_columns == ["future_field_x"]
    assert "Ignored unknown columns: future_field_x." in report.message


def test_staged_fields_cover_everything_the_parser_can_give():
    from reports.parsing.columns import remote_fields
    from reports.staging import REMOTE_FIELDS

    for layout in ("reporting_api", "studio", "seed"):
        assert {field for field, _ in remote_fields(layout).values()} <= set(REMOTE_FIELDS)


def test_the_sql_merges_one_pass_aggregates_follow_the_reference_grouping_rules():
    """with_video_aggregates (what the SQL merge reads) against group_by_video (the reference),
    on rows that repeat a video out of order, tie on policy rank and spread ISRCs over rows."""

    def row(line, video, claimed=None, policy=None, isrc=None, custom=None):
        values = [None] * STAGED_WIDTH
        values[:4] = [line, video, CHANNEL, "C"]
        staged = dict(zip(("claimed_status", "effective_policy"), (claimed, policy), strict=True))
        for name, value in staged.items():
            values[REMOTE_INDEX[name]] = value
        values[ISRC], values[CUSTOM_ID] = isrc or "", custom or ""
        values[POLICY_RANK] = policy_rank(policy) if policy else None
        return tuple(values)

    rows = [
        row(2, "v1", "unclaimed", "Track in all countries", custom="C1"),
        row(3, "v2", "claimed", "Monetize everywhere"),
        row(4, "v1", "claimed", "Block in some countries", isrc="USRC17607839"),
        row(5, "v1", None, "Block in all countries", isrc="GBAYE0000001"),
        row(6, "v2", "others", "Custom policy"),
        row(7, "v3"),
    ]
    aggregated = {r[1]: r[-5:] for r in with_video_aggregates(rows) if r[-5]}
    for group in group_by_video(rows, has_policy_column=True):
        is_first, claimed, policy, isrc, custom = aggregated[group.video_id]
        assert claimed == group.remote.get("claimed_status")
        assert (policy or "") == group.remote["effective_policy"]
        assert (isrc or "", custom or "") == (group.isrc, group.custom_id)
    assert aggregated["v1"][1:] == ("claimed", "Block in some countries", "USRC17607839", "C1")
    assert sum(1 for r in with_video_aggregates(rows) if r[-5]) == 3


def test_an_import_is_logged_with_its_duration_and_outcome(caplog):
    with caplog.at_level("INFO", logger="reports.services"):
        report = import_file(FIXTURES / "studio_videos_report.synthetic.csv")
    (line,) = [r.getMessage() for r in caplog.records if "import done in" in r.getMessage()]
    assert line.startswith(f"Report {report.pk} import done in ")
    assert " ms: " in line and f"{report.rows_read:,}" in line
