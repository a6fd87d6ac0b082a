"""Each event type, from the service that causes it to the browsers allowed to see it."""

import pytest

from core.live import transport
from reports import events as report_events
from reports.models import Report
from reports.services import report_create_from_path, report_ingest
from syncs import events as sync_events
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue, changeset_resolve
from syncs.models import ChangeSet, ChangeSetItem, QuotaLedger
from syncs.services.quota import quota_charge
from syncs.youtube.quota_clock import pacific_day
from tests.syncs.conftest import studio_edit

from .conftest import connected, frames, in_thread, of_type, transactional

pytestmark = [transactional, pytest.mark.asyncio]


async def sockets_of(cookie_of, *users):
    return {user.username: await connected(await in_thread(cookie_of)(user)) for user in users}


async def close_all(sockets):
    for socket in sockets.values():
        await socket.disconnect()


# ------------------------------------------------------------------------------ processing_update


async def test_processing_update_follows_an_import_to_its_end(
    alice, bob, charlie, owner_a, cookie_of, generated, immediate_tasks, monkeypatch
):
    immediate_tasks.REPORTS_CHUNK_ROWS = 40
    monkeypatch.setattr(report_events, "PROGRESS_SECONDS", 0)  # every chunk: the throttle has its own test
    path = generated("live-dirty.csv", videos=120, seed=7, bad_rate=0.1)
    sockets = await sockets_of(cookie_of, alice, bob, charlie)
    seen_by_command = []

    def run():
        report = report_create_from_path(path=str(path), content_owner=owner_a, enqueue=False)
        return report_ingest(report_id=report.pk, on_progress=seen_by_command.append)

    report = await in_thread(run)()

    received = of_type(await frames(sockets["alice"]), "processing_update")
    assert len(received) >= 3  # the start, one per chunk, the end
    first, *middle, last = received
    assert first["status"] == "running" and first["progress"] == 0 and not first["done"]
    assert all(f["report_id"] == report.pk and f["content_owner_id"] == "owner-a" for f in received)
    assert [f["rows_read"] for f in received] == sorted(f["rows_read"] for f in received)
    assert all(0 <= f["progress"] <= 99 and f["rows_total"] is None for f in middle)
    assert last["done"] and last["status"] == Report.Status.DONE and last["progress"] == 100
    assert last["rows_read"] == last["rows_total"] == report.rows_read
    for name in ("rows_rejected", "videos_created", "videos_updated", "videos_unchanged", "claims_upserted"):
        assert last[name] == getattr(report, name), name
    assert last["message"] == report.message
    assert isinstance(last["rate"], float) and last["rate"] > 0
    # Row errors arrive as they are committed, each once, newest 20 per frame at most.
    errors = [error for f in received for error in f["errors"]]
    assert report.rows_rejected > 0 and 0 < len(errors) <= report.rows_rejected
    assert all(len(f["errors"]) <= 20 for f in received)
    assert len({error["row"] for error in errors}) == len(errors)
    assert all(error["message"] and "column" in error for error in errors)
    # manage.py import_report shows the same numbers the frames carry.
    assert [n["rows_read"] for n in seen_by_command] == [f["rows_read"] for f in middle]
    assert [n["progress"] for n in seen_by_command] == [f["progress"] for f in middle]
    # Reports are owner-wide: a channel-only viewer and an outsider hear nothing.
    assert await frames(sockets["bob"]) == []
    assert await frames(sockets["charlie"]) == []
    await close_all(sockets)


