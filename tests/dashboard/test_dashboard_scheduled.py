"""The dashboard's next scheduled pushes (#19): the user's own tenant only, soonest first, bounded.

Each says when (in its own zone, and Pacific), how many videos, the units reserved on its quota
day, and approved or "needs approval before <moment>". dashboard.js redraws it on the
changeset_update frames that scheduling, unscheduling, approving, amending and pushing send.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.release import changeset_schedule, changeset_unschedule, changesets_scheduled_next
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet, ChangeSetItem
from ytcms_site.dashboard.selectors import dashboard_cache, dashboard_data

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
BERLIN_MIDNIGHT = datetime(2027, 1, 14, 23, 0, tzinfo=UTC)  # 2027-01-15 00:00 Europe/Berlin


@pytest.fixture(autouse=True)
def _empty_cache():
    dashboard_cache().clear()
    yield
    dashboard_cache().clear()


def _draft(video, user, title) -> ChangeSet:
    video_update(video=video, changes={"title": title}, user=user)
    return ChangeSet.objects.filter(created_by=user, status=ChangeSet.Status.DRAFT, scheduled_for=None).get()


@pytest.fixture
def releases(catalogue, alice, charlie):
    """alice: an approved release at midnight Berlin (2 videos), a draft one later; charlie: his own."""
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    berlin = _draft(catalogue["a1_live"], alice, "Live at Dawn (Official Video)")
    changeset_approve(changeset=berlin, user=alice)
    changeset_schedule(changeset=berlin, at=BERLIN_MIDNIGHT, tz="Europe/Berlin", user=alice, now=NOW)
    tokyo = _draft(catalogue["a2_clip"], alice, "Studio Clip (Official Video)")
    changeset_schedule(
        changeset=tokyo, at=BERLIN_MIDNIGHT + timedelta(hours=1), tz="Asia/Tokyo", user=alice, now=NOW
    )
    secret = _draft(catalogue["b1_secret"], charlie, "Secret Midnight Demo (Official Video)")
    changeset_schedule(changeset=secret, at=BERLIN_MIDNIGHT, tz="UTC", user=charlie, now=NOW)
    return {"berlin": berlin, "tokyo": tokyo, "secret": secret}


def test_alice_sees_her_next_scheduled_pushes_soonest_first_with_what_they_need(releases, alice):
    scheduled = dashboard_data(user=alice, now=NOW)["scheduled"]

    assert [row["changeset_id"] for row in scheduled] == [releases["berlin"].pk, releases["tokyo"].pk]
    berlin, tokyo = scheduled
    assert berlin["local"] == "2027-01-15 00:00 Europe/Berlin"
    assert berlin["pacific"] == "2027-01-14 15:00 Pacific"
    assert berlin["quota_day"] == "2027-01-14"
    assert (berlin["videos"], berlin["units"]) == (2, 101)  # 2 videos.update + 1 videos.list
    assert (berlin["approved"], berlin["approval"]) == (True, "approved")
    assert berlin["url"] == reverse("admin:syncs_changeset_change", args=[releases["berlin"].pk])
    assert tokyo["local"] == "2027-01-15 09:00 Asia/Tokyo"
    assert (tokyo["videos"], tokyo["units"]) == (1, 51)
    assert tokyo["approval"] == "needs approval before 2027-01-15 09:00 Asia/Tokyo"


def test_charlie_sees_only_his_own(releases, charlie):
    scheduled = dashboard_data(user=charlie, now=NOW)["scheduled"]
    assert [row["changeset_id"] for row in scheduled] == [releases["secret"].pk]


def test_a_four_eyes_draft_says_it_needs_a_second_managers_approval(catalogue, alice, settings):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    draft = ChangeSet.objects.get()
    changeset_schedule(changeset=draft, at=BERLIN_MIDNIGHT, tz="UTC", user=alice, now=NOW)

    (row,) = dashboard_data(user=alice, now=NOW)["scheduled"]
    assert row["approval"] == "needs a second manager's approval before 2027-01-14 23:00 UTC"


def test_past_unscheduled_and_pushed_ones_leave_the_list(releases, alice):
    changeset_unschedule(changeset=releases["tokyo"], user=alice)
    assert [row["changeset_id"] for row in dashboard_data(user=alice, now=NOW)["scheduled"]] == [
        releases["berlin"].pk
    ]
    dashboard_cache().clear()
    ChangeSet.objects.filter(pk=releases["berlin"].pk).update(status=ChangeSet.Status.QUEUED)
    assert dashboard_data(user=alice, now=NOW)["scheduled"] == []
    ChangeSet.objects.filter(pk=releases["berlin"].pk).update(status=ChangeSet.Status.APPROVED)
    assert changesets_scheduled_next(user=alice, now=BERLIN_MIDNIGHT) == []


def test_the_list_is_the_next_ten_in_one_query(catalogue, alice):
    for n in range(12):
        changeset = ChangeSet.objects.create(
            created_by=alice, content_owner_id="owner-a", title=f"Release {n}"
        )
        ChangeSetItem.objects.create(
            changeset=changeset, video=catalogue["a1_song"], field="title", base_value="a", new_value=f"b{n}"
        )
        ChangeSet.objects.filter(pk=changeset.pk).update(
            scheduled_for=BERLIN_MIDNIGHT + timedelta(hours=12 - n), scheduled_tz="UTC"
        )

    with CaptureQueriesContext(connection) as queries:
        shown = changesets_scheduled_next(user=alice, now=NOW)

    assert len(queries) == 1
    assert [row.changeset.title for row in shown] == [f"Release {n}" for n in range(11, 1, -1)]
    assert all(row.videos == 1 for row in shown)


def test_the_index_has_the_card_and_the_json_has_the_list(client, releases, alice):
    client.force_login(alice)
    assert 'id="dash-scheduled"' in client.get(reverse("admin:index")).content.decode()
    body = client.get(reverse("dashboard_data")).json()
    assert "scheduled" in body


def test_a_schedule_shows_in_the_dashboard_json_at_once_not_after_the_cache(
    client, catalogue, alice, charlie
):
    # The trial's open dashboard picked up a (re)schedule only when the cached activity expired.
    client.force_login(alice)
    assert client.get(reverse("dashboard_data")).json()["scheduled"] == []  # the cache is filled now
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = ChangeSet.objects.get()
    at = timezone.now() + timedelta(days=3)
    changeset_schedule(changeset=changeset, at=at, tz="Europe/Berlin", user=alice)

    scheduled = client.get(reverse("dashboard_data")).json()["scheduled"]
    assert [(row["changeset_id"], row["scheduled_for"]) for row in scheduled] == [
        (changeset.pk, at.isoformat())
    ]
    changeset_schedule(changeset=changeset, at=at + timedelta(hours=1), tz="Europe/Berlin", user=alice)
    scheduled = client.get(reverse("dashboard_data")).json()["scheduled"]
    assert [row["scheduled_for"] for row in scheduled] == [(at + timedelta(hours=1)).isoformat()]
    # charlie, another tenant, does not see it.
    client.force_login(charlie)
    assert client.get(reverse("dashboard_data")).json()["scheduled"] == []
    changeset_unschedule(changeset=changeset, user=alice)
    client.force_login(alice)
    assert client.get(reverse("dashboard_data")).json()["scheduled"] == []


def test_the_first_paint_does_not_say_no_push_is_scheduled_before_it_knows(client, releases, alice):
    client.force_login(alice)
    page = client.get(reverse("admin:index")).content.decode()
    assert "No push is scheduled." not in page
    assert "Loading the scheduled pushes…" in page
