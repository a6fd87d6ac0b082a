"""The server-rendered hooks the live scripts rely on: indicator, data attributes, script tags.

The browser test (tests/live/test_browser_live.py) proves the scripts work; these check, without a
browser, that each page carries what its script looks for, and nothing inline.
"""

import re

import pytest
from django.urls import reverse

from reports.models import Report, ReportRowError
from syncs.models import ChangeSet, ChangeSetItem

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


def _page(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_every_admin_page_of_staff_has_the_indicator_and_the_client(client, alice, catalogue):
    page = _page(client, alice, reverse("admin:videos_video_changelist"))
    assert 'id="ytcms-live"' in page and 'data-ws-path="/ws/live/"' in page
    assert "ytcms/live.js" in page and "ytcms/live.css" in page
    assert not INLINE_SCRIPT.search(page)


def test_the_login_page_opens_no_socket(client):
    page = client.get(reverse("admin:login")).content.decode()
    assert "ytcms/live.js" not in page and 'id="ytcms-live"' not in page


def test_video_rows_carry_their_id_and_sync_status(client, alice, catalogue):
    from syncs.changesets.edits import video_edit_in_changeset as video_update

    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Live)"}, user=alice)
    page = _page(client, alice, reverse("admin:videos_video_changelist"))
    assert "ytcms/live-videos.js" in page
    assert re.search(r'data-ytcms-video="a1song00001" data-sync-status="pending"', page)
    assert re.search(r'data-ytcms-video="a1live00001" data-sync-status="in_sync"', page)
    assert 'data-ytcms-video="b1secret001"' not in page  # charlie's video is not alice's to see


def test_a_failed_push_shows_on_the_badge_after_a_reload(client, alice, catalogue):
    from syncs.changesets.edits import video_edit_in_changeset as video_update

    video = catalogue["a1_live"]
    video_update(video=video, changes={"title": "Live at Dusk"}, user=alice)
    changeset = ChangeSet.objects.get(created_by=alice)
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.PARTLY_FAILED)
    ChangeSetItem.objects.filter(changeset=changeset).update(status=ChangeSetItem.Status.FAILED)

    page = _page(client, alice, reverse("admin:videos_video_changelist"))

    assert re.search(r'data-ytcms-video="a1live00001" data-sync-status="failed">push failed<', page)


def test_the_report_page_has_the_live_panel_and_an_error_table_while_running(client, alice, owner_a):
    report = Report.objects.create(content_owner=owner_a, status=Report.Status.RUNNING, original_name="r.csv")
    page = _page(client, alice, reverse("admin:reports_report_change", args=[report.pk]))
    assert "ytcms/live-report.js" in page
    assert f'id="ytcms-report-live" data-report-id="{report.pk}" data-status="running"' in page
    assert 'role="progressbar"' in page and 'aria-valuenow="0"' in page
    assert 'id="ytcms-report-errors"' in page  # rows found later are appended here
    assert f'data-ytcms-report="{report.pk}"' in page  # the read-only progress field
    assert not INLINE_SCRIPT.search(page)


def test_a_finished_report_page_shows_its_summary(client, alice, owner_a):
    report = Report.objects.create(
        content_owner=owner_a, status=Report.Status.DONE, rows_read=3, rows_imported=2, rows_rejected=1
    )
    ReportRowError.objects.create(report=report, line_number=4, column="video_id", reason="bad id")
    page = _page(client, alice, reverse("admin:reports_report_change", args=[report.pk]))
    assert "Done: 3 rows read, 2 imported, 0 unchanged, 1 rejected." in page
    assert "bad id" in page


def test_the_report_list_bars_are_addressable(client, alice, owner_a):
    report = Report.objects.create(content_owner=owner_a, status=Report.Status.QUEUED, original_name="q.csv")
    page = _page(client, alice, reverse("admin:reports_report_changelist"))
    assert "ytcms/live-report.js" in page
    assert f'data-ytcms-report="{report.pk}"' in page and 'class="ytcms-progress-fill"' in page


def test_the_change_set_page_marks_items_for_live_status(client, alice, catalogue):
    changeset = ChangeSet.objects.create(created_by=alice, status=ChangeSet.Status.QUEUED)
    item = ChangeSetItem.objects.create(
        changeset=changeset, video=catalogue["a1_song"], field="title", base_value="a", new_value="b"
    )
    page = _page(client, alice, reverse("admin:syncs_changeset_change", args=[changeset.pk]))
    assert "ytcms/live-changeset.js" in page
    assert f'id="ytcms-changeset-live" data-changeset-id="{changeset.pk}"' in page
    assert f'data-item-id="{item.pk}" data-video-id="a1song00001" data-field="title"' in page
    assert 'class="ytcms-item-status" data-status="pending"' in page
    assert 'id="ytcms-conflicts"' in page