async def test_processing_update_is_throttled_to_one_a_second_plus_the_end(
    alice, owner_a, cookie_of, generated, immediate_tasks
):
    immediate_tasks.REPORTS_CHUNK_ROWS = 10
    path = generated("live-many-chunks.csv", videos=150, seed=3)
    socket = await connected(await in_thread(cookie_of)(alice))

    def run():
        report = report_create_from_path(path=str(path), content_owner=owner_a, enqueue=False)
        return report_ingest(report_id=report.pk)

    report = await in_thread(run)()

    received = of_type(await frames(socket), "processing_update")
    chunks = -(-report.rows_read // 10)
    assert chunks >= 10
    assert 2 <= len(received) < chunks  # the start (throttles the chunks behind it) and the end
    assert received[-1]["done"] and received[-1]["rows_read"] == report.rows_read
    await socket.disconnect()


# ------------------------------------------------------------------------------ pushes


async def test_a_push_sends_changeset_sync_status_and_video_updates(
    emulator, catalogue, owner_a, alice, bob, charlie, connect, cookie_of
):
    def edit():
        connect(owner_a)
        video_update(video=catalogue["a1_song"], changes={"title": "Pushed Title"}, user=alice)
        return ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)

    changeset = await in_thread(edit)()
    sockets = await sockets_of(cookie_of, alice, bob, charlie)

    def push():
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        changeset_push(changeset=changeset, user=alice)

    await in_thread(push)()

    for name in ("alice", "bob"):
        received = await frames(sockets[name])
        updates = of_type(received, "changeset_update")
        assert [u["status"] for u in updates] == ["queued", "pushing", "pushing", "done"]
        assert all(u["changeset_id"] == changeset.pk and u["title"] == str(changeset) for u in updates)
        assert updates[0]["counts"] == {"pending": 1} and updates[0]["progress"] == 0
        assert updates[-1]["counts"] == {"done": 1} and updates[-1]["progress"] == 100
        (status,) = of_type(received, "sync_status_update")
        item = await in_thread(ChangeSetItem.objects.get)()
        assert status == {
            **status,
            "video_id": "a1song00001",
            "changeset_id": changeset.pk,
            "item_ids": [item.pk],
            "status": "done",
            "error": "",
            "conflict": None,
        }
        video_updates = of_type(received, "video_update")
        assert video_updates and video_updates[-1]["video_id"] == "a1song00001"
        assert video_updates[-1]["sync_status"] == "in_sync" and video_updates[-1]["pending_fields"] == []
    # Charlie hears the project's quota use (open to all staff), nothing about A's videos.
    assert {f["type"] for f in await frames(sockets["charlie"], wait=1.5)} == {"quota_update"}
    await close_all(sockets)


async def test_videos_over_todays_budget_are_told_deferred_one_by_one(
    emulator, catalogue, owner_a, alice, connect, cookie_of
):
    from tests.syncs.conftest import CLIENT_ID

    def edit():
        connect(owner_a)
        for video in (catalogue["a1_song"], catalogue["a1_live"]):
            video_update(video=video, changes={"title": video.title + " (new)"}, user=alice)
        # 51 units left: one update and its read; a1live00001 goes first (by video id).
        quota_charge(project=CLIENT_ID, api="youtube", units=9500 - 51)
        changeset = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        return changeset

    changeset = await in_thread(edit)()
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(changeset_push)(changeset=changeset, user=alice)

    statuses = {(f["video_id"], f["status"]): f for f in of_type(await frames(socket), "sync_status_update")}
    assert set(statuses) == {("a1live00001", "done"), ("a1song00001", "deferred")}
    deferred = statuses["a1song00001", "deferred"]
    assert deferred["changeset_id"] == changeset.pk and "quota budget" in deferred["error"]
    await socket.disconnect()


async def test_a_conflict_is_told_with_its_three_values_and_its_resolution(
    emulator, catalogue, owner_a, alice, connect, cookie_of
):
    def edit():
        connect(owner_a)
        video_update(video=catalogue["a1_song"], changes={"title": "Ours"}, user=alice)
        studio_edit(emulator, "a1song00001", title="Theirs")
        changeset = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        return changeset

    changeset = await in_thread(edit)()
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(changeset_push)(changeset=changeset, user=alice)

    received = await frames(socket)
    (conflict,) = of_type(received, "sync_status_update")
    assert conflict["status"] == "conflict" and conflict["error"]
    assert conflict["conflict"] == {
        "field": "title",
        "base": "Midnight Song",
        "theirs": "Theirs",
        "ours": "Ours",
        "worded": {"base": "Midnight Song", "theirs": "Theirs", "ours": "Ours"},
    }
    assert of_type(received, "changeset_update")[-1]["status"] == "has_conflicts"
    assert of_type(received, "video_update")[-1]["sync_status"] == "conflict"

    await in_thread(changeset_resolve)(
        items=await in_thread(list)(ChangeSetItem.objects.all()),
        resolution=ChangeSetItem.Resolution.KEEP_THEIRS,
        user=None,
    )

    received = await frames(socket)
    assert [f["status"] for f in of_type(received, "sync_status_update")] == ["skipped"]
    assert of_type(received, "changeset_update")[-1]["status"] == "done"
    (video,) = of_type(received, "video_update")
    # Nothing is pending any more, and keeping YouTube's value acknowledges the Studio change: the
    # person has looked at it, so it is no longer drift (#15).
    assert video["title"] == "Theirs" and video["pending_fields"] == []
    assert not video["has_drift"] and video["sync_status"] == "in_sync"
    await socket.disconnect()


