"""The outbox on the in-memory layer: what another process leaves there reaches the allowed sockets.

In this process the relay runs once a socket has connected (as in the web server); rows written
with `outbox_write` stand for what the task worker or a command writes from its own process.
tests/live/test_two_processes.py and test_browser_worker.py run the real processes.
"""

from datetime import timedelta

import pytest
from channels.layers import channel_layers
from django.utils import timezone

from core.live import outbox, transport
from core.live.groups import groups_for_event
from core.live.models import LiveOutboxBatch

from .conftest import connected, frames, in_thread, transactional


@pytest.fixture(autouse=True)
def _in_memory_layer(_own_channel_layer, settings):
    """The embedded default's layer even when REDIS_URL is set: the outbox only serves that one."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()


def frame_for_owner(owner_id: str, title: str) -> list[list]:
    """What a process without the web server's layer leaves for one video_update to an owner."""
    built = transport.frame(
        "video_update", {"video_id": "outbox00001", "title": title, "content_owner_id": owner_id}
    )
    return [
        [group, {"type": transport.MESSAGE_TYPE, "id": f"{owner_id}-{title}", "group": group, "frame": built}]
        for group in groups_for_event(content_owner_id=owner_id)
    ]


@transactional
@pytest.mark.asyncio
async def test_a_batch_left_by_another_process_reaches_only_the_owners_sockets(alice, charlie, cookie_of):
    alice_socket = await connected(await in_thread(cookie_of)(alice))
    charlie_socket = await connected(await in_thread(cookie_of)(charlie))

    await in_thread(outbox.outbox_write)(messages=frame_for_owner("owner-a", "From the worker"))

    received = await frames(alice_socket, wait=1.5)
    assert [(f["type"], f["title"]) for f in received] == [("video_update", "From the worker")]
    assert await frames(charlie_socket, wait=1) == []
    await alice_socket.disconnect()
    await charlie_socket.disconnect()


@transactional
@pytest.mark.asyncio
async def test_the_relay_starts_after_the_batches_already_there(alice, cookie_of):
    await in_thread(outbox.outbox_write)(messages=frame_for_owner("owner-a", "Before anyone listened"))
    socket = await connected(await in_thread(cookie_of)(alice))

    await in_thread(outbox.outbox_write)(messages=frame_for_owner("owner-a", "After"))

    assert [f["title"] for f in await frames(socket, wait=1.5)] == ["After"]
    await socket.disconnect()


@transactional
@pytest.mark.asyncio
async def test_a_batch_committed_after_a_higher_id_is_still_relayed(alice, cookie_of):
    """PostgreSQL takes ids before commit: a lower id can become visible after a higher one."""
    socket = await connected(await in_thread(cookie_of)(alice))
    newest = await in_thread(outbox.outbox_newest_id)()

    def write(batch_id: int, title: str):
        LiveOutboxBatch.objects.create(id=batch_id, messages=frame_for_owner("owner-a", title))

    await in_thread(write)(newest + 2, "Second id, first commit")
    first = await frames(socket, wait=1)
    await in_thread(write)(newest + 1, "First id, late commit")
    late = await frames(socket, wait=1)

    assert [f["title"] for f in first] == ["Second id, first commit"]
    assert [f["title"] for f in late] == ["First id, late commit"]
    await socket.disconnect()


@pytest.mark.django_db
def test_a_publish_without_the_relay_in_this_process_leaves_the_frame_in_the_outbox(
    owner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transport.publish("processing_update", {"report_id": 7, "progress": 100}, content_owner_id="owner-a")

    (batch,) = LiveOutboxBatch.objects.all()
    groups = [group for group, _ in batch.messages]
    assert groups == groups_for_event(content_owner_id="owner-a")
    assert {message["frame"]["progress"] for _, message in batch.messages} == {100}


@pytest.mark.django_db
def test_batches_older_than_the_keep_time_are_pruned():
    old = LiveOutboxBatch.objects.create(messages=[])
    fresh = LiveOutboxBatch.objects.create(messages=[])
    LiveOutboxBatch.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=outbox.KEEP_SECONDS + 1)
    )

    assert outbox.outbox_prune() == 1
    assert list(LiveOutboxBatch.objects.values_list("pk", flat=True)) == [fresh.pk]
