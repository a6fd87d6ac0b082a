"""What the change-set page says once a conflict is settled, and what the audit trail keeps.

A Chromium trial found (csfix): *Overwrite with ours* left the change set "Queued" with no push
task (nothing happened until Push was pressed again); *Keep YouTube's* left "Done", the conflict's
error message and a Revert button that had nothing to revert, and no audit row said YouTube's value
was kept; the admin's item inline repeated the preview table without following a push, and "Pushed
at" stayed empty until a reload. The pages are driven as a browser drives them (each button posts
what its form holds; see test_changeset_page.press).
"""

import html as html_text
import re

import pytest
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from syncs.changesets.scheduling import PUSH_TASK_PATH
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from tests.conftest import browser
from tests.syncs.test_changeset_audit import _history_rows
from tests.syncs.test_changeset_page import (
    item_of,
    messages_of,
    page_of,
    press,
    text_of,
)

pytestmark = pytest.mark.django_db


def push_tasks_waiting() -> int:
    return DBTaskResult.objects.filter(task_path=PUSH_TASK_PATH, status=TaskResultStatus.READY).count()


def press_push(client, changeset, commits):
    """The Push button; `commits`: django_capture_on_commit_callbacks (the task is queued on commit)."""
    client.get(reverse("admin:index"))
    with commits(execute=True):
        return client.post(
            reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"]),
            {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        )


def test_overwrite_with_ours_waits_for_push_and_says_so(
    conflicted, alice, django_capture_on_commit_callbacks
):
    """Nothing is queued by a resolution: the change set is Approved (ready to push) with its Push
    button, until Push queues the task; a conflict resolved while that push waits stays Queued."""
    client = browser(alice)
    song, live = item_of(conflicted, "a1song00001"), item_of(conflicted, "a1live00001")

    response = press(client, conflicted, "overwrite", item=str(song.pk))

    assert messages_of(response) == [
        "1 conflict resolved: ours replace YouTube's when the change set is pushed."
    ]
    conflicted.refresh_from_db()
    # Ready to push what was settled (the live video's conflict still shows with its buttons).
    assert conflicted.status == ChangeSet.Status.APPROVED and push_tasks_waiting() == 0
    press(client, conflicted, "overwrite", item=str(live.pk))
    conflicted.refresh_from_db()
    assert conflicted.status == ChangeSet.Status.APPROVED and push_tasks_waiting() == 0
    page = client.get(page_of(conflicted))
    html = page.content.decode()
    assert '<div class="readonly">Approved</div>' in html and "Queued" not in text_of(page)
    assert 'form="ytcms-act-push" value="Push to YouTube"' in html
    row = html_text.unescape(re.search(rf'<tr data-item-id="{song.pk}".*?</tr>', html, re.S).group(0))
    assert "Pending: ours replaces YouTube's at the next push" in row
    assert "Changed on YouTube" not in row

    press_push(client, conflicted, django_capture_on_commit_callbacks)

    conflicted.refresh_from_db()
    assert conflicted.status == ChangeSet.Status.QUEUED and push_tasks_waiting() == 1


def test_a_conflict_overwritten_while_a_push_waits_stays_queued(
    conflicted, alice, django_capture_on_commit_callbacks
):
    """Push pressed with one conflict still open: the waiting push sends the field overwritten later."""
    changeset = conflicted
    client = browser(alice)
    press(client, changeset, "overwrite", item=str(item_of(changeset, "a1song00001").pk))
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.APPROVED and push_tasks_waiting() == 0
    press_push(client, changeset, django_capture_on_commit_callbacks)
    assert push_tasks_waiting() == 1

    press(client, changeset, "overwrite", item=str(item_of(changeset, "a1live00001").pk))

    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.QUEUED and push_tasks_waiting() == 1


def test_keep_youtubes_reads_as_kept_is_audited_and_offers_no_revert(conflicted, alice, charlie):
    client = browser(alice)
    song = item_of(conflicted, "a1song00001")

    press(client, conflicted, "keep_theirs", all="1")

    conflicted.refresh_from_db()
    assert conflicted.status == ChangeSet.Status.DONE
    song.refresh_from_db()
    assert (song.status, song.error_message) == (ChangeSetItem.Status.SKIPPED, "")
    page = client.get(page_of(conflicted))
    html = page.content.decode()
    row = html_text.unescape(re.search(rf'<tr data-item-id="{song.pk}".*?</tr>', html, re.S).group(0))
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[4:6] == ["Theirs song", "Kept YouTube's value"]
    assert "Changed on YouTube" not in text_of(page)
    assert 'value="Revert"' not in html  # nothing of it reached YouTube
    # The settlement is in the audit trail: who kept which value, on the video's page and the API.
    record = SyncRecord.objects.get(video_id="a1song00001", status=SyncRecord.Status.RESOLVED)
    assert (record.user, record.changeset_id) == (alice, conflicted.pk)
    assert record.fields == {"title": {"theirs": "Theirs song", "ours": "Ours song", "kept": "theirs"}}
    rows = dict(
        _history_rows(client.get(reverse("admin:videos_video_change", args=["a1song00001"])).content.decode())
    )
    assert (
        "<strong>title</strong>: kept YouTube&#x27;s Theirs song; ours dropped: Ours song" in rows["resolved"]
    )
    assert "<td>alice</td>" in rows["resolved"] and "Conflict resolved" in rows["resolved"]
    listed = client.get("/api/v1/syncs/", {"video": "a1song00001"}).json()["results"]
    assert [row["fields"] for row in listed if row["status"] == "resolved"] == [record.fields]
    # Another owner's user sees none of it.
    assert browser(charlie).get("/api/v1/syncs/", {"video": "a1song00001"}).json()["results"] == []
    assert browser(charlie).get(page_of(conflicted)).status_code == 404


def test_revert_is_offered_when_something_reached_youtube(emulator, catalogue, owner_a, alice, connect):
    """A change set with a title kept from YouTube and a description written still reverts that."""
    from syncs.changesets.edits import video_edit_in_changeset as video_update
    from syncs.changesets.push import changeset_push
    from syncs.changesets.services import changeset_queue
    from tests.syncs.conftest import studio_edit

    connect(owner_a)
    video_update(
        video=catalogue["a1_song"], changes={"title": "Ours", "description": "Our description"}, user=alice
    )
    studio_edit(emulator, "a1song00001", title="Theirs")
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_push(changeset=changeset)
    client = browser(alice)

    press(client, changeset, "keep_theirs", all="1")

    html = client.get(page_of(changeset)).content.decode()
    assert 'value="Revert"' in html
    # YouTube now: ours where it was written, theirs where it was kept.
    description = changeset.items.get(field="description")
    row = html_text.unescape(re.search(rf'<tr data-item-id="{description.pk}".*?</tr>', html, re.S).group(0))
    assert '<td class="ytcms-item-theirs ytcms-value">Our description</td>' in row


def test_each_item_is_listed_once_and_the_push_time_is_a_live_part(conflicted, alice):
    response = browser(alice).get(page_of(conflicted))
    html = response.content.decode()

    for item in conflicted.items.all():
        assert html.count(f'data-item-id="{item.pk}"') == 1
    assert 'id="items-group"' not in html  # no admin inline repeating the preview table
    conflicted.refresh_from_db()
    pushed = f"Pushed at {timezone.localtime(conflicted.pushed_at):%Y-%m-%d %H:%M}"
    assert pushed in text_of(response)
    parts = browser(alice).get(reverse("admin:syncs_changeset_parts", args=[conflicted.pk])).content.decode()
    assert re.search(rf'<p id="ytcms-changeset-pushed-at">{pushed}</p>', parts)
