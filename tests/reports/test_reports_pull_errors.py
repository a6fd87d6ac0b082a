"""Download errors that are not the report's fault leave its attempts alone; a report gone at YouTube fails at once."""

from datetime import timedelta

from django.utils import timezone

from reports.models import Report
from reports.youtube_pull import GONE_REASON, youtube_reports_pull
from syncs.models import QuotaLedger, YouTubeCredential, YouTubeReportFile
from syncs.youtube.quota_clock import next_quota_reset
from tests.syncs.conftest import (
    ACCOUNT_A,
    CLIENT_ID,
    PROJECT,
    REFRESH_TOKEN_A,
    downloaded_reports,
    publish_report,
)

State = YouTubeReportFile.State


def report_row(report_id: str) -> YouTubeReportFile:
    return YouTubeReportFile.objects.get(youtube_report_id=report_id)


def next_day(emulator) -> None:
    """A new Pacific day on Google's side and in our quota ledger; the access token we hold has
    expired on ours too (else its first use is a 401, which Google charges a unit)."""
    emulator.state.clock.set(emulator.state.clock.now() + timedelta(days=1))
    QuotaLedger.objects.update(exhausted_at=None, units_used=0)
    YouTubeCredential.objects.update(access_token_expiry=timezone.now() - timedelta(minutes=1))


def test_our_quota_budget_running_out_three_days_running_uses_no_attempt(
    emulator, pull_ready_owner, settings
):
    publish_report(emulator, "r-new")
    # Listing takes the day's two units (jobs.list, reports.list); the download finds none left.
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 2, 0

    for day in range(3):
        result = youtube_reports_pull(owner_id="owner-a")

        owner = result.owners[0]
        row = report_row("r-new")
        assert (row.state, row.attempts) == (State.FAILED, 0), f"day {day + 1}"
        assert owner.failed == [] and owner.gave_up == [] and result.imported == []
        assert owner.waiting_until == next_quota_reset()
        assert "r-new not downloaded, quota exhausted until " in result.summary()
        assert "not counted as an attempt" in result.summary() and "PST" in result.summary()
        assert row.reason.startswith("Not downloaded, not counted as an attempt: quota exhausted until")
        assert not result.ok
        QuotaLedger.objects.update(units_used=0)  # our ledger's next Pacific day

    assert downloaded_reports(emulator) == []  # our ledger refused each download before sending it
    settings.YOUTUBE_DAILY_QUOTA = 10000
    back = youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    assert back.imported == [("r-new", report.pk)] and back.ok
    row = report_row("r-new")
    assert (row.state, row.attempts, row.reason) == (State.IMPORTED, 1, "")
    assert downloaded_reports(emulator) == ["r-new"]


def test_googles_reporting_quota_answer_three_days_running_uses_no_attempt(emulator, pull_ready_owner):
    publish_report(emulator, "r-new")
    # The Reporting API's own daily quota at Google: the listing fits, the download does not.
    emulator.state.set_quota_limit(2, api="youtubereporting", project=PROJECT)

    for day in range(3):
        result = youtube_reports_pull(owner_id="owner-a")

        row = report_row("r-new")
        assert (row.state, row.attempts) == (State.FAILED, 0), f"day {day + 1}"
        assert result.owners[0].failed == [] and result.imported == []
        # Google's 429 names the per-day limit: a quota answer, parked until the reset, not retried.
        assert "r-new not downloaded, quota exhausted until " in result.summary()
        assert result.owners[0].waiting_until == next_quota_reset()
        assert QuotaLedger.objects.get(api="youtubereporting").exhausted_at is not None
        QuotaLedger.objects.update(units_used=0, exhausted_at=None)  # our ledger's next Pacific day
        next_day(emulator)

    assert downloaded_reports(emulator) == ["r-new"] * 3
    emulator.state.set_quota_limit(10000, api="youtubereporting", project=PROJECT)
    back = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in back.imported] == ["r-new"] and back.ok
    assert (report_row("r-new").state, report_row("r-new").attempts) == (State.IMPORTED, 1)
    assert downloaded_reports(emulator) == ["r-new"] * 4 and Report.objects.count() == 1


