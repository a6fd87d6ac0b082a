"""The Reporting API pull against the emulator over real HTTP: list, download, import exactly once."""

import gzip
import http.server
import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from devtools.youtube_emulator import reporting as emulator_reporting
from reports.models import Report
from reports.services import report_ingest
from reports.youtube_pull import youtube_reports_pull
from syncs.models import YouTubeCredential, YouTubeReportFile
from syncs.youtube.errors import PermanentError
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.reporting import StreamedDownload, reporting_download
from tests.syncs.conftest import CHANNEL_A1, REFRESH_TOKEN_A, REFRESH_TOKEN_B, api_requests, pulls_at_once
from videos.models import Video

A4 = "content_owner_video_metadata_a4"


def publish(emulator, **spec) -> dict:
    return emulator_reporting.publish_report(emulator.state, {"contentOwner": "owner-a", **spec})


def downloads(emulator) -> list[dict]:
    return api_requests(emulator, "youtubereporting.media.download")


def run_imports():
    for report in Report.objects.filter(status=Report.Status.QUEUED).order_by("pk"):
        report_ingest(report_id=report.pk)


@pytest.fixture
def connected(emulator, owner_a, channel_a1, connect):
    connect(owner_a)
    return owner_a


def test_pull_downloads_the_report_and_the_import_brings_its_videos(emulator, connected):
    published = publish(emulator)

    result = youtube_reports_pull(owner_id="owner-a")
    queued = DBTaskResult.objects.get(task_path="reports.tasks.report_ingest_task")
    run_imports()

    report = Report.objects.get()
    assert result.imported == [(published["id"], report.pk)]
    assert report.source == Report.Source.REPORTING_API
    assert report.task_id == str(queued.id) and queued.args_kwargs["args"] == [report.pk]
    assert report.youtube_report_id == published["id"]
    assert report.content_owner_id == "owner-a" and report.status == Report.Status.DONE
    assert report.rows_rejected == 0 and report.rows_read == 3
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"
    assert set(Video.objects.filter(channel__content_owner_id="owner-a").values_list("pk", flat=True)) == {
        "a1song00001",
        "a1live00001",
        "a2clip00001",
    }
    assert not Video.objects.filter(pk="b1secret001").exists()  # owner B's video is not in A's report
    ledger = YouTubeReportFile.objects.get()
    assert (ledger.state, ledger.report_id, ledger.report_type_id) == (
        YouTubeReportFile.State.IMPORTED,
        report.pk,
        A4,
    )


def test_listing_asks_for_system_managed_jobs_on_behalf_of_the_owner(emulator, connected):
    publish(emulator)

    youtube_reports_pull(owner_id="owner-a")

    (jobs_call,) = api_requests(emulator, "youtubereporting.jobs.list")
    assert jobs_call["params"]["includeSystemManaged"] == "true"
    assert jobs_call["params"]["onBehalfOfContentOwner"] == "owner-a"
    # Only the video metadata job's reports are listed, not the claims report's.
    listed = api_requests(emulator, "youtubereporting.jobs.reports.list")
    assert len(listed) == 1 and listed[0]["status"] == 200


def test_second_run_downloads_and_imports_nothing(emulator, connected):
    publish(emulator)
    youtube_reports_pull(owner_id="owner-a")

    again = youtube_reports_pull(owner_id="owner-a")

    assert again.imported == [] and again.owners[0].listed == 0
    assert len(downloads(emulator)) == 1
    assert Report.objects.count() == 1


def test_only_the_newest_report_is_imported_and_older_ones_are_skipped_with_the_reason(emulator, connected):
    old = publish(emulator, id="r-old")
    middle = publish(emulator, id="r-middle")
    newest = publish(emulator, id="r-newest")

    result = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in result.imported] == [newest["id"]]
    assert [d["path"].rsplit("/", 1)[-1] for d in downloads(emulator)] == ["r-newest"]
    skipped = YouTubeReportFile.objects.filter(state=YouTubeReportFile.State.SKIPPED)
    assert set(skipped.values_list("youtube_report_id", flat=True)) == {old["id"], middle["id"]}
    assert all("Superseded by report r-newest" in row.reason for row in skipped)
    assert Report.objects.get().youtube_report_id == "r-newest"


