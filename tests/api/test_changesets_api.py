"""/api/v1/changesets: create from a bulk edit (ids or filter, bounded), preview (quota, days,
limits), approve (four-eyes), push (queued, never inline), revert (the inverse), resolve, items.

alice manages owner A, dora is a second manager of A, bob views channel A1, charlie manages owner
B and must see nothing of A. Pushes go to the YouTube emulator over HTTP."""

import pytest

from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from syncs.youtube.quota_clock import next_quota_reset
from tests.api.conftest import error_codes, ids
from tests.syncs.conftest import api_requests
from videos.models import Video

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"
A_VIDEOS = ["a1live00001", "a1song00001", "a2clip00001"]
RETITLE = {"find": "Midnight", "replace": "Noon", "find_in": ["title"]}


def create(client, **body):
    return client.post(URL, body)


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["syncs"]}
    }


@pytest.fixture
def alices_changeset(catalogue, alice_api) -> ChangeSet:
    """alice retitles the A1 song: a draft with one item (bob sees it, charlie does not)."""
    response = create(alice_api, video_ids=["a1song00001"], edit=RETITLE)
    assert response.status_code == 201, response.content
    return ChangeSet.objects.get(pk=response.json()["changeset"]["id"])


def _conflict(changeset: ChangeSet, theirs="Theirs") -> ChangeSetItem:
    """The state a push leaves when YouTube's value moved since the edit began (see
    tests/syncs/test_changeset_push.py for the push itself producing it)."""
    item = changeset.items.get()
    ChangeSetItem.objects.filter(pk=item.pk).update(status=ChangeSetItem.Status.CONFLICT, theirs_value=theirs)
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.HAS_CONFLICTS)
    item.refresh_from_db()
    return item


# ---- create from a bulk edit


