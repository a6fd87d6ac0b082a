"""One quota planner (syncs/changesets/quota_plan.py) answers the API's /quota/, the dashboard's
planned pushes and how many videos the push writes today: they cannot disagree any more."""

import pytest
from django.utils import timezone

from syncs.changesets.quota_plan import quota_plan, videos_fitting_today
from syncs.models import ChangeSet, ChangeSetItem
from syncs.youtube.quota_clock import next_quota_reset, pacific_day
from ytcms_site.dashboard.selectors import dashboard_cache, dashboard_data

pytestmark = pytest.mark.django_db


def _queue(user, videos, *, until=None):
    changeset = ChangeSet.objects.create(created_by=user, status=ChangeSet.Status.QUEUED)
    for video in videos:
        ChangeSetItem.objects.create(
            changeset=changeset,
            video=video,
            field="title",
            new_value="b",
            status=ChangeSetItem.Status.DEFERRED if until else ChangeSetItem.Status.PENDING,
            deferred_until=until,
        )


def _dashboard_units(user) -> list[tuple[str, int, int]]:
    dashboard_cache().clear()
    days = dashboard_data(user=user, now=timezone.now())["planned"]["days"]
    return [(day["day"], day["videos"], day["units"]) for day in days if day["videos"]]


def _api_units(client) -> list[tuple[str, int, int]]:
    return [
        (day["day"], day["videos"], day["quota_units"])
        for day in client.get("/api/v1/quota/").json()["queued"]
    ]


@pytest.fixture
def over_a_day(settings, alice, channel_a1, channel_b1, make_video):
    """151 spendable units a day: three videos (3 × 50 + one videos.list), though 151 // 51 is 2.
    alice queues four videos due today and one due tomorrow; charlie's owner has one of its own."""
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 161, 10
    _queue(alice, [make_video(channel_a1) for _ in range(4)])
    _queue(alice, [make_video(channel_a1)], until=next_quota_reset())
    _queue(alice, [make_video(channel_b1)])


def test_the_api_and_the_dashboard_plan_the_same_days_as_the_push(over_a_day, alice, api_for):
    today, tomorrow = pacific_day(), pacific_day(next_quota_reset())
    # The push writes three today (videos_fitting); the fourth waits and joins tomorrow's one.
    # Before, the API said 4 videos (201 units) today and the dashboard 2 today, 2 tomorrow, 1 after.
    expected = [(today.isoformat(), 3, 151), (tomorrow.isoformat(), 2, 101)]

    assert _api_units(api_for(alice)) == expected
    assert _dashboard_units(alice) == expected
    assert videos_fitting_today() == 3


def test_the_plan_shows_each_persona_only_their_videos(over_a_day, bob, charlie, api_for):
    today = pacific_day().isoformat()
    # bob is a member of channel A1 (every queued A video is on it); charlie sees his owner's one.
    assert _api_units(api_for(charlie)) == _dashboard_units(charlie) == [(today, 1, 51)]
    assert _api_units(api_for(bob)) == _dashboard_units(bob) != []


def test_videos_no_day_can_pay_for_are_counted_as_later(settings, alice, alice_api, channel_a1, make_video):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 60, 10  # 50 units: not one video
    _queue(alice, [make_video(channel_a1) for _ in range(2)])

    body = alice_api.get("/api/v1/quota/").json()

    assert body["queued"] == [] and body["later_videos"] == 2
    assert quota_plan(user=alice, days=7).later_videos == 2
