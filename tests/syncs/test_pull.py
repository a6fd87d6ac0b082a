"""Pulling what YouTube has over HTTP: snapshots, pending edits kept, drift, channels, Content ID."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import CommandError, call_command
from django.urls import reverse

from channels_app.models import Channel
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ApiCall
from syncs.services.pull import owner_pull, videos_pull
from tests.syncs.conftest import studio_edit
from videos.models import Asset, Claim, Policy, Video

from .conftest import API_KEY, CHANNEL_A1, REFRESH_TOKEN_A, api_requests

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------- videos


def test_pull_records_youtubes_values_snapshot_and_etag(emulator, catalogue, owner_a, connect):
    connect(owner_a)
    studio_edit(emulator, "a1live00001", title="Live at Dawn (Remastered)")

    result = videos_pull(video_ids=["a1live00001"])

    video = Video.objects.get(pk="a1live00001")
    assert video.title == "Live at Dawn (Remastered)"
    assert video.remote_snapshot["title"] == "Live at Dawn (Remastered)"
    assert video.remote_etag == emulator.state.video("a1live00001")["etag"]
    assert video.remote_source == Video.SnapshotSource.API
    assert (video.duration_seconds, video.view_count, video.like_count, video.caption) == (
        241,
        1200,
        30,
        False,
    )
    assert video.published_at.isoformat() == "2024-05-01T10:00:00+00:00"
    assert result.videos_read == 1 and result.quota_units == 1


def test_pull_keeps_a_pending_edit_and_marks_drift(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video = catalogue["a1_song"]
    video_update(video=video, changes={"title": "Midnight Song (wanted)"}, user=alice)
    studio_edit(emulator, "a1song00001", title="Midnight Song (Studio)", tags=["night", "studio"])

    result = videos_pull(video_ids=["a1song00001"])

    video.refresh_from_db()
    assert video.title == "Midnight Song (wanted)"  # the pending edit survives
    assert video.remote_snapshot["title"] == "Midnight Song (Studio)"
    assert video.tags == ["night", "studio"]  # not edited here: follows YouTube
    assert video.pending_fields == ["title"]
    assert video.has_drift and set(video.drifted_fields) == {"title", "tags"}
    assert result.videos_drifted == 1


def test_pull_with_nothing_changed_marks_no_drift_and_no_pending(emulator, catalogue, owner_a, connect):
    connect(owner_a)

    videos_pull(video_ids=["a1song00001", "a1live00001", "a2clip00001"])

    assert not Video.objects.filter(has_drift=True).exists()
    assert not Video.objects.filter(has_pending_changes=True).exists()


def test_pull_asks_for_at_most_50_ids_per_call(emulator, channel_a1, owner_a, make_video, connect):
    connect(owner_a)
    ids = [f"bulk{n:07d}" for n in range(120)]
    for video_id in ids:
        make_video(channel_a1, video_id=video_id)
    emulator.state.load(
        {
            "videos": [
                {"id": i, "snippet": {"channelId": CHANNEL_A1, "title": i, "categoryId": "10"}} for i in ids
            ]
        }
    )
    lines = []

    result = videos_pull(video_ids=ids, progress=lines.append)

    calls = api_requests(emulator, "youtube.videos.list")
    assert [len(call["params"]["id"].split(",")) for call in calls] == [50, 50, 20]
    assert result.videos_read == 120
    assert [line.split(":")[0] for line in lines] == [
        "videos.list 1/3 for owner-a",
        "videos.list 2/3 for owner-a",
        "videos.list 3/3 for owner-a",
    ]


def test_a_video_youtube_does_not_return_is_reported_missing_and_left_alone(
    emulator, catalogue, owner_a, connect
):
    connect(owner_a)
    emulator.state.videos.pop("a1live00001")
    before = Video.objects.get(pk="a1live00001")

    result = videos_pull(video_ids=["a1live00001", "a1song00001"])

    assert result.videos_missing == ["a1live00001"]
    after = Video.objects.get(pk="a1live00001")
    assert (after.remote_etag, after.remote_fetched_at) == (before.remote_etag, before.remote_fetched_at)


def test_each_owners_videos_are_read_with_that_owners_credential(
    emulator, catalogue, owner_a, owner_b, connect
):
    from .conftest import REFRESH_TOKEN_B

    connect(owner_a)
    connect(owner_b, REFRESH_TOKEN_B)

    videos_pull(video_ids=["a1song00001", "b1secret001"])

    owners = sorted(r["params"]["onBehalfOfContentOwner"] for r in api_requests(emulator))
    assert owners == ["owner-a", "owner-b"]


def test_without_a_credential_the_api_key_reads_public_data_only(emulator, catalogue, settings):
    settings.YOUTUBE_API_KEY = API_KEY

    result = videos_pull(video_ids=["a1song00001"])

    (request,) = api_requests(emulator)
    assert request["params"]["key"] == API_KEY and "onBehalfOfContentOwner" not in request["params"]
    assert result.videos_read_with_api_key == 1
    assert "read with the API key, public data only" in result.summary()


def test_without_credential_or_api_key_the_owner_waits(emulator, catalogue):
    result = videos_pull(video_ids=["a1song00001"])

    assert "owner-a" in result.owners_waiting
    assert api_requests(emulator) == []


# ---------------------------------------------------------------------- owners


def test_owner_pull_reads_channels_policies_assets_and_videos(emulator, catalogue, owner_a, connect):
    connect(owner_a)
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="old")
    Claim.objects.create(id="C1", video=catalogue["a1_song"], asset=asset, content_type="audiovisual")

    result = owner_pull(owner=owner_a)

    channel = Channel.objects.get(pk=CHANNEL_A1)
    assert (channel.title, channel.country, channel.subscriber_count, channel.is_linked) == (
        "A One (YouTube)",
        "GB",
        1500,
        True,
    )
    assert Policy.objects.get(pk="P-monetize").rules == [{"action": "monetize"}]
    assert not Policy.objects.filter(pk="P-b").exists()  # another owner's
    asset.refresh_from_db()
    assert (asset.title, asset.isrc, asset.custom_id, asset.asset_type) == (
        "Midnight Song (asset)",
        "GBAAA2600001",
        "LBL-1",
        "music_video",
    )
    assert (result.channels, result.policies, result.assets, result.videos_read) == (2, 1, 1, 3)
    listed = api_requests(emulator, "youtube.channels.list")[0]["params"]
    assert listed["managedByMe"] == "true" and listed["onBehalfOfContentOwner"] == "owner-a"


# ---------------------------------------------------------------------- the command


def test_youtube_pull_command_prints_progress_and_a_summary(emulator, catalogue, owner_a, connect):
    connect(owner_a)
    out = io.StringIO()

    call_command("youtube_pull", "--video", "a1song00001", "a1live00001", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("videos.list 1/1 for owner-a: 2 of 2 read")
    assert lines[-1].startswith("Read 2 videos in 1 call, 1 quota unit.")


def test_youtube_pull_command_channel_and_owner(emulator, catalogue, owner_a, connect):
    connect(owner_a)
    out = io.StringIO()

    call_command("youtube_pull", "--owner", "owner-a", "--channel", CHANNEL_A1, stdout=out)

    assert "2 channels" in out.getvalue().splitlines()[-1]


def test_youtube_pull_command_fails_clearly_when_the_quota_is_spent(
    emulator, catalogue, owner_a, connect, settings
):
    connect(owner_a)
    emulator.state.set_faults(quota_exhausted=True)

    with pytest.raises(CommandError, match="daily quota .* is exhausted.*midnight Pacific time"):
        call_command("youtube_pull", "--video", "a1song00001", stdout=io.StringIO())


def test_youtube_pull_command_fails_clearly_when_the_owner_needs_reauthorisation(
    emulator, catalogue, owner_a, connect
):
    connect(owner_a)
    emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)

    with pytest.raises(CommandError, match="Reconnect this content owner"):
        call_command("youtube_pull", "--owner", "owner-a", stdout=io.StringIO())


def test_youtube_pull_needs_something_to_pull(emulator):
    with pytest.raises(CommandError, match="Say what to pull"):
        call_command("youtube_pull")


# ---------------------------------------------------------------------- the admin action


def _refresh(client, video_ids):
    return client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "refresh_from_youtube", ACTION_CHECKBOX_NAME: video_ids},
        follow=True,
    )


def test_a_rights_manager_refreshes_selected_videos(emulator, catalogue, owner_a, alice, connect, client):
    connect(owner_a)
    studio_edit(emulator, "a1live00001", title="Live at Dawn (Remastered)")
    client.force_login(alice)

    response = _refresh(client, ["a1live00001", "a1song00001"])

    assert "Refreshed from YouTube. Read 2 videos" in response.content.decode()
    assert Video.objects.get(pk="a1live00001").title == "Live at Dawn (Remastered)"


def test_a_viewer_cannot_refresh(emulator, catalogue, owner_a, bob, connect, client):
    connect(owner_a)
    client.force_login(bob)

    page = client.get(reverse("admin:videos_video_changelist")).content.decode()
    response = _refresh(client, ["a1song00001"])

    assert "refresh_from_youtube" not in page
    assert "Refreshed from YouTube" not in response.content.decode()
    assert api_requests(emulator) == []


def test_an_outsider_cannot_refresh_another_owners_videos(
    emulator, catalogue, owner_a, charlie, connect, client
):
    connect(owner_a)
    client.force_login(charlie)

    _refresh(client, ["a1song00001", "a1live00001"])

    assert api_requests(emulator) == []
    assert not ApiCall.objects.exists()


def test_a_big_selection_is_refreshed_by_a_task(
    emulator, channel_a1, owner_a, alice, make_video, connect, client, settings
):
    from django_tasks_db.models import DBTaskResult

    connect(owner_a)
    for n in range(51):
        make_video(channel_a1, video_id=f"many{n:07d}")
    client.force_login(alice)

    response = _refresh(client, [f"many{n:07d}" for n in range(51)])

    assert "Refreshing 51 videos from YouTube in the background" in response.content.decode()
    task = DBTaskResult.objects.get()
    assert task.task_path == "syncs.tasks.videos_refresh" and task.queue_name == "syncs"
    assert api_requests(emulator) == []


def test_the_refresh_task_reads_only_what_the_user_may_edit(
    emulator, catalogue, owner_a, owner_b, alice, connect
):
    from syncs.tasks import videos_refresh

    from .conftest import REFRESH_TOKEN_B

    connect(owner_a)
    connect(owner_b, REFRESH_TOKEN_B)

    summary = videos_refresh.call(video_ids=["a1song00001", "b1secret001"], user_id=alice.pk)

    assert summary.startswith("Read 1 video in")
    assert [r["params"]["id"] for r in api_requests(emulator)] == ["a1song00001"]


def test_the_refresh_task_parks_until_the_quota_resets(emulator, catalogue, owner_a, alice, connect):
    from django_tasks_db.models import DBTaskResult

    from syncs.tasks import videos_refresh

    connect(owner_a)
    emulator.state.set_faults(quota_exhausted=True)

    summary = videos_refresh.call(video_ids=["a1song00001"], user_id=alice.pk)

    assert "Parked until then" in summary
    parked = DBTaskResult.objects.get()
    assert parked.run_after is not None