def test_a_bulk_edit_by_ids_becomes_alices_draft_change_set(catalogue, alice_api):
    response = create(alice_api, video_ids=A_VIDEOS, edit={"privacy_status": "unlisted"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["selected"], body["changing"], body["updated"], body["invalid"], body["unchanged"]) == (
        3,
        3,
        3,
        0,
        0,
    )
    changeset = body["changeset"]
    assert changeset["status"] == "draft" and changeset["created_by"] == "alice"
    assert changeset["item_counts"]["pending"] == 3 and changeset["items_truncated"] is False
    assert {(i["video"], i["field"], i["base_value"], i["new_value"]) for i in changeset["items"]} == {
        (video_id, "privacy_status", "public", "unlisted") for video_id in A_VIDEOS
    }
    assert set(Video.objects.filter(has_pending_changes=True).values_list("pk", flat=True)) == set(A_VIDEOS)


def test_a_second_bulk_edit_extends_the_same_draft(catalogue, alice_api):
    first = create(alice_api, video_ids=["a1song00001"], edit={"privacy_status": "unlisted"}).json()
    second = create(alice_api, video_ids=["a1song00001"], edit=RETITLE).json()

    assert first["changeset"]["id"] == second["changeset"]["id"]
    assert {i["field"] for i in second["changeset"]["items"]} == {"privacy_status", "title"}


def test_a_bulk_edit_by_filter_selects_from_the_video_list(catalogue, channel_a1, alice_api):
    response = create(alice_api, filter={"channel": channel_a1.pk}, edit={"add_tags": ["archive"]})

    assert response.status_code == 201, response.content
    items = response.json()["changeset"]["items"]
    assert sorted(i["video"] for i in items) == ["a1live00001", "a1song00001"]
    assert response.json()["selected"] == 2


def test_a_filter_sees_only_the_users_videos(catalogue, charlie_api):
    # charlie's "every video whose title says Midnight" is his own demo, not alice's song.
    response = create(charlie_api, filter={"search": "Midnight"}, edit={"add_tags": ["x"]})
    assert response.status_code == 201, response.content
    assert [i["video"] for i in response.json()["changeset"]["items"]] == ["b1secret001"]


def test_filter_errors_name_the_filter(catalogue, alice_api):
    response = create(alice_api, filter={"privacy": "secret", "colour": "red"}, edit=RETITLE)
    assert response.status_code == 400
    assert error_codes(response) == [("filter.colour", "unknown_field")]
    response = create(alice_api, filter={"privacy": "secret"}, edit=RETITLE)
    assert error_codes(response) == [("filter.privacy", "invalid_choice")]
    response = create(alice_api, filter={"channel": ["UC"]}, edit=RETITLE)
    assert error_codes(response) == [("filter.channel", "invalid_type")]
    response = create(alice_api, filter={"channel": "UCnobodyyyyyyyyyyyyyyyyy"}, edit=RETITLE)
    assert error_codes(response) == [("filter", "empty")]
    assert not ChangeSet.objects.exists()


def test_more_videos_than_the_bound_is_a_clear_error(catalogue, alice_api, settings):
    settings.BULK_EDIT_MAX_VIDEOS = 2
    response = create(alice_api, filter={}, edit={"privacy_status": "private"})
    assert response.status_code == 400
    assert error_codes(response) == [("filter", "too_many")]
    assert "more than 2 videos" in response.json()["errors"][0]["message"]
    response = create(alice_api, video_ids=A_VIDEOS, edit={"privacy_status": "private"})
    assert error_codes(response) == [("video_ids", "too_many")]
    # At the bound it goes through.
    assert create(alice_api, video_ids=A_VIDEOS[:2], edit={"privacy_status": "private"}).status_code == 201
    assert ChangeSet.objects.get().items.count() == 2


def test_ten_thousand_and_one_ids_are_refused_before_any_lookup(
    catalogue, alice_api, django_assert_max_num_queries
):
    video_ids = [f"v{n:010d}" for n in range(10_001)]
    with django_assert_max_num_queries(8):  # the token and the user, not 10,001 videos
        response = create(alice_api, video_ids=video_ids, edit={"privacy_status": "private"})
    assert response.status_code == 400
    assert error_codes(response) == [("video_ids", "too_many")]
    assert "10,001 video ids; one bulk edit takes at most 10,000" in response.json()["errors"][0]["message"]


def test_unknown_fields_and_ambiguous_selections_are_refused(catalogue, alice_api):
    response = create(alice_api, video_ids=["a1song00001"], edit=RETITLE, status="approved")
    assert response.status_code == 400 and error_codes(response) == [("status", "unknown_field")]
    response = create(alice_api, video_ids=["a1song00001"], edit={"title": "x"})
    assert error_codes(response) == [("edit.title", "unknown_field")]
    response = create(alice_api, video_ids=["a1song00001"], filter={}, edit=RETITLE)
    assert error_codes(response) == [(None, "one_selection")]
    response = create(alice_api, edit=RETITLE)
    assert error_codes(response) == [(None, "required")]
    assert not ChangeSet.objects.exists()


def test_bob_the_viewer_may_not_create_a_change_set(catalogue, bob_api):
    response = create(bob_api, video_ids=["a1song00001"], edit=RETITLE)
    assert response.status_code == 403
    assert not ChangeSet.objects.exists()


def test_another_owners_videos_are_not_found(catalogue, charlie_api, alice_api):
    response = create(charlie_api, video_ids=["a1song00001"], edit=RETITLE)
    assert response.status_code == 400 and error_codes(response) == [("video_ids", "not_found")]
    response = create(alice_api, video_ids=["a1song00001", "b1secret001"], edit=RETITLE)
    assert error_codes(response) == [("video_ids", "not_found")]
    assert not ChangeSet.objects.exists()


def test_own_metadata_alone_makes_no_change_set(catalogue, alice_api):
    response = create(alice_api, video_ids=["a1song00001"], edit={"artists": ["Ana"]})
    assert response.status_code == 200, response.content
    assert response.json()["changeset"] is None and response.json()["updated"] == 1
    assert Video.objects.get(pk="a1song00001").artists == ["Ana"]


# ---- who sees which change sets


def test_list_and_retrieve_by_persona(alices_changeset, alice_api, bob_api, charlie_api):
    assert ids(alice_api.get(URL)) == [alices_changeset.pk]
    assert ids(bob_api.get(URL)) == [alices_changeset.pk]  # it touches a video of A1
    assert ids(charlie_api.get(URL)) == []
    assert bob_api.get(f"{URL}{alices_changeset.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "items/"),
        ("get", "preview/"),
        ("post", "approve/"),
        ("post", "push/"),
        ("post", "revert/"),
        ("post", "resolve/"),
    ],
)
def test_an_outsider_gets_404_for_every_endpoint_of_a_change_set(
    method, suffix, alices_changeset, charlie_api
):
    url = f"{URL}{alices_changeset.pk}/{suffix}"
    body = {"resolution": "overwrite"} if suffix == "resolve/" else None
    response = getattr(charlie_api, method)(url, body)
    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]
    unknown = getattr(charlie_api, method)(f"{URL}{alices_changeset.pk + 100}/{suffix}", body)
    assert unknown.status_code == 404 and unknown.json() == response.json()
    alices_changeset.refresh_from_db()
    assert alices_changeset.status == ChangeSet.Status.DRAFT