async def test_a_claim_policy_conflict_is_told_in_words(
    emulator, catalogue, owner_a, alice, connect, cookie_of
):
    """The change-set page words the live conflict line from `worded`: the policy's name, rules in
    words, never {"id": …} or {"rules": […]} (trial C5)."""
    from syncs.changesets.services import changeset_add_claim_policy
    from tests.syncs.conftest import claim_c1, studio_claim_policy

    def edit():
        claimed = claim_c1(emulator, catalogue, owner_a)
        connect(owner_a)
        changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])
        studio_claim_policy(emulator, "C1", {"rules": [{"action": "track"}]})
        changeset = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
        return changeset

    changeset = await in_thread(edit)()
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(changeset_push)(changeset=changeset, user=alice)

    (conflict,) = of_type(await frames(socket), "sync_status_update")
    assert conflict["conflict"]["worded"] == {
        "base": "Monetize",
        "theirs": "Custom rules: Track in all countries",
        "ours": "Custom rules: Block in all countries",
    }
    await socket.disconnect()


async def test_changeset_progress_is_throttled_but_state_changes_always_go(alice, catalogue, cookie_of):
    def edit():
        video_update(video=catalogue["a1_song"], changes={"title": "T"}, user=alice)
        return ChangeSet.objects.get(created_by=alice)

    changeset = await in_thread(edit)()
    socket = await connected(await in_thread(cookie_of)(alice))

    def progress_then_state():
        for _ in range(5):
            sync_events.publish_changeset_update(changeset, throttle=True)  # one per batch during a push
        changeset_queue(changeset=changeset, user=alice, enqueue=False)

    await in_thread(progress_then_state)()

    received = of_type(await frames(socket), "changeset_update")
    assert [f["status"] for f in received] == ["draft", "queued"]
    throttle = transport.Throttle(1.0)
    assert throttle.ready(7, now=100.0) and not throttle.ready(7, now=100.5)
    assert throttle.ready(8, now=100.5) and throttle.ready(7, now=101.0)  # per change set, per second
    await socket.disconnect()


# ------------------------------------------------------------------------------ quota_update


async def test_quota_update_reaches_the_staff_and_ends_on_the_last_count(alice, charlie, cookie_of, settings):
    settings.YOUTUBE_DAILY_QUOTA = 10000
    settings.YOUTUBE_QUOTA_RESERVE = 500
    sockets = await sockets_of(cookie_of, alice, charlie)

    def spend():
        for _ in range(3):
            quota_charge(project="proj-live", api="youtube", units=50)

    await in_thread(spend)()

    for socket in sockets.values():
        received = of_type(await frames(socket, wait=2.0), "quota_update")
        # The first charge at once; the two inside the second as one trailing frame.
        assert [f["used"] for f in received] == [50, 150]
        last = received[-1]
        assert last["project"] == "proj-live" and last["api"] == "youtube"
        assert last["day"] == pacific_day().isoformat()
        assert (last["budget"], last["remaining"]) == (10000, 10000 - 500 - 150)
    row = await in_thread(QuotaLedger.objects.get)()
    assert row.units_used == 150
    await close_all(sockets)


async def test_bob_channel_viewer_still_sees_the_quota(bob, cookie_of):
    # The quota ledger is open to all staff (QuotaLedgerAdmin); it names no channel or owner.
    socket = await connected(await in_thread(cookie_of)(bob))
    await in_thread(quota_charge)(project="proj-bob", api="youtube", units=1)
    assert [f["used"] for f in of_type(await frames(socket), "quota_update")] == [1]
    await socket.disconnect()
