"""Two workers pushing the same change set never push an item twice (PostgreSQL: SKIP LOCKED)."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem

from .conftest import CHANNEL_A1, api_requests


@pytest.fixture
def queue_title_edits(emulator, channel_a1, owner_a, make_video, connect, django_user_model):
    """Queue a change set of one title edit per new video, for these ids (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")

    def queue(ids: list[str]) -> ChangeSet:
        connect(owner_a)
        editor = django_user_model.objects.create_user(username="editor", password="pw", is_staff=True)
        emulator.state.load(
            {
                "videos": [
                    {"id": i, "snippet": {"channelId": CHANNEL_A1, "title": i, "categoryId": "10"}}
                    for i in ids
                ]
            }
        )
        for video_id in ids:
            video = make_video(channel_a1, video_id=video_id, title=video_id)
            video_update(video=video, changes={"title": video_id + " new"}, user=editor)
        changeset = ChangeSet.objects.get()
        changeset_queue(changeset=changeset, user=editor, enqueue=False)
        return changeset

    return queue


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_push_each_item_exactly_once(emulator, queue_title_edits):
    ids = [f"race{n:07d}" for n in range(120)]
    changeset = queue_title_edits(ids)
    start = threading.Barrier(2)
    errors = []

    def work():
        try:
            start.wait()
            changeset_push(changeset=ChangeSet.objects.get(pk=changeset.pk))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    updates = Counter(r["body"]["id"] for r in api_requests(emulator, "youtube.videos.update"))
    assert set(updates) == set(ids) and set(updates.values()) == {1}
    assert set(ChangeSetItem.objects.values_list("status", flat=True)) == {ChangeSetItem.Status.DONE}
    assert all(emulator.state.video(i)["snippet"]["title"] == i + " new" for i in ids)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_that_meets_another_workers_claim_waits_for_it_instead_of_giving_up(queue_title_edits):
    from django.db import transaction

    changeset = queue_title_edits([f"held{n:07d}" for n in range(3)])
    locked, release = threading.Event(), threading.Event()

    def another_workers_claim():
        # Holds every item's row lock, as a claim in progress does, then lets go without claiming.
        try:
            with transaction.atomic():
                list(
                    ChangeSetItem.objects.order_by()
                    .select_for_update(of=("self",))
                    .values_list("pk", flat=True)
                )
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=another_workers_claim)
    holder.start()
    assert locked.wait(timeout=10)
    threading.Timer(0.5, release.set).start()

    result = changeset_push(changeset=ChangeSet.objects.get(pk=changeset.pk))
    holder.join()

    assert result.videos_written == 3
    assert set(ChangeSetItem.objects.values_list("status", flat=True)) == {ChangeSetItem.Status.DONE}