def test_a_change_set_of_a2_only_is_unknown_to_bob(catalogue, alice_api, bob_api):
    changeset_id = create(alice_api, video_ids=["a2clip00001"], edit=RETITLE | {"find": "Studio"}).json()[
        "changeset"
    ]["id"]
    assert bob_api.get(f"{URL}{changeset_id}/").status_code == 404
    assert ids(bob_api.get(URL)) == []


@pytest.mark.parametrize("verb", ["approve", "push", "revert", "resolve"])
def test_bob_the_viewer_may_read_but_not_act(verb, alices_changeset, bob_api):
    body = {"resolution": "overwrite"} if verb == "resolve" else None
    response = bob_api.post(f"{URL}{alices_changeset.pk}/{verb}/", body)
    assert response.status_code == 403
    assert error_codes(response) == [(None, "permission_denied")]
    alices_changeset.refresh_from_db()
    assert alices_changeset.status == ChangeSet.Status.DRAFT


def test_list_filters(alices_changeset, alice_api, dora_api):
    assert ids(alice_api.get(URL, {"status": "draft"})) == [alices_changeset.pk]
    assert ids(alice_api.get(URL, {"status": "done"})) == []
    assert ids(alice_api.get(URL, {"mine": "true"})) == [alices_changeset.pk]
    assert ids(dora_api.get(URL, {"mine": "true"})) == []
    assert ids(dora_api.get(URL, {"mine": "false"})) == [alices_changeset.pk]
    response = alice_api.get(URL, {"status": "lost"})
    assert response.status_code == 400 and error_codes(response) == [("status", "invalid_choice")]


# ---- preview


