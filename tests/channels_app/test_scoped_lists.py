"""List filters and record lists name only what the user may see.

charlie (manager of owner B) must not read owner A's name in the channel list's owner filter nor
A's policy labels in the video list's policy filter; bob (viewer of channel A1 only) must not read
the YouTube API calls or the Reporting API files made for owner A as a whole.
"""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from syncs.models import ApiCall, YouTubeReportFile
from videos.models import Video

pytestmark = pytest.mark.django_db

CHANNELS = reverse("admin:channels_app_channel_changelist")
VIDEOS = reverse("admin:videos_video_changelist")
API_CALLS = reverse("admin:syncs_apicall_changelist")
REPORT_FILES = reverse("admin:syncs_youtubereportfile_changelist")


def page_of(client, user, url) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def filter_choices(client, user, url, title) -> set[str]:
    """The choices a list filter offers, as the page lists them ("All" and the empty "-" excepted)."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    for spec in response.context["cl"].filter_specs:
        if spec.title == title:
            return {choice["display"] for choice in spec.choices(response.context["cl"])} - {"All", "-"}
    raise AssertionError(f"no filter {title!r}")


# ---- channel list: the content owner filter


def test_the_channel_owner_filter_offers_only_the_users_owners(
    client, alice, charlie, channel_a1, channel_a2, channel_b1
):
    assert filter_choices(client, charlie, CHANNELS, "content owner") == {"Label B"}
    assert "Label A" not in page_of(client, charlie, CHANNELS)
    assert filter_choices(client, alice, CHANNELS, "content owner") == {"Label A"}
    assert "Label B" not in page_of(client, alice, CHANNELS)


def test_the_channel_owner_filter_offers_a_channel_members_owner(client, bob, channel_a1, channel_b1):
    assert filter_choices(client, bob, CHANNELS, "content owner") == {"Label A"}


def test_superusers_filter_channels_by_every_owner(client, admin_user, channel_a1, channel_b1):
    assert filter_choices(client, admin_user, CHANNELS, "content owner") == {"Label A", "Label B"}


# ---- video list: the effective policy filter


@pytest.fixture
def policies(catalogue):
    """Labels as reports set them: each owner names its own policies."""
    cache.clear()  # the labels are cached per scope, and the owner ids repeat between tests
    Video.objects.filter(pk="a1song00001").update(effective_policy="Monetize A1 worldwide")
    Video.objects.filter(pk="a2clip00001").update(effective_policy="Track A2 in Germany")
    Video.objects.filter(pk="b1secret001").update(effective_policy="Block B secret deal")
    yield
    cache.clear()


def test_the_policy_filter_offers_only_the_labels_of_videos_the_user_sees(
    client, alice, bob, charlie, policies
):
    assert filter_choices(client, charlie, VIDEOS, "effective policy") == {"Block B secret deal"}
    page = page_of(client, charlie, VIDEOS)
    assert "Monetize A1 worldwide" not in page and "Track A2 in Germany" not in page
    assert filter_choices(client, alice, VIDEOS, "effective policy") == {
        "Monetize A1 worldwide",
        "Track A2 in Germany",
    }
    assert filter_choices(client, bob, VIDEOS, "effective policy") == {"Monetize A1 worldwide"}


def test_the_policy_filter_still_filters(client, alice, policies):
    client.force_login(alice)
    response = client.get(VIDEOS, {"policy": "Track A2 in Germany"})
    assert [video.pk for video in response.context["cl"].result_list] == ["a2clip00001"]


def test_superusers_see_every_policy_label(client, admin_user, policies):
    assert filter_choices(client, admin_user, VIDEOS, "effective policy") == {
        "Monetize A1 worldwide",
        "Track A2 in Germany",
        "Block B secret deal",
    }


# ---- the YouTube API-call log and the Reporting API files: owner-level members only


@pytest.fixture
def calls(owner_a, owner_b):
    made = {}
    for owner in (owner_a, owner_b):
        made[owner.pk] = ApiCall.objects.create(
            method=f"youtube.videos.list for {owner.pk}",
            content_owner=owner,
            project="ytcms",
            quota_units=1,
            duration_ms=12,
            outcome=ApiCall.Outcome.OK,
        )
    return made


def listed(client, user, url) -> set:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_owner_level_members_see_their_owners_api_calls(client, alice, charlie, calls):
    assert listed(client, alice, API_CALLS) == {calls["owner-a"].pk}
    assert listed(client, charlie, API_CALLS) == {calls["owner-b"].pk}


def test_a_channel_member_sees_no_owner_wide_api_calls(client, bob, calls):
    assert listed(client, bob, API_CALLS) == set()
    page = page_of(client, bob, API_CALLS)
    assert "for owner-a" not in page and "Label A" not in page


def test_a_channel_member_may_not_open_an_owner_wide_api_call(client, bob, calls):
    client.force_login(bob)
    url = reverse("admin:syncs_apicall_change", args=[calls["owner-a"].pk])
    response = client.get(url)
    # Outside the list's queryset: the admin redirects to its index with "doesn't exist", as it
    # does for an id that was never used.
    missing = client.get(reverse("admin:syncs_apicall_change", args=[10**9]))
    assert response.status_code == missing.status_code != 200


def test_superusers_see_every_api_call(client, admin_user, calls):
    assert listed(client, admin_user, API_CALLS) == {call.pk for call in calls.values()}


@pytest.fixture
def report_files(owner_a, owner_b):
    return {
        owner.pk: YouTubeReportFile.objects.create(
            youtube_report_id=f"report-{owner.pk}",
            content_owner=owner,
            job_id="job",
            report_type_id="content_owner_video_metadata_a3",
            create_time=timezone.now(),
            state=YouTubeReportFile.State.IMPORTED,
        )
        for owner in (owner_a, owner_b)
    }


def test_reporting_files_are_for_owner_level_members_only(client, alice, bob, charlie, report_files):
    assert listed(client, alice, REPORT_FILES) == {report_files["owner-a"].pk}
    assert listed(client, charlie, REPORT_FILES) == {report_files["owner-b"].pk}
    assert listed(client, bob, REPORT_FILES) == set()
