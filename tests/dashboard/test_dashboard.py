"""The admin dashboard: scoped figures, cached per scope, served as JSON and drawn on the index.

alice manages content owner A (3 videos), bob views channel A1 (2 videos), charlie manages B (1).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from channels_app.selectors import membership_scope_key
from reports.models import Report
from syncs.models import ChangeSet, ChangeSetItem, QuotaLedger, SyncRecord
from syncs.youtube.quota_clock import pacific_day
from videos.models import Video
from ytcms_site.dashboard import selectors
from ytcms_site.dashboard.selectors import dashboard_cache, dashboard_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    dashboard_cache().clear()
    yield
    dashboard_cache().clear()


def _counts(rows) -> dict:
    return {row["key"]: row["count"] for row in rows}


def test_each_persona_counts_only_the_videos_they_may_see(alice, bob, charlie, catalogue):
    Video.objects.filter(pk="a1live00001").update(privacy_status="private", claimed_status="claimed")

    assert dashboard_data(user=alice)["catalogue"]["total"] == 3
    assert _counts(dashboard_data(user=alice)["catalogue"]["privacy"]) == {"public": 2, "private": 1}
    assert _counts(dashboard_data(user=bob)["catalogue"]["privacy"]) == {"public": 1, "private": 1}
    assert _counts(dashboard_data(user=bob)["catalogue"]["claimed"]) == {"": 1, "claimed": 1}
    charlie_data = dashboard_data(user=charlie)
    assert charlie_data["catalogue"]["total"] == 1
    assert _counts(charlie_data["catalogue"]["privacy"]) == {"public": 1}


def test_superuser_sees_the_whole_catalogue(django_user_model, catalogue):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    assert dashboard_data(user=admin)["catalogue"]["total"] == 4


def test_pending_changes_and_drift_are_counted_in_the_users_scope(alice, charlie, catalogue):
    from syncs.changesets.edits import video_edit_in_changeset as video_update

    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Live)"}, user=alice)
    Video.objects.filter(pk="a2clip00001").update(has_drift=True, drifted_fields=["title"])
    Video.objects.filter(pk="b1secret001").update(has_drift=True, drifted_fields=["title"])

    assert dashboard_data(user=alice)["worklist"] == {"pending": 1, "drifted": 1}
    assert dashboard_data(user=charlie)["worklist"] == {"pending": 0, "drifted": 1}


def test_effective_policies_beyond_the_top_ones_are_summed_as_other(alice, channel_a1, make_video):
    for number in range(selectors.TOP_POLICIES + 2):
        video = make_video(channel_a1)
        Video.objects.filter(pk=video.pk).update(effective_policy=f"policy {number:02d}")

    policy = dashboard_data(user=alice)["catalogue"]["policy"]

    assert len(policy) == selectors.TOP_POLICIES + 1
    assert policy[-1] == {"key": "other", "label": "other", "count": 2}


def test_users_with_the_same_memberships_share_one_cached_scope(
    alice, django_user_model, owner_a, catalogue, django_assert_num_queries
):
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    twin = django_user_model.objects.create_user("alice2", password="pw", is_staff=True)
    twin.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=twin, content_owner=owner_a, role=Role.EDITOR)
    assert membership_scope_key(user=alice) == membership_scope_key(user=twin)

    first = dashboard_data(user=alice)
    # The twin's request reads its memberships (scope key), today's quota and its next scheduled
    # pushes (never cached: a schedule changed shows at once), nothing else.
    with django_assert_num_queries(3):
        second = dashboard_data(user=twin)
    assert second["catalogue"] == first["catalogue"]


def test_catalogue_counts_wait_for_the_cache_minute_and_the_worklist_does_not(
    alice, channel_a1, catalogue, make_video
):
    before = dashboard_data(user=alice)
    video = make_video(channel_a1)
    Video.objects.filter(pk=video.pk).update(has_pending_changes=True, pending_fields=["title"])
    dashboard_cache().delete(f"{selectors.CACHE_PREFIX}:activity:{membership_scope_key(user=alice)}")

    after = dashboard_data(user=alice)

    assert after["catalogue"]["total"] == before["catalogue"]["total"] == 3  # cached for a minute
    assert after["worklist"]["pending"] == before["worklist"]["pending"] + 1
    dashboard_cache().clear()
    assert dashboard_data(user=alice)["catalogue"]["total"] == 4


def test_charlie_and_alice_never_share_a_cache_entry(alice, charlie, catalogue):
    assert membership_scope_key(user=alice) != membership_scope_key(user=charlie)
    dashboard_data(user=alice)
    assert dashboard_data(user=charlie)["catalogue"]["total"] == 1


def test_quota_today_against_the_budget(alice, settings):
    now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    QuotaLedger.objects.create(
        project="p1", api="youtube", day=pacific_day(now), units_used=1200, budget=10000, reserve=500
    )
    QuotaLedger.objects.create(
        project="p1", api="youtube", day=pacific_day(now) - timedelta(days=1), units_used=9000, budget=10000
    )

    quota = dashboard_data(user=alice, now=now)["quota"]

    assert quota["day"] == "2026-11-27"
    assert quota["rows"] == [
        {
            "project": "p1",
            "api": "youtube",
            "used": 1200,
            "budget": 10000,
            "spendable": 9500,
            "remaining": 8300,
            "exhausted": False,
        }
    ]


def _queue(changeset_owner, videos, *, status=ChangeSet.Status.QUEUED, item_status="pending", until=None):
    changeset = ChangeSet.objects.create(created_by=changeset_owner, status=status)
    for video in videos:
        ChangeSetItem.objects.create(
            changeset=changeset,
            video=video,
            field="title",
            base_value="a",
            new_value="b",
            status=item_status,
            deferred_until=until,
        )
    return changeset


def test_planned_pushes_fill_each_pacific_day_up_to_its_budget(alice, settings, channel_a1, make_video):
    # 102 spendable units a day: two videos (50 for videos.update + 1 for videos.list each).
    settings.YOUTUBE_DAILY_QUOTA = 112
    settings.YOUTUBE_QUOTA_RESERVE = 10
    now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    videos = [make_video(channel_a1) for _ in range(5)]
    _queue(alice, videos)
    # Drafts are not planned: nobody asked for the push yet.
    _queue(alice, [make_video(channel_a1)], status=ChangeSet.Status.DRAFT)

    planned = dashboard_data(user=alice, now=now)["planned"]

    assert [day["videos"] for day in planned["days"]] == [2, 2, 1, 0, 0, 0, 0]
    assert planned["days"][0] == {"day": "2026-11-27", "videos": 2, "units": 101}  # one videos.list for both
    assert planned["later_videos"] == 0


def test_deferred_items_start_on_their_pacific_day_and_what_today_has_left_counts(
    alice, settings, channel_a1, make_video
):
    settings.YOUTUBE_DAILY_QUOTA = 112
    settings.YOUTUBE_QUOTA_RESERVE = 10
    now = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 12:00 in Los Angeles
    QuotaLedger.objects.create(
        project="p", api="youtube", day=pacific_day(now), units_used=60, budget=112, reserve=10
    )
    # Deferred until 08:30 UTC on the 29th = 00:30 on the 29th in Los Angeles.
    _queue(
        alice,
        [make_video(channel_a1) for _ in range(3)],
        status=ChangeSet.Status.PUSHING,
        item_status="deferred",
        until=datetime(2026, 11, 29, 8, 30, tzinfo=UTC),
    )
    _queue(alice, [make_video(channel_a1)])

    days = dashboard_data(user=alice, now=now)["planned"]["days"]

    # Today 42 units are left: not enough for one video, so the queued one moves to tomorrow.
    assert [(day["day"], day["videos"]) for day in days[:4]] == [
        ("2026-11-27", 0),
        ("2026-11-28", 1),
        ("2026-11-29", 2),
        ("2026-11-30", 1),
    ]


def test_planned_pushes_count_only_the_viewers_items_of_a_change_set_spanning_owners(
    admin_user, alice, charlie, channel_a1, channel_b1, make_video
):
    # A queued change set from before one-owner-per-set (no content owner) holding A's and B's videos.
    _queue(admin_user, [make_video(channel_a1), make_video(channel_a1), make_video(channel_b1)])

    assert sum(day["videos"] for day in dashboard_data(user=charlie)["planned"]["days"]) == 1
    dashboard_cache().clear()
    assert sum(day["videos"] for day in dashboard_data(user=alice)["planned"]["days"]) == 2


def test_planned_pushes_of_other_owners_are_not_shown(alice, charlie, channel_b1, make_video):
    _queue(charlie, [make_video(channel_b1)])
    assert sum(day["videos"] for day in dashboard_data(user=alice)["planned"]["days"]) == 0
    dashboard_cache().clear()
    assert sum(day["videos"] for day in dashboard_data(user=charlie)["planned"]["days"]) == 1


def test_imports_and_pushes_per_day_by_outcome(alice, charlie, owner_a, owner_b, catalogue):
    now = datetime.now(UTC)
    Report.objects.create(content_owner=owner_a, status=Report.Status.DONE)
    Report.objects.create(content_owner=owner_a, status=Report.Status.FAILED)
    old = Report.objects.create(content_owner=owner_a, status=Report.Status.DONE)
    Report.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    Report.objects.create(content_owner=owner_b, status=Report.Status.DONE)
    SyncRecord.objects.create(video=catalogue["a1_song"], status=SyncRecord.Status.SUCCESS)
    SyncRecord.objects.create(video=catalogue["a2_clip"], status=SyncRecord.Status.CONFLICT)
    SyncRecord.objects.create(video=catalogue["b1_secret"], status=SyncRecord.Status.FAILED)

    data = dashboard_data(user=alice, now=now)

    assert len(data["imports"]["days"]) == selectors.ACTIVITY_DAYS
    assert data["imports"]["days"][-1] == now.date().isoformat()
    assert data["imports"]["series"]["done"][-1] == 1
    assert data["imports"]["series"]["failed"][-1] == 1
    assert sum(data["imports"]["series"]["done"]) == 1  # the 30-day-old one is outside the window
    assert data["pushes"]["series"]["success"][-1] == 1
    assert data["pushes"]["series"]["conflict"][-1] == 1
    assert sum(data["pushes"]["series"]["failed"]) == 0  # charlie's


# ---- the JSON endpoint and the page


def test_dashboard_json_for_staff(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("dashboard_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["catalogue"]["total"] == 3
    assert set(body) >= {"catalogue", "worklist", "quota", "planned", "imports", "pushes", "generated_at"}


def test_dashboard_json_refuses_anonymous_and_non_staff(client, django_user_model):
    assert client.get(reverse("dashboard_data")).status_code == 401
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    assert client.get(reverse("dashboard_data")).status_code == 403


def test_dashboard_json_is_get_only(client, alice):
    client.force_login(alice)
    assert client.post(reverse("dashboard_data")).status_code == 405


def test_the_admin_index_shows_the_dashboard_and_keeps_the_app_list(client, alice, catalogue):
    client.force_login(alice)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="ytcms-dashboard"' in page
    assert f'data-url="{reverse("dashboard_data")}"' in page
    assert "vendor/chartjs/chart.umd.min.js" in page and "ytcms/dashboard.js" in page
    assert reverse("admin:videos_video_changelist") in page  # the app list still links the models
    assert 'id="content-main"' in page
    # Under the CSP no script is inline: every <script> has a src.
    assert "<script>" not in page and "<script " + ">" not in page
