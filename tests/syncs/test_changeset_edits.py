"""The edit use case (syncs.changesets.edits): the row lock is taken there, for every door (#17)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from syncs.changesets.edits import video_edit_in_changeset
from syncs.models import ChangeSet, ChangeSetItem
from videos.models import Video


def draft_items(user) -> dict[str, dict]:
    return {
        (item.video_id, item.field): item.new_value
        for item in ChangeSetItem.objects.filter(
            changeset__created_by=user, changeset__status=ChangeSet.Status.DRAFT
        )
    }


@pytest.mark.django_db
def test_an_edit_of_a_video_read_before_another_edit_keeps_that_edit(alice, catalogue):
    stale = Video.objects.get(pk="a1song00001")
    video_edit_in_changeset(video=catalogue["a1_song"], changes={"title": "First edit"}, user=alice)

    video_edit_in_changeset(video=stale, changes={"description": "Second edit"}, user=alice)

    saved = Video.objects.get(pk="a1song00001")
    assert (saved.title, saved.description) == ("First edit", "Second edit")
    assert (stale.title, stale.description) == ("First edit", "Second edit")  # read again, then edited
    assert draft_items(alice) == {
        ("a1song00001", "title"): "First edit",
        ("a1song00001", "description"): "Second edit",
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_edits_of_one_video_at_once_both_land_in_the_video_and_the_draft(alice, catalogue):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")
    # Both read the video before either writes: without the lock the second save would put the
    # first one's field back as it had read it.
    first_copy, second_copy = (Video.objects.get(pk="a1song00001") for _ in range(2))
    first_saved, release, errors = threading.Event(), threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                video_edit_in_changeset(video=first_copy, changes={"title": "Title from one"}, user=alice)
                first_saved.set()
                release.wait(timeout=10)  # holds the row lock until the second edit is waiting for it
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            first_saved.set()
            connections.close_all()

    def second():
        try:
            first_saved.wait(timeout=10)
            video_edit_in_changeset(video=second_copy, changes={"description": "Text from two"}, user=alice)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    threading.Timer(0.5, release.set).start()
    for thread in threads:
        thread.join()

    assert errors == []
    saved = Video.objects.get(pk="a1song00001")
    assert (saved.title, saved.description) == ("Title from one", "Text from two")
    assert sorted(saved.pending_fields) == ["description", "title"]
    assert draft_items(alice) == {
        ("a1song00001", "title"): "Title from one",
        ("a1song00001", "description"): "Text from two",
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_api_patch_locks_the_row_it_reads_before_writing_it(alice, catalogue, settings):
    from rest_framework.test import APIClient

    from channels_app.authentication import api_token_create

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no row locks")
    settings.API_THROTTLE_USER = settings.API_THROTTLE_TOKEN = "100000/hour"
    _, key = api_token_create(user=alice, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    with CaptureQueriesContext(connection) as captured:
        response = client.patch("/api/v1/videos/a1song00001/", {"title": "Locked Title"}, format="json")
    assert response.status_code == 200, response.content
    sqls = [query["sql"] for query in captured.captured_queries]
    locked = [n for n, sql in enumerate(sqls) if "FOR UPDATE" in sql and '"videos_video"' in sql]
    written = [n for n, sql in enumerate(sqls) if sql.startswith('UPDATE "videos_video"')]
    assert locked and written and locked[0] < written[0]
    assert draft_items(alice) == {("a1song00001", "title"): "Locked Title"}