def test_a_later_run_lists_only_reports_created_after_the_last_one_seen(emulator, connected):
    first = publish(emulator, id="r-first")
    youtube_reports_pull(owner_id="owner-a")
    emulator.state.clear_requests()
    publish(emulator, id="r-second")

    result = youtube_reports_pull(owner_id="owner-a")

    (listing,) = api_requests(emulator, "youtubereporting.jobs.reports.list")
    created = YouTubeReportFile.objects.get(youtube_report_id=first["id"]).create_time
    assert listing["params"]["createdAfter"].startswith(created.strftime("%Y-%m-%dT%H:%M:%S"))
    assert [rid for rid, _ in result.imported] == ["r-second"]


def test_every_new_report_is_imported_oldest_first_when_asked(emulator, connected):
    for name in ("r-1", "r-2", "r-3"):
        publish(emulator, id=name)

    result = youtube_reports_pull(owner_id="owner-a", only_newest=False)

    assert [rid for rid, _ in result.imported] == ["r-1", "r-2", "r-3"]
    assert Report.objects.count() == 3


def test_the_download_is_gzip_on_the_wire_and_stored_compressed(emulator, connected, tmp_path):
    csv_text = "video_id,channel_id,video_title\n" + "".join(
        f"a1gz{n:07d},{CHANNEL_A1},Song number {n}\n" for n in range(2000)
    )
    published = publish(emulator, csv=csv_text)

    youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    assert report.original_name.endswith(".csv.gz")
    with report.file.open("rb") as handle:
        stored = handle.read()
    assert gzip.decompress(stored) == csv_text.encode()
    assert len(stored) < len(csv_text) / 3
    assert YouTubeReportFile.objects.get(youtube_report_id=published["id"]).bytes_downloaded == len(stored)
    run_imports()
    assert Video.objects.filter(pk__startswith="a1gz").count() == 2000


def test_reports_are_listed_across_pages(emulator, connected):
    for n in range(130):  # the emulator's page holds 100
        publish(emulator, id=f"r-{n:03d}", csv="video_id\n")

    result = youtube_reports_pull(owner_id="owner-a")

    pages = api_requests(emulator, "youtubereporting.jobs.reports.list")
    assert len(pages) == 2 and "pageToken" in pages[1]["params"]
    assert [rid for rid, _ in result.imported] == ["r-129"]
    assert YouTubeReportFile.objects.filter(state=YouTubeReportFile.State.SKIPPED).count() == 129


def test_a_report_another_run_is_downloading_is_not_downloaded(emulator, connected):
    published = publish(emulator)
    YouTubeReportFile.objects.create(
        youtube_report_id=published["id"],
        content_owner=connected,
        job_id=published["jobId"],
        report_type_id=A4,
        create_time=timezone.now(),
        state=YouTubeReportFile.State.DOWNLOADING,
        claim_token="other-run",
        heartbeat_at=timezone.now(),
        attempts=1,
    )

    result = youtube_reports_pull(owner_id="owner-a")

    assert result.owners[0].busy == [published["id"]] and result.imported == []
    assert downloads(emulator) == [] and not Report.objects.exists()


def test_a_killed_runs_stale_claim_is_taken_over(emulator, connected, settings):
    published = publish(emulator)
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_PULL_STALE_SECONDS + 60)
    YouTubeReportFile.objects.create(
        youtube_report_id=published["id"],
        content_owner=connected,
        job_id=published["jobId"],
        report_type_id=A4,
        create_time=timezone.now(),
        state=YouTubeReportFile.State.DOWNLOADING,
        claim_token="dead-run",
        heartbeat_at=long_ago,
        attempts=1,
    )

    result = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in result.imported] == [published["id"]]
    assert YouTubeReportFile.objects.get().attempts == 2


