"""The video's admin page shows its push history: the audit rows, newest first, limited, read-only."""

import re

import pytest
from django.urls import reverse

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.selectors import VIDEO_HISTORY_ROWS
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, SyncRecord

from .conftest import api_requests

pytestmark = pytest.mark.django_db


def _push_edit(video, user, **changes) -> ChangeSet:
    video_update(video=video, changes=changes, user=user)
    changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    changeset_push(changeset=changeset)
    return changeset


def _history(page: str) -> str:
    start = page.index('class="ytcms-sync-history"')
    return page[start : page.index("</table>", start)]


def test_the_video_page_lists_its_pushes_newest_first_with_every_audit_detail(
    client, emulator, catalogue, owner_a, alice, connect
):
    connect(owner_a)
    first = _push_edit(catalogue["a1_song"], alice, title="First title")
    second = _push_edit(catalogue["a1_song"], alice, tags=["night", "remaster"], embeddable=False)
    _push_edit(catalogue["a1_live"], alice, title="Another video")  # not this video's history
    newest = SyncRecord.objects.filter(video_id="a1song00001").order_by("-created_at", "-id").first()
    client.force_login(alice)

    page = client.get(reverse("admin:videos_video_change", args=["a1song00001"])).content.decode()

    history = _history(page)
    rows = re.findall(r"<tr class=\"ytcms-sync-(\w+)\">(.*?)</tr>", history, re.S)
    assert [status for status, _ in rows] == ["success", "success"]
    newest_row, oldest_row = rows[0][1], rows[1][1]
    # The newest attempt: both parts, the field-level before → after, etags, units, who and which set.
    assert reverse("admin:syncs_changeset_change", args=[second.pk]) in newest_row
    assert "<strong>tags</strong>: night → night, remaster" in newest_row
    assert "<strong>embeddable</strong>: True → False" in newest_row
    assert "snippet, status" in newest_row
    assert f"{newest.etag_before} → {newest.etag_after}" in newest_row and newest.etag_after
    assert newest.etag_after == emulator.state.video("a1song00001")["etag"]
    assert "<td>50</td>" in newest_row and "alice" in newest_row
    assert reverse("admin:syncs_changeset_change", args=[first.pk]) in oldest_row
    assert "<strong>title</strong>: Midnight Song → First title" in oldest_row
    assert "Another video" not in history
    assert len(api_requests(emulator, "youtube.videos.update")) == 3


def test_a_descriptions_line_breaks_show_in_the_fields_column(
    client, emulator, catalogue, owner_a, alice, connect
):
    # The trial saw them collapsed: the cell takes admin.css's td.ytcms-value (white-space: pre-wrap).
    connect(owner_a)
    _push_edit(catalogue["a1_song"], alice, description="Line one\nLine two")
    client.force_login(alice)

    page = client.get(reverse("admin:videos_video_change", args=["a1song00001"])).content.decode()

    (row,) = re.findall(r"<tr class=\"ytcms-sync-success\">(.*?)</tr>", _history(page), re.S)
    (fields,) = re.findall(r'<td class="ytcms-value">(.*?)</td>', row, re.S)
    assert "<strong>description</strong>:" in fields and "Line one\nLine two" in fields


def test_a_failed_attempt_shows_youtubes_reason(client, emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    emulator.state.fail_next({"status": 403, "reason": "forbidden", "match": "youtube.videos.update"})
    _push_edit(catalogue["a1_song"], alice, title="Refused")
    client.force_login(alice)

    page = client.get(reverse("admin:videos_video_change", args=["a1song00001"])).content.decode()

    (row,) = re.findall(r"<tr class=\"ytcms-sync-failed\">(.*?)</tr>", _history(page), re.S)
    assert "Failed (forbidden)" in row


def test_a_long_history_is_cut_to_the_newest_rows_with_a_link_to_all(client, catalogue, alice):
    video = catalogue["a1_song"]
    SyncRecord.objects.bulk_create(
        SyncRecord(video=video, user=alice, status=SyncRecord.Status.SUCCESS, message=f"attempt {n:02d}")
        for n in range(VIDEO_HISTORY_ROWS + 5)
    )
    client.force_login(alice)

    page = client.get(reverse("admin:videos_video_change", args=[video.pk])).content.decode()

    history = _history(page)
    assert history.count("<tr class=") == VIDEO_HISTORY_ROWS
    assert f"attempt {VIDEO_HISTORY_ROWS + 4:02d}" in history  # the newest
    assert "attempt 00" not in history  # the oldest is behind the link
    all_url = reverse("admin:syncs_syncrecord_changelist") + f"?video={video.pk}"
    assert f'href="{all_url}"' in page and f"All {VIDEO_HISTORY_ROWS + 5} in the audit trail" in page
    listing = client.get(all_url)
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == VIDEO_HISTORY_ROWS + 5


def test_history_is_read_only_and_hidden_from_outsiders(client, catalogue, alice, charlie):
    video = catalogue["a1_song"]
    SyncRecord.objects.create(video=video, user=alice, status=SyncRecord.Status.SUCCESS, message="kept")
    client.force_login(alice)
    page = client.get(reverse("admin:videos_video_change", args=[video.pk])).content.decode()
    assert 'name="push_history"' not in page and "kept" in _history(page)

    client.force_login(charlie)
    assert client.get(reverse("admin:videos_video_change", args=[video.pk])).status_code == 404
    listing = client.get(reverse("admin:syncs_syncrecord_changelist") + f"?video={video.pk}")
    assert listing.status_code == 200 and listing.context["cl"].result_count == 0


def test_a_video_never_pushed_says_so(client, catalogue, alice):
    client.force_login(alice)
    page = client.get(reverse("admin:videos_video_change", args=["a1live00001"])).content.decode()
    assert "Never pushed to YouTube from ytcms." in page