def test_quota_on_a_reports_last_allowed_attempt_does_not_fail_it_for_good(
    emulator, pull_ready_owner, settings
):
    publish_report(emulator, "r-prev")
    publish_report(emulator, "r-new")
    emulator.state.fail_next({"status": 503, "match": "/reports/r-new"}, count=2)
    youtube_reports_pull(owner_id="owner-a")
    youtube_reports_pull(owner_id="owner-a")
    assert report_row("r-new").attempts == 2
    QuotaLedger.objects.update(units_used=0)  # our ledger's next Pacific day
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 2, 0

    quota_day = youtube_reports_pull(owner_id="owner-a")

    assert "r-new not downloaded, quota exhausted until" in quota_day.summary()
    assert (report_row("r-new").state, report_row("r-new").attempts) == (State.FAILED, 2)
    assert quota_day.owners[0].gave_up == [] and quota_day.imported == []  # no fallback to r-prev
    assert report_row("r-prev").state == State.SKIPPED
    settings.YOUTUBE_DAILY_QUOTA = 10000
    back = youtube_reports_pull(owner_id="owner-a")
    assert [rid for rid, _ in back.imported] == ["r-new"]
    assert report_row("r-new").attempts == 3


def test_a_grant_revoked_during_the_run_uses_no_attempt_and_the_report_waits_for_reconnection(
    emulator, pull_ready_owner, connect
):
    publish_report(emulator, "r-new")

    def revoke_before_the_download(line: str) -> None:
        # Listing went through; the owner removes ytcms's access before the download.
        emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)

    first = youtube_reports_pull(owner_id="owner-a", progress=revoke_before_the_download)

    row = report_row("r-new")
    assert (row.state, row.attempts) == (State.FAILED, 0)
    assert first.owners[0].failed == [] and first.owners[0].waiting_until is None and not first.ok
    assert "r-new not downloaded, needs re-authorisation" in first.summary()
    assert "Reconnect" in first.summary() and "not counted as an attempt" in first.summary()
    assert YouTubeCredential.objects.get(owner=pull_ready_owner).needs_reauthorisation

    for _ in range(2):  # two more days before someone reconnects
        next_day(emulator)
        waiting = youtube_reports_pull(owner_id="owner-a")
        assert "needs re-authorisation" in waiting.owners[0].error
        assert report_row("r-new").attempts == 0

    emulator.state.clear_requests()
    connect(
        pull_ready_owner,
        refresh_token=emulator.state.issue_refresh_token(client_id=CLIENT_ID, account=ACCOUNT_A),
    )
    back = youtube_reports_pull(owner_id="owner-a")

    assert [rid for rid, _ in back.imported] == ["r-new"] and back.ok
    assert (report_row("r-new").state, report_row("r-new").attempts) == (State.IMPORTED, 1)
    assert downloaded_reports(emulator) == ["r-new"]


def test_a_report_gone_at_youtube_fails_for_good_at_once_and_the_previous_is_imported(
    emulator, pull_ready_owner
):
    for name in ("r-old", "r-prev", "r-gone"):
        publish_report(emulator, name)
    emulator.state.fail_next(
        {
            "status": 404,
            "reason": "NOT_FOUND",
            "message": "Requested entity was not found.",
            "match": "/reports/r-gone",
        }
    )

    result = youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    assert result.imported == [("r-prev", report.pk)]
    assert downloaded_reports(emulator) == ["r-gone", "r-prev"]
    gone = report_row("r-gone")
    assert (gone.state, gone.attempts, gone.reason) == (State.GONE, 1, GONE_REASON)
    assert (
        "report r-gone is no longer available at YouTube (404); imported the previous report r-prev "
        f"as report #{report.pk} instead"
    ) in result.summary()
    assert report_row("r-old").reason.startswith("Superseded by report r-prev ")


def test_a_gone_report_is_never_downloaded_again(emulator, pull_ready_owner):
    for name in ("r-prev", "r-gone"):
        publish_report(emulator, name)
    emulator.state.fail_next({"status": 404, "reason": "NOT_FOUND", "match": "/reports/r-gone"})
    youtube_reports_pull(owner_id="owner-a")
    emulator.state.clear_requests()

    again = youtube_reports_pull(owner_id="owner-a")
    publish_report(emulator, "r-next")
    later = youtube_reports_pull(owner_id="owner-a")

    assert again.imported == [] and again.ok and downloaded_reports(emulator) == ["r-next"]
    assert [rid for rid, _ in later.imported] == ["r-next"]
    assert report_row("r-gone").attempts == 1 and Report.objects.count() == 2


def test_a_404_whose_reason_is_a_server_error_is_an_ordinary_attempt(emulator, pull_ready_owner):
    publish_report(emulator, "r-new")
    # Decided on the reason: this 404 says backendError, which is worth another try.
    emulator.state.fail_next({"status": 404, "reason": "backendError", "match": "/reports/r-new"})

    first = youtube_reports_pull(owner_id="owner-a")

    row = report_row("r-new")
    assert (row.state, row.attempts) == (State.FAILED, 1) and row.reason != GONE_REASON
    assert first.owners[0].gave_up == [] and first.owners[0].gone == []
    assert [rid for rid, _ in youtube_reports_pull(owner_id="owner-a").imported] == ["r-new"]
