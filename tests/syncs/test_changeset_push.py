"""Pushing change sets to the emulator over HTTP: read-modify-write, conflicts, quota, retries, revert."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue, changeset_resolve, changeset_revert
from syncs.models import ChangeSet, ChangeSetItem, QuotaLedger, SyncRecord, YouTubeCredential
from tests.syncs.conftest import studio_edit
from videos.models import Video

from .conftest import PROJECT, api_requests

pytestmark = pytest.mark.django_db


def _edit(video, user, **changes) -> ChangeSet:
    video_update(video=video, changes=changes, user=user)
    return ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT, revert_of=None)


def _push(changeset, user, **kwargs):
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    return changeset_push(changeset=changeset, **kwargs)


def test_push_keeps_tags_when_only_title_changed(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Midnight Song (Remastered)")

    result = _push(changeset, alice)

    stored = emulator.state.video("a1song00001")
    assert stored["snippet"]["title"] == "Midnight Song (Remastered)"
    assert stored["snippet"]["tags"] == ["night"]
    assert stored["snippet"]["description"] == "About the song"
    assert stored["status"]["privacyStatus"] == "public"
    (update,) = api_requests(emulator, "youtube.videos.update")
    assert update["params"]["part"] == "snippet"  # status untouched, so not sent
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    assert result.items_done == 1 and result.quota_units == 51
    video = Video.objects.get(pk="a1song00001")
    assert video.remote_snapshot["title"] == "Midnight Song (Remastered)"
    assert not video.has_pending_changes and not video.has_drift
    (record,) = SyncRecord.objects.all()
    assert record.status == SyncRecord.Status.SUCCESS and record.parts_sent == ["snippet"]
    assert record.fields == {"title": {"before": "Midnight Song", "after": "Midnight Song (Remastered)"}}
    assert record.quota_units == 50 and record.etag_after == stored["etag"] != record.etag_before


def test_status_edit_sends_the_whole_status_part(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_live"], alice, embeddable=False)

    _push(changeset, alice)

    (update,) = api_requests(emulator, "youtube.videos.update")
    assert update["params"]["part"] == "status"
    assert update["body"]["status"] == {
        "privacyStatus": "public",
        "embeddable": False,
        "license": "youtube",
        "publicStatsViewable": True,
        "selfDeclaredMadeForKids": False,
        "containsSyntheticMedia": False,
    }


def test_a_field_changed_on_youtube_is_a_conflict_and_not_written(
    emulator, catalogue, owner_a, alice, connect
):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    studio_edit(emulator, "a1song00001", title="Theirs")

    result = _push(changeset, alice)

    assert api_requests(emulator, "youtube.videos.update") == []
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Theirs"
    item = ChangeSetItem.objects.get()
    assert item.status == ChangeSetItem.Status.CONFLICT
    assert (item.base_value, item.new_value, item.theirs_value) == ("Midnight Song", "Ours", "Theirs")
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.HAS_CONFLICTS
    assert result.conflicts == 1
    assert SyncRecord.objects.get().status == SyncRecord.Status.CONFLICT


def test_an_unrelated_change_on_youtube_is_kept(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    studio_edit(emulator, "a1song00001", description="Edited in Studio")

    _push(changeset, alice)

    stored = emulator.state.video("a1song00001")["snippet"]
    assert (stored["title"], stored["description"]) == ("Ours", "Edited in Studio")


def test_keep_theirs_skips_the_item(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    studio_edit(emulator, "a1song00001", title="Theirs")
    _push(changeset, alice)

    changeset_resolve(
        items=ChangeSetItem.objects.all(), resolution=ChangeSetItem.Resolution.KEEP_THEIRS, user=alice
    )

    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.SKIPPED
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    assert Video.objects.get(pk="a1song00001").title == "Theirs"
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Theirs"


def test_overwrite_pushes_ours_over_theirs(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    studio_edit(emulator, "a1song00001", title="Theirs")
    _push(changeset, alice)

    changeset_resolve(
        items=ChangeSetItem.objects.all(), resolution=ChangeSetItem.Resolution.OVERWRITE, user=alice
    )
    _push(changeset, alice)

    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours"
    item = ChangeSetItem.objects.get()
    assert (item.status, item.base_value) == (ChangeSetItem.Status.DONE, "Theirs")


def test_a_value_youtube_already_shows_is_done_without_a_write(emulator, catalogue, owner_a, alice, connect):
    """A worker killed after videos.update but before recording it: the re-read finds our value."""
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    studio_edit(emulator, "a1song00001", title="Ours")
    # The dead worker's lease, gone stale.
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    ChangeSetItem.objects.update(
        status=ChangeSetItem.Status.PUSHING,
        lease_token="dead-worker",
        leased_until=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )

    changeset_push(changeset=changeset)

    assert api_requests(emulator, "youtube.videos.update") == []
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE


def test_a_live_lease_is_not_taken(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    ChangeSetItem.objects.update(
        status=ChangeSetItem.Status.PUSHING,
        lease_token="busy-worker",
        leased_until=timezone.now() + timedelta(minutes=5),
    )

    changeset_push(changeset=changeset)

    assert api_requests(emulator) == []
    assert ChangeSetItem.objects.get().lease_token == "busy-worker"


def test_quota_exceeded_defers_items_until_the_reset_and_they_resume(
    emulator, catalogue, owner_a, alice, connect
):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    emulator.state.set_quota_used(PROJECT, 10000)

    result = _push(changeset, alice)

    item = ChangeSetItem.objects.get()
    assert item.status == ChangeSetItem.Status.DEFERRED
    assert item.deferred_until is not None and item.deferred_until > timezone.now()
    assert result.next_run_at == item.deferred_until
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.QUEUED
    # Before the reset nothing is sent.
    changeset_push(changeset=changeset)
    assert api_requests(emulator, "youtube.videos.update") == []

    # After the reset: a new Pacific day on Google's side and in our ledger.
    after_reset = item.deferred_until + timedelta(seconds=1)
    emulator.state.clock.set(after_reset)
    QuotaLedger.objects.update(exhausted_at=None, units_used=0)
    changeset_push(changeset=changeset, now=after_reset)

    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours"
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE


def test_quota_deferral_reenqueues_the_task_after_the_reset(
    emulator, catalogue, owner_a, alice, connect, settings
):
    from django_tasks_db.models import DBTaskResult

    from syncs.tasks import changeset_push_task

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
    }
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    emulator.state.set_quota_used(PROJECT, 10000)

    changeset_push_task.call(changeset_id=changeset.pk)

    (parked,) = DBTaskResult.objects.all()
    assert parked.run_after == ChangeSetItem.objects.get().deferred_until


def test_retries_are_bounded_then_the_item_fails(emulator, catalogue, owner_a, alice, connect, settings):
    settings.CHANGESET_MAX_ATTEMPTS = 2
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    emulator.state.fail_next({"status": 503, "match": "youtube.videos.update"}, count=100)

    _push(changeset, alice)
    item = ChangeSetItem.objects.get()
    assert (item.status, item.attempts) == (ChangeSetItem.Status.DEFERRED, 1)
    changeset_push(changeset=changeset, now=item.deferred_until + timedelta(seconds=1))

    item.refresh_from_db()
    assert (item.status, item.attempts) == (ChangeSetItem.Status.FAILED, 2)
    assert "Gave up after 2 attempts" in item.error_message
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.PARTLY_FAILED
    assert SyncRecord.objects.filter(status=SyncRecord.Status.FAILED).count() == 2


def test_a_permanent_error_fails_the_item_with_youtubes_reason(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    emulator.state.fail_next({"status": 403, "reason": "forbidden", "match": "youtube.videos.update"})

    _push(changeset, alice)

    item = ChangeSetItem.objects.get()
    assert (item.status, item.error_reason) == (ChangeSetItem.Status.FAILED, "forbidden")
    assert SyncRecord.objects.get().reason == "forbidden"


def test_invalid_grant_parks_the_owners_items_until_reconnected(emulator, catalogue, owner_a, alice, connect):
    from syncs.services.credentials import credential_mark_needs_reauthorisation

    credential = connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    credential_mark_needs_reauthorisation(credential=credential, detail="invalid_grant: revoked")

    result = _push(changeset, alice)

    item = ChangeSetItem.objects.get()
    assert (item.status, item.error_reason, item.deferred_until) == (
        ChangeSetItem.Status.DEFERRED,
        "invalid_grant",
        None,
    )
    assert "owner-a" in result.owners_waiting
    assert api_requests(emulator) == []

    connect(owner_a)  # reconnected
    assert YouTubeCredential.objects.get().status == YouTubeCredential.Status.OK
    changeset_push(changeset=changeset)
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE


def test_revert_round_trip_restores_the_before_values(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video = catalogue["a1_song"]
    video_update(video=video, changes={"title": "Ours", "embeddable": False}, user=alice)
    changeset = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT)
    _push(changeset, alice)
    changeset.refresh_from_db()

    revert = changeset_revert(changeset=changeset, user=alice)
    assert {(i.field, i.base_value, i.new_value) for i in revert.items.all()} == {
        ("title", "Ours", "Midnight Song"),
        ("embeddable", False, True),
    }
    _push(revert, alice)

    stored = emulator.state.video("a1song00001")
    assert (stored["snippet"]["title"], stored["status"]["embeddable"]) == ("Midnight Song", True)
    assert stored["snippet"]["tags"] == ["night"]
    changeset.refresh_from_db()
    revert.refresh_from_db()
    assert (changeset.status, revert.status) == (ChangeSet.Status.REVERTED, ChangeSet.Status.DONE)
    video.refresh_from_db()
    assert (video.title, video.embeddable, video.has_pending_changes) == ("Midnight Song", True, False)


def test_invalid_values_fail_locally_without_spending_an_update(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    ChangeSetItem.objects.update(new_value="x" * 101)

    _push(changeset, alice)

    assert api_requests(emulator, "youtube.videos.update") == []
    item = ChangeSetItem.objects.get()
    assert (item.status, item.error_reason) == (ChangeSetItem.Status.FAILED, "invalidMetadata")


def test_batches_read_50_videos_per_call(emulator, channel_a1, owner_a, alice, make_video, connect):
    connect(owner_a)
    ids = [f"push{n:07d}" for n in range(60)]
    videos = [make_video(channel_a1, video_id=video_id, title=video_id) for video_id in ids]
    emulator.state.load(
        {
            "videos": [
                {"id": i, "snippet": {"channelId": channel_a1.pk, "title": i, "categoryId": "10"}}
                for i in ids
            ]
        }
    )
    for video in videos:
        video_update(video=video, changes={"title": video.pk + " new"}, user=alice)
    changeset = ChangeSet.objects.get()

    result = _push(changeset, alice)

    reads = api_requests(emulator, "youtube.videos.list")
    assert [len(r["params"]["id"].split(",")) for r in reads] == [50, 10]
    assert len(api_requests(emulator, "youtube.videos.update")) == 60
    assert result.quota_units == 60 * 50 + 2


def test_youtube_push_command_prints_progress_and_a_summary(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset = _edit(catalogue["a1_song"], alice, title="Ours")
    out = io.StringIO()

    call_command("youtube_push", "--changeset", str(changeset.pk), "--dry-run", stdout=out)
    assert "title: 'Midnight Song' → 'Ours'" in out.getvalue()
    assert "51 quota units" in out.getvalue()
    assert api_requests(emulator) == []

    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=out)
    assert out.getvalue().strip().splitlines()[-1].startswith("Pushed 1 video: 1 field done, 0 conflicts")
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Ours"
