"""What a Reporting API pull found is kept per owner and shown on the owner's page (also "nothing").

The button "Fetch reports from YouTube now" queues the pull; the person who clicked it must learn
what it found on that page, also when it found nothing, failed or waits for quota: the pull writes
one ReportsPullOutcome per owner (the page reads it on load) with its audit row. The live frame is
tested in tests/live/test_reports_pull_events.py, the click in a browser in
tests/live/test_reports_pull_browser.py.
"""

import pytest
from django.urls import reverse

from core.audit.models import AuditEvent
from devtools.youtube_emulator import reporting as emulator_reporting
from reports.models import Report, ReportsPullOutcome
from reports.youtube_pull import youtube_reports_pull
from tests.syncs.conftest import REFRESH_TOKEN_B


def publish(emulator, **spec) -> dict:
    return emulator_reporting.publish_report(emulator.state, {"contentOwner": "owner-a", **spec})


@pytest.fixture
def connected(emulator, owner_a, channel_a1, connect):
    connect(owner_a)
    return owner_a


def owner_page(client, user, owner_id="owner-a"):
    client.force_login(user)
    return client.get(reverse("admin:channels_app_contentowner_change", args=[owner_id]))


def test_a_pull_that_finds_nothing_records_that_it_found_nothing(emulator, connected):
    youtube_reports_pull(owner_id="owner-a")

    outcome = ReportsPullOutcome.objects.get()
    assert (outcome.content_owner_id, outcome.failed) == ("owner-a", False)
    assert outcome.summary == "owner-a: 0 new reports listed; imported nothing."
    audit = AuditEvent.objects.get(event_type=AuditEvent.Type.REPORTS_PULLED)
    assert (audit.content_owner_id, audit.object_id, audit.old) == ("owner-a", "owner-a", None)
    assert audit.new == {"summary": outcome.summary, "failed": False}
    assert audit.actor_label == "Reporting API pull"


def test_a_pull_that_imports_records_the_report_and_replaces_the_last_outcome(emulator, connected):
    youtube_reports_pull(owner_id="owner-a")
    published = publish(emulator)

    youtube_reports_pull(owner_id="owner-a")

    report = Report.objects.get()
    outcome = ReportsPullOutcome.objects.get()
    assert (
        outcome.summary == f"owner-a: 1 new report listed; imported {published['id']} as report #{report.pk}."
    )
    assert not outcome.failed
    second = AuditEvent.objects.filter(event_type=AuditEvent.Type.REPORTS_PULLED).order_by("id").last()
    assert second.old == {"summary": "owner-a: 0 new reports listed; imported nothing.", "failed": False}


def test_a_pull_youtube_refuses_records_the_error(emulator, connected, connect):
    connect(connected, refresh_token=REFRESH_TOKEN_B)  # account B is not a CMS user of owner A

    youtube_reports_pull(owner_id="owner-a")

    outcome = ReportsPullOutcome.objects.get()
    assert outcome.failed and "refused access (403" in outcome.summary


def test_a_dry_run_records_nothing(emulator, connected):
    publish(emulator)

    youtube_reports_pull(owner_id="owner-a", dry_run=True)

    assert not ReportsPullOutcome.objects.exists()
    assert not AuditEvent.objects.filter(event_type=AuditEvent.Type.REPORTS_PULLED).exists()


def test_the_scheduled_pull_of_every_owner_records_each_connected_one(emulator, connected, owner_b, connect):
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)

    youtube_reports_pull()

    assert sorted(ReportsPullOutcome.objects.values_list("content_owner_id", flat=True)) == [
        "owner-a",
        "owner-b",
    ]


def test_the_owner_page_says_never_fetched_then_what_the_last_fetch_found(emulator, connected, alice, client):
    before = owner_page(client, alice).content.decode()
    youtube_reports_pull(owner_id="owner-a")
    after = owner_page(client, alice).content.decode()

    assert "Last fetch from YouTube: Never fetched" in before
    assert "ytcms/live-reports-pull.js" in before
    finished_at = ReportsPullOutcome.objects.get().finished_at
    assert 'id="ytcms-reports-pull"' in after and 'data-content-owner="owner-a"' in after
    assert (
        f"Last fetch from YouTube: {finished_at:%Y-%m-%d %H:%M:%S} UTC — "
        "owner-a: 0 new reports listed; imported nothing."
    ) in after


def test_the_button_says_the_result_will_appear_on_the_page(emulator, connected, alice, client):
    client.force_login(alice)

    response = client.post(
        reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]), follow=True
    )

    assert "What the fetch found (also when it finds nothing) will appear on this page." in (
        response.content.decode()
    )


def test_charlie_can_neither_see_alices_owner_page_nor_fetch_for_it(emulator, connected, charlie, client):
    youtube_reports_pull(owner_id="owner-a")

    page = owner_page(client, charlie)
    fetch = client.post(reverse("admin:channels_app_contentowner_youtube_pull_reports", args=["owner-a"]))

    assert page.status_code == 404 and fetch.status_code == 404
    assert "imported nothing" not in page.content.decode()
    assert "Never fetched" in owner_page(client, charlie, "owner-b").content.decode()  # his own owner


def test_a_pull_waiting_for_quota_records_the_wait_as_not_ok(emulator, connected, settings):
    publish(emulator)
    # Listing takes the day's two units (jobs.list, reports.list); the download finds none left.
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 2, 0

    youtube_reports_pull(owner_id="owner-a")

    outcome = ReportsPullOutcome.objects.get()
    assert outcome.failed and "not downloaded, quota exhausted until " in outcome.summary
    assert not Report.objects.exists()