def test_preview_gives_quota_units_days_and_limit_violations(catalogue, alice, alice_api, settings):
    from syncs.services.quota import quota_charge

    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 100, 0
    changeset_id = create(alice_api, video_ids=A_VIDEOS, edit={"privacy_status": "unlisted"}).json()[
        "changeset"
    ]["id"]
    quota_charge(project="p", api="youtube", units=40)
    ChangeSetItem.objects.filter(video_id="a1song00001").update(field="title", new_value="x" * 101)

    response = alice_api.get(f"{URL}{changeset_id}/preview/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["videos"], body["update_units"], body["read_units"], body["quota_units"]) == (3, 150, 1, 151)
    assert (body["remaining_today"], body["daily_budget"], body["days_needed"]) == (60, 100, 2)
    # 60 units pay for one video today (50 + 1 read); the other two wait for the Pacific midnight.
    assert (body["videos_today"], body["videos_deferred"]) == (1, 2)
    assert body["resets_at"].startswith(next_quota_reset().strftime("%Y-%m-%dT%H:%M"))
    (violation,) = body["violations"]
    assert (violation["video"], violation["field"], violation["code"]) == ("a1song00001", "title", "too_long")
    assert body["violations_truncated"] is False


# ---- approve: the four-eyes rule


def test_four_eyes_the_author_may_not_approve_a_second_manager_may(catalogue, alice_api, dora_api, settings):
    settings.CHANGESET_FOUR_EYES = True
    changeset = create(alice_api, video_ids=["a1song00001"], edit={"privacy_status": "private"}).json()[
        "changeset"
    ]
    assert changeset["needs_approval"] is True
    url = f"{URL}{changeset['id']}/"

    response = alice_api.post(url + "approve/")
    assert response.status_code == 403
    assert error_codes(response) == [(None, "four_eyes")]
    response = alice_api.post(url + "push/")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "approval_required")]
    assert ChangeSet.objects.get().status == ChangeSet.Status.DRAFT

    response = dora_api.post(url + "approve/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["approved_by"]) == ("approved", "dora")
    assert alice_api.post(url + "push/").status_code == 202
    assert ChangeSet.objects.get().status == ChangeSet.Status.QUEUED


def test_four_eyes_leaves_titles_to_their_author(alices_changeset, alice_api, settings):
    settings.CHANGESET_FOUR_EYES = True
    response = alice_api.post(f"{URL}{alices_changeset.pk}/approve/")
    assert response.status_code == 200, response.content
    assert response.json()["approved_by"] == "alice"


def test_approving_twice_is_a_409(alices_changeset, alice_api):
    assert alice_api.post(f"{URL}{alices_changeset.pk}/approve/").status_code == 200
    response = alice_api.post(f"{URL}{alices_changeset.pk}/approve/")
    assert response.status_code == 409 and error_codes(response) == [(None, "invalid_state")]


def test_actions_refuse_a_body_with_fields(alices_changeset, alice_api):
    for verb in ("approve", "push", "revert"):
        response = alice_api.post(f"{URL}{alices_changeset.pk}/{verb}/", {"status": "done"})
        assert response.status_code == 400, verb
        assert error_codes(response) == [("status", "unknown_field")]
    alices_changeset.refresh_from_db()
    assert alices_changeset.status == ChangeSet.Status.DRAFT


# ---- push: queued, never inline


def test_push_queues_the_task_and_sends_nothing_itself(
    alices_changeset, alice_api, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(f"{URL}{alices_changeset.pk}/push/")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "syncs.tasks.changeset_push_task"
    assert task.args_kwargs["kwargs"] == {"changeset_id": alices_changeset.pk}
    assert task.status == "READY"
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.PENDING
    assert not SyncRecord.objects.exists()


def test_push_runs_in_the_worker_then_revert_creates_the_inverse(
    emulator,
    owner_a,
    connect,
    alices_changeset,
    alice_api,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    connect(owner_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post(f"{URL}{alices_changeset.pk}/push/").status_code == 202

    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Noon Song"
    pushed = alice_api.get(f"{URL}{alices_changeset.pk}/").json()
    assert pushed["status"] == "done" and pushed["item_counts"]["done"] == 1
    record = SyncRecord.objects.get()
    assert ids(alice_api.get("/api/v1/syncs/", {"changeset": alices_changeset.pk})) == [record.pk]
    assert record.fields == {"title": {"before": "Midnight Song", "after": "Noon Song"}}

    response = alice_api.post(f"{URL}{alices_changeset.pk}/revert/")

    assert response.status_code == 201, response.content
    revert = response.json()
    assert revert["revert_of"] == alices_changeset.pk and revert["status"] == "draft"
    assert [(i["video"], i["field"], i["base_value"], i["new_value"]) for i in revert["items"]] == [
        ("a1song00001", "title", "Noon Song", "Midnight Song")
    ]
    # The push wrote once; the revert is a draft and wrote nothing.
    assert len(api_requests(emulator, "youtube.videos.update")) == 1


def test_revert_of_an_unpushed_change_set_is_a_409(alices_changeset, alice_api):
    response = alice_api.post(f"{URL}{alices_changeset.pk}/revert/")
    assert response.status_code == 409
    assert error_codes(response) == [(None, "invalid_state")]
    assert "Only a pushed change set can be reverted." in response.json()["errors"][0]["message"]
    assert ChangeSet.objects.count() == 1


# ---- conflicts


def test_retrieve_shows_conflicts_with_both_values(alices_changeset, alice_api):
    item = _conflict(alices_changeset)

    body = alice_api.get(f"{URL}{alices_changeset.pk}/").json()

    assert body["status"] == "has_conflicts" and body["item_counts"]["conflict"] == 1
    (conflict,) = body["conflicts"]
    assert (conflict["id"], conflict["base_value"], conflict["new_value"], conflict["theirs_value"]) == (
        item.pk,
        "Midnight Song",
        "Noon Song",
        "Theirs",
    )


def test_resolve_keep_theirs_skips_the_item_and_follows_youtube(alices_changeset, alice_api):
    item = _conflict(alices_changeset)

    response = alice_api.post(f"{URL}{alices_changeset.pk}/resolve/", {"resolution": "keep_theirs"})

    assert response.status_code == 200, response.content
    assert response.json()["resolved"] == 1
    item.refresh_from_db()
    assert (item.status, item.resolution) == (ChangeSetItem.Status.SKIPPED, "keep_theirs")
    assert Video.objects.get(pk="a1song00001").title == "Theirs"
    assert response.json()["changeset"]["status"] == "done"


def test_resolve_overwrite_puts_ours_back_in_the_queue(alices_changeset, alice_api):
    item = _conflict(alices_changeset)

    response = alice_api.post(
        f"{URL}{alices_changeset.pk}/resolve/", {"resolution": "overwrite", "item_ids": [item.pk]}
    )

    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.status, item.base_value, item.new_value) == (
        ChangeSetItem.Status.PENDING,
        "Theirs",
        "Noon Song",
    )


def test_resolve_checks_its_input(alices_changeset, alice_api, catalogue):
    item = _conflict(alices_changeset)
    url = f"{URL}{alices_changeset.pk}/resolve/"
    response = alice_api.post(url, {"resolution": "merge"})
    assert response.status_code == 400 and error_codes(response) == [("resolution", "invalid_choice")]
    response = alice_api.post(url, {"resolution": "overwrite", "item_ids": [item.pk + 1]})
    assert error_codes(response) == [("item_ids", "not_found")]
    response = alice_api.post(url, {"resolution": "overwrite", "note": "x"})
    assert error_codes(response) == [("note", "unknown_field")]
    # An item of another change set is not this one's conflict.
    other = ChangeSet.objects.create(created_by=None, status=ChangeSet.Status.HAS_CONFLICTS)
    foreign = ChangeSetItem.objects.create(
        changeset=other, video=catalogue["b1_secret"], field="title", status=ChangeSetItem.Status.CONFLICT
    )
    response = alice_api.post(url, {"resolution": "overwrite", "item_ids": [foreign.pk]})
    assert error_codes(response) == [("item_ids", "not_found")]
    item.refresh_from_db()
    foreign.refresh_from_db()
    assert item.status == foreign.status == ChangeSetItem.Status.CONFLICT


# ---- items


def test_items_come_in_cursor_pages_and_filter_by_status(catalogue, alice_api):
    changeset_id = create(
        alice_api, video_ids=A_VIDEOS, edit={"privacy_status": "unlisted", "add_tags": ["t"]}
    ).json()["changeset"]["id"]
    ChangeSetItem.objects.filter(video_id="a2clip00001").update(status=ChangeSetItem.Status.FAILED)
    url = f"{URL}{changeset_id}/items/"

    seen, next_url = [], f"{url}?page_size=4"
    while next_url:
        body = alice_api.get(next_url).json()
        seen += [(row["video"], row["field"]) for row in body["results"]]
        next_url = body["next"]
    assert len(seen) == len(set(seen)) == 6
    failed = alice_api.get(url, {"status": "failed"}).json()["results"]
    assert sorted(row["field"] for row in failed) == ["privacy_status", "tags"]
    assert {row["video"] for row in failed} == {"a2clip00001"}
    response = alice_api.get(url, {"status": "bogus"})
    assert response.status_code == 400 and error_codes(response) == [("status", "invalid_choice")]


def test_items_of_an_unknown_or_malformed_change_set_are_404(alices_changeset, alice_api):
    assert alice_api.get(f"{URL}{alices_changeset.pk + 1}/items/").status_code == 404
    assert alice_api.get(f"{URL}{'9' * 30}/items/").status_code == 404
    assert alice_api.get(f"{URL}abc/").status_code == 404


def test_change_sets_are_not_deleted_or_patched_through_the_api(alices_changeset, alice_api):
    assert alice_api.delete(f"{URL}{alices_changeset.pk}/").status_code == 405
    assert alice_api.patch(f"{URL}{alices_changeset.pk}/", {"status": "done"}).status_code == 405


def test_a_patch_of_a_video_lands_in_the_same_draft(alices_changeset, catalogue, alice, alice_api):
    # The video endpoint and the change-set endpoint share one draft per user.
    video_update(video=catalogue["a1_live"], changes={"title": "Live at Noon"}, user=alice)
    body = alice_api.get(f"{URL}{alices_changeset.pk}/").json()
    assert {i["video"] for i in body["items"]} == {"a1song00001", "a1live00001"}


def test_creating_change_sets_spends_the_bulk_budget(catalogue, alice_api, settings):
    settings.API_THROTTLE_BULK = "1/minute"
    assert create(alice_api, video_ids=["a1song00001"], edit=RETITLE).status_code == 201
    response = create(alice_api, video_ids=["a1live00001"], edit={"add_tags": ["x"]})
    assert response.status_code == 429
    assert error_codes(response) == [(None, "throttled")]
    assert alice_api.get(URL).status_code == 200  # reads keep their own budget