def test_a_failed_download_is_recorded_and_tried_again_by_the_next_run(emulator, connected, settings):
    settings.YOUTUBE_MAX_RETRIES = 0
    published = publish(emulator)
    emulator.state.fail_next({"status": 503, "match": "youtubereporting.media.download"})

    first = youtube_reports_pull(owner_id="owner-a")
    row = YouTubeReportFile.objects.get()
    second = youtube_reports_pull(owner_id="owner-a")

    assert first.owners[0].failed and "503" in first.owners[0].failed[0][1]
    assert row.state == YouTubeReportFile.State.FAILED
    assert [rid for rid, _ in second.imported] == [published["id"]]


def test_another_owners_account_gets_a_clear_403_message(emulator, connected, connect):
    connect(connected, refresh_token=REFRESH_TOKEN_B)  # account B is not a CMS user of owner A
    publish(emulator)

    result = youtube_reports_pull(owner_id="owner-a")

    error = result.owners[0].error
    assert "refused access (403" in error and "owner-a" in error and "Reconnect" in error
    assert not result.ok and downloads(emulator) == []


def test_a_revoked_grant_marks_the_owner_for_reauthorisation(emulator, connected):
    emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)
    YouTubeCredential.objects.filter(owner=connected).update(access_token="")
    publish(emulator)

    result = youtube_reports_pull(owner_id="owner-a")

    assert "invalid_grant" in result.owners[0].error and "Reconnect" in result.owners[0].error
    assert YouTubeCredential.objects.get(owner=connected).needs_reauthorisation


def test_an_owner_without_credential_is_reported_not_connected(emulator, owner_b):
    result = youtube_reports_pull(owner_id="owner-b")

    assert result.owners[0].error.startswith("not connected to YouTube")
    assert api_requests(emulator) == []


def test_all_owners_means_the_connected_ones(emulator, connected, owner_b):
    publish(emulator)

    result = youtube_reports_pull()

    assert [o.owner_id for o in result.owners] == ["owner-a"]


def test_a_download_url_on_another_host_is_refused_without_sending_the_token(emulator, connected, tmp_path):
    session = YouTubeSession.for_owner(connected)

    with pytest.raises(PermanentError) as refused, open(tmp_path / "x", "wb") as handle:
        reporting_download(
            session,
            report={"id": "r1", "downloadUrl": "http://attacker.example/v1/media/x"},
            destination=handle,
        )

    assert "not on the Reporting API's host" in refused.value.message


def test_reporting_calls_spend_the_reporting_quota_not_the_data_apis(emulator, connected):
    from syncs.models import QuotaLedger

    publish(emulator)
    youtube_reports_pull(owner_id="owner-a")

    ledger = {row.api: row.units_used for row in QuotaLedger.objects.all()}
    assert ledger == {"youtubereporting": 3}  # jobs.list, reports.list, media.download


def test_command_dry_run_says_what_it_would_do_and_writes_nothing(emulator, connected, capsys):
    publish(emulator, id="r-a")
    publish(emulator, id="r-b")

    call_command("youtube_pull_reports", "--owner", "owner-a", "--dry-run")

    out = capsys.readouterr().out
    assert "would import r-b" in out and "would skip r-a" in out
    assert not YouTubeReportFile.objects.exists() and not Report.objects.exists()
    assert downloads(emulator) == []


def test_command_imports_and_prints_the_report(emulator, connected, capsys):
    published = publish(emulator)

    call_command("youtube_pull_reports")

    report = Report.objects.get()
    assert f"imported {published['id']} as report #{report.pk}" in capsys.readouterr().out


def test_command_fails_with_the_message_when_youtube_refuses(emulator, connected, connect):
    connect(connected, refresh_token=REFRESH_TOKEN_B)

    with pytest.raises(CommandError, match=r"refused access \(403"):
        call_command("youtube_pull_reports", "--owner", "owner-a")


def test_command_refuses_an_unknown_owner(emulator, db):
    with pytest.raises(CommandError, match="No content owner 'nobody'"):
        call_command("youtube_pull_reports", "--owner", "nobody")


def test_task_pulls_and_returns_the_summary(emulator, connected):
    from reports.tasks import reports_pull_from_youtube

    publish(emulator)

    summary = reports_pull_from_youtube.call(owner_id="owner-a")

    assert "1 reports imported" in summary and Report.objects.count() == 1


