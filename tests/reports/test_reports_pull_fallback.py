"""The Reporting API pull falls back to the previous report when the newest one fails for good."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from reports.models import Report
from reports.youtube_pull import SUPERSEDED_PREFIX, youtube_reports_pull
from syncs.models import YouTubeReportFile
from syncs.youtube.reporting import parse_api_time
from tests.syncs.conftest import api_requests, downloaded_reports, publish_report, pulls_at_once

A4 = "content_owner_video_metadata_a4"
State = YouTubeReportFile.State


def break_download(emulator, report_id: str, *, times: int) -> None:
    """Make the next `times` downloads of this one report answer 503 (the others still work)."""
    emulator.state.fail_next({"status": 503, "match": f"/reports/{report_id}"}, count=times)


def ledger_row(owner, published: dict, state: str, **fields) -> YouTubeReportFile:
    """A ledger row as an earlier run left it."""
    return YouTubeReportFile.objects.create(
        youtube_report_id=published["id"],
        content_owner=owner,
        job_id=published["jobId"],
        report_type_id=A4,
        create_time=parse_api_time(published["createTime"]),
        state=state,
        **fields,
    )


def superseded(report_id: str) -> str:
    return f"{SUPERSEDED_PREFIX}{report_id} (created …): only the newest daily report is imported."


@pytest.fixture
def given_up(emulator, pull_ready_owner):
    """r-old and r-prev skipped for r-bad, which then failed its three attempts (as an earlier run left them)."""
    old, prev, bad = (publish_report(emulator, name) for name in ("r-old", "r-prev", "r-bad"))
    ledger_row(pull_ready_owner, old, State.SKIPPED, reason=superseded("r-bad"))
    ledger_row(pull_ready_owner, prev, State.SKIPPED, reason=superseded("r-bad"))
    ledger_row(pull_ready_owner, bad, State.FAILED, attempts=3, reason="Backend Error")
    return old, prev, bad


def test_newest_failing_its_last_attempt_falls_back_to_the_previous_report_in_the_same_run(
    emulator, pull_ready_owner
):
    for name in ("r-old", "r-prev", "r-bad"):
        publish_report(emulator, name)
    break_download(emulator, "r-bad", times=3)

    youtube_reports_pull(owner_id="owner-a")
    youtube_reports_pull(owner_id="owner-a")
    third = youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    assert third.imported == [("r-prev", report.pk)] and report.youtube_report_id == "r-prev"
    assert (
        "report r-bad failed 3 times (last: youtubereporting.media.download: still failing after retries "
        f"(503 backendError: Backend Error)); imported the previous report r-prev as report #{report.pk} instead"
        in third.summary()
    )
    assert downloaded_reports(emulator) == ["r-bad", "r-bad", "r-bad", "r-prev"]
    rows = {row.youtube_report_id: row for row in YouTubeReportFile.objects.all()}
    assert (rows["r-bad"].state, rows["r-bad"].attempts) == (State.FAILED, 3)
    assert (rows["r-prev"].state, rows["r-prev"].report_id) == (State.IMPORTED, report.pk)
    assert rows["r-old"].state == State.SKIPPED
    assert rows["r-old"].reason.startswith(f"{SUPERSEDED_PREFIX}r-prev ")  # names what stands in now


def test_a_failure_before_the_last_attempt_does_not_fall_back(emulator, pull_ready_owner):
    for name in ("r-prev", "r-bad"):
        publish_report(emulator, name)
    break_download(emulator, "r-bad", times=2)

    youtube_reports_pull(owner_id="owner-a")
    second = youtube_reports_pull(owner_id="owner-a")

    assert downloaded_reports(emulator) == ["r-bad", "r-bad"]  # attempt 2 of 3: r-bad is retried next run
    assert second.imported == [] and second.owners[0].gave_up == []
    assert (
        "r-bad failed: youtubereporting.media.download" in second.summary()
        and "previous report" not in second.summary()
    )
    assert YouTubeReportFile.objects.get(youtube_report_id="r-prev").state == State.SKIPPED


def test_a_fresh_previous_report_is_imported_when_the_only_attempt_fails(
    emulator, pull_ready_owner, settings
):
    settings.REPORT_PULL_MAX_ATTEMPTS = 1
    for name in ("r-old", "r-prev", "r-bad"):
        publish_report(emulator, name)
    break_download(emulator, "r-bad", times=1)

    result = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in result.imported] == ["r-prev"]
    assert downloaded_reports(emulator) == ["r-bad", "r-prev"]
    old = YouTubeReportFile.objects.get(youtube_report_id="r-old")
    assert old.state == State.SKIPPED and old.reason.startswith(f"{SUPERSEDED_PREFIX}r-prev ")
    assert result.owners[0].skipped == [("r-old", old.reason)]
    assert not result.ok  # r-bad failed in this run: the command still exits non-zero


def test_a_run_finding_the_newest_already_failed_for_good_falls_back(emulator, given_up):
    result = youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    assert result.imported == [("r-prev", report.pk)] and result.ok
    assert (
        f"report r-bad failed 3 times; imported the previous report r-prev as report #{report.pk} instead"
        in result.summary()
    )
    assert downloaded_reports(emulator) == ["r-prev"]
    revived = YouTubeReportFile.objects.get(youtube_report_id="r-prev")
    assert (revived.state, revived.attempts, revived.reason) == (State.IMPORTED, 1, "")


def test_the_cursor_does_not_hide_a_skipped_report_that_may_stand_in(emulator, given_up):
    youtube_reports_pull(owner_id="owner-a")

    (listing,) = api_requests(emulator, "youtubereporting.jobs.reports.list")
    assert "createdAfter" not in listing["params"]  # r-old and r-prev are skipped, yet listed


def test_a_later_run_imports_nothing_twice(emulator, given_up):
    youtube_reports_pull(owner_id="owner-a")
    emulator.state.clear_requests()

    again = youtube_reports_pull(owner_id="owner-a")

    assert again.imported == [] and again.owners[0].gave_up == [] and again.ok
    assert downloaded_reports(emulator) == []
    (listing,) = api_requests(emulator, "youtubereporting.jobs.reports.list")
    prev = YouTubeReportFile.objects.get(youtube_report_id="r-prev")
    assert listing["params"]["createdAfter"].startswith(prev.create_time.strftime("%Y-%m-%dT%H:%M:%S"))
    assert Report.objects.count() == 1
    assert YouTubeReportFile.objects.get(youtube_report_id="r-old").state == State.SKIPPED


def test_the_next_new_report_is_imported_after_a_fallback(emulator, given_up):
    youtube_reports_pull(owner_id="owner-a")
    emulator.state.clear_requests()
    publish_report(emulator, "r-next")

    result = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in result.imported] == ["r-next"] and result.owners[0].gave_up == []
    assert downloaded_reports(emulator) == ["r-next"]


def test_a_report_older_than_an_imported_one_is_never_revived(emulator, pull_ready_owner):
    old, middle, bad = (publish_report(emulator, name) for name in ("r-old", "r-middle", "r-bad"))
    ledger_row(pull_ready_owner, old, State.SKIPPED, reason=superseded("r-middle"))
    ledger_row(pull_ready_owner, middle, State.IMPORTED, attempts=1)
    ledger_row(pull_ready_owner, bad, State.FAILED, attempts=3, reason="Backend Error")

    result = youtube_reports_pull(owner_id="owner-a")

    assert result.imported == [] and downloaded_reports(emulator) == []
    assert YouTubeReportFile.objects.get(youtube_report_id="r-old").state == State.SKIPPED


def test_when_every_report_fails_for_good_the_summary_says_nothing_stood_in(
    emulator, pull_ready_owner, settings
):
    settings.REPORT_PULL_MAX_ATTEMPTS = 1
    for name in ("r-prev", "r-bad"):
        publish_report(emulator, name)
        break_download(emulator, name, times=1)

    result = youtube_reports_pull(owner_id="owner-a")

    assert downloaded_reports(emulator) == ["r-bad", "r-prev"] and result.imported == []
    assert result.owners[0].gave_up == [("r-bad", 1), ("r-prev", 1)]
    assert "report r-bad failed 1 time (last: youtubereporting" in result.summary()
    assert "Backend Error)); report r-prev failed 1 time (last: " in result.summary()
    assert "no earlier report was imported" in result.summary()


def test_a_stand_in_another_run_is_downloading_is_not_downloaded(emulator, given_up):
    # Another run revived r-prev and is downloading it now.
    YouTubeReportFile.objects.filter(youtube_report_id="r-prev").update(
        state=State.DOWNLOADING, claim_token="other-run", heartbeat_at=timezone.now(), attempts=1, reason=""
    )

    result = youtube_reports_pull(owner_id="owner-a")

    assert result.owners[0].busy == ["r-prev"] and result.imported == []
    assert downloaded_reports(emulator) == []  # the walk stops at the busy report: r-old is not tried either
    assert "no earlier report was imported; 1 being downloaded by another run" in result.summary()


def test_command_says_it_fell_back(emulator, given_up, capsys):
    call_command("youtube_pull_reports", "--owner", "owner-a")

    report = Report.objects.get()
    out = capsys.readouterr().out
    assert (
        f"report r-bad failed 3 times; imported the previous report r-prev as report #{report.pk} instead"
        in out
    )


def test_dry_run_says_it_would_fall_back_and_writes_nothing(emulator, given_up):
    result = youtube_reports_pull(owner_id="owner-a", dry_run=True)

    assert "report r-bad failed 3 times; would import the previous report r-prev instead" in result.summary()
    assert downloaded_reports(emulator) == [] and not Report.objects.exists()
    assert YouTubeReportFile.objects.get(youtube_report_id="r-prev").state == State.SKIPPED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_falling_back_at_once_download_the_stand_in_once(
    emulator, owner_a, channel_a1, connect, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")
    settings.REPORT_PULL_MAX_ATTEMPTS = 3
    connect(owner_a)
    old, prev, bad = (publish_report(emulator, name) for name in ("r-old", "r-prev", "r-bad"))
    ledger_row(owner_a, old, State.SKIPPED, reason=superseded("r-bad"))
    ledger_row(owner_a, prev, State.SKIPPED, reason=superseded("r-bad"))
    ledger_row(owner_a, bad, State.FAILED, attempts=3, reason="Backend Error")
    results, errors = pulls_at_once(emulator, owner_id="owner-a", only_newest=True)

    assert errors == []
    assert downloaded_reports(emulator) == ["r-prev"]
    assert list(Report.objects.values_list("youtube_report_id", flat=True)) == ["r-prev"]
    assert [rid for result in results for rid, _ in result.imported] == ["r-prev"]
    assert YouTubeReportFile.objects.get(youtube_report_id="r-prev").attempts == 1