def test_a_pull_queued_under_its_path_before_the_move_to_reports_still_runs(emulator, connected):
    """The queue stores a task's dotted path; rows queued before #17 name syncs.tasks."""
    from reports.tasks import reports_pull_from_youtube
    from reports.youtube_pull import LEGACY_PULL_TASK_PATH

    publish(emulator)
    queued = reports_pull_from_youtube.enqueue(owner_id="owner-a")
    DBTaskResult.objects.filter(pk=queued.id).update(task_path=LEGACY_PULL_TASK_PATH)

    summary = DBTaskResult.objects.get(pk=queued.id).task.call(owner_id="owner-a")

    assert LEGACY_PULL_TASK_PATH == "syncs.tasks.reports_pull_from_youtube"
    assert "1 reports imported" in summary and Report.objects.count() == 1


def test_admin_button_queues_the_pull_for_a_manager(emulator, connected, alice, client):
    client.force_login(alice)
    page = client.get(reverse("admin:channels_app_contentowner_change", args=["owner-a"]))

    response = client.post(reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]))

    assert "Fetch reports from YouTube now" in page.content.decode()
    assert response.status_code == 302
    task = DBTaskResult.objects.get(task_path="reports.tasks.reports_pull_from_youtube")
    assert task.args_kwargs["kwargs"] == {"owner_id": "owner-a"}


def test_admin_button_is_refused_to_a_viewer(emulator, connected, bob, client):
    client.force_login(bob)

    response = client.post(reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]))

    assert response.status_code in (403, 404)
    assert not DBTaskResult.objects.filter(task_path="reports.tasks.reports_pull_from_youtube").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_overlapping_runs_download_each_report_once(emulator, owner_a, channel_a1, connect):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")
    connect(owner_a)
    for n in range(3):
        publish(emulator, id=f"r-race-{n}")
    results, errors = pulls_at_once(emulator, owner_id="owner-a", only_newest=False)

    assert errors == []
    fetched = sorted(d["path"].rsplit("/", 1)[-1] for d in downloads(emulator))
    assert fetched == ["r-race-0", "r-race-1", "r-race-2"]
    assert sorted(Report.objects.values_list("youtube_report_id", flat=True)) == fetched
    assert sorted(rid for result in results for rid, _ in result.imported) == fetched


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A file host that records the headers it got; "/redirect" sends the client on to "/file"."""

    seen: list[dict] = []

    def do_GET(self):
        type(self).seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/file")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = gzip.compress(b"video_id\nfromredirect\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")  # a gzip file, not a gzip encoding
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_redirect_is_followed_without_the_token_to_another_host(emulator, connected, tmp_path):
    _Recorder.seen = []
    host = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    session = YouTubeSession.for_owner(connected)
    request = session.reporting.media().download_media(resourceName="")
    request.uri = f"http://127.0.0.1:{host.server_address[1]}/redirect"
    try:
        with open(tmp_path / "report.part", "wb") as handle:
            session.execute(StreamedDownload(request, destination=handle))
    finally:
        host.shutdown()

    first, second = _Recorder.seen
    assert first["authorization"].startswith("Bearer ") and first["accept-encoding"] == "gzip"
    assert second["path"] == "/file" and "authorization" not in second
    assert gzip.decompress((tmp_path / "report.part").read_bytes()) == b"video_id\nfromredirect\n"


def test_the_reaper_sees_a_pull_with_a_recent_download_as_alive(emulator, connected):
    from reports.youtube_pull import ReportsPullHandler

    now = timezone.now()
    YouTubeReportFile.objects.create(
        youtube_report_id="r-long",
        content_owner=connected,
        job_id="j",
        report_type_id=A4,
        create_time=now,
        state=YouTubeReportFile.State.DOWNLOADING,
        heartbeat_at=now - timedelta(minutes=5),
    )

    handler = ReportsPullHandler()

    assert handler.is_alive(None, threshold=now - timedelta(minutes=10))
    assert not handler.is_alive(None, threshold=now - timedelta(minutes=1))
