"""/api/v1/changesets and tenancy (#14): items only of videos the caller may see, one change set
per content owner, and the admin's rule for approve, push, revert and resolve.

charlie manages owner B; vic is in the Viewer group with an editor membership of A; eddie is a
Rights manager with an editor membership of A; dora manages A (tests/api/conftest.py)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.models import Role
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ChangeSet, ChangeSetItem
from tests.conftest import staff_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"


@pytest.fixture
def vic_api(django_user_model, owner_a, api_for):
    return api_for(staff_user(django_user_model, "vic", "Viewer", content_owner=owner_a, role=Role.EDITOR))


@pytest.fixture
def eddie(django_user_model, owner_a):
    return staff_user(django_user_model, "eddie", "Rights manager", content_owner=owner_a, role=Role.EDITOR)


@pytest.fixture
def eddie_api(eddie, api_for):
    return api_for(eddie)


@pytest.fixture
def spanning(catalogue, root):
    """A change set from before #14 (or a superuser's, written straight): one A video, one B video."""
    changeset = ChangeSet.objects.create(created_by=root, title="Both labels")
    for video, new in ((catalogue["a1_song"], "Unreleased A title"), (catalogue["b1_secret"], "B retitled")):
        ChangeSetItem.objects.create(
            changeset=changeset, video=video, field="title", base_value=video.title, new_value=new
        )
    return changeset


def test_charlie_gets_only_bs_items_of_a_spanning_change_set(spanning, charlie_api):
    detail = charlie_api.get(f"{URL}{spanning.pk}/")
    items = charlie_api.get(f"{URL}{spanning.pk}/items/")
    preview = charlie_api.get(f"{URL}{spanning.pk}/preview/")

    assert detail.status_code == items.status_code == preview.status_code == 200
    assert [item["video"] for item in detail.json()["items"]] == ["b1secret001"]
    assert detail.json()["item_counts"]["pending"] == 1
    assert [item["video"] for item in items.json()["results"]] == ["b1secret001"]
    assert preview.json()["videos"] == 1
    for response in (detail, items, preview):
        assert "a1song00001" not in response.content.decode()
        assert "Unreleased A title" not in response.content.decode()


def test_a_change_set_charlie_made_holding_only_as_items_is_404(catalogue, charlie, charlie_api):
    changeset = ChangeSet.objects.create(created_by=charlie, title="Old work")
    ChangeSetItem.objects.create(
        changeset=changeset, video=catalogue["a1_song"], field="title", base_value="x", new_value="A only"
    )

    for path in ("", "items/", "preview/"):
        assert charlie_api.get(f"{URL}{changeset.pk}/{path}").status_code == 404
    assert charlie_api.post(f"{URL}{changeset.pk}/push/").status_code == 404
    assert charlie_api.get(URL).json()["results"] == []


def test_a_superusers_bulk_edit_across_owners_makes_one_change_set_per_owner(
    catalogue, root_api, charlie_api
):
    response = root_api.post(
        URL, {"video_ids": ["a1song00001", "b1secret001"], "edit": {"privacy_status": "unlisted"}}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["changesets"]) == 2 and body["changeset"]["id"] == body["changesets"][0]
    owners = {
        changeset.content_owner_id: list(changeset.items.values_list("video_id", flat=True))
        for changeset in ChangeSet.objects.filter(pk__in=body["changesets"])
    }
    assert owners == {"owner-a": ["a1song00001"], "owner-b": ["b1secret001"]}
    listed = charlie_api.get(URL).json()["results"]
    assert [(row["id"], row["content_owner"]) for row in listed] == [(owners_pk("owner-b"), "owner-b")]


def owners_pk(owner_id) -> int:
    return ChangeSet.objects.get(content_owner_id=owner_id).pk


@pytest.fixture
def alices_draft(catalogue, alice) -> ChangeSet:
    video_update(video=catalogue["a1_song"], changes={"title": "Retitled"}, user=alice)
    return ChangeSet.objects.get()


def _done(changeset):
    changeset.items.update(status=ChangeSetItem.Status.DONE)
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.DONE)


def _conflicted(changeset) -> ChangeSetItem:
    changeset.items.update(status=ChangeSetItem.Status.CONFLICT, theirs_value="Theirs")
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.HAS_CONFLICTS)
    return changeset.items.get()


def test_a_viewer_group_editor_may_not_approve_push_revert_or_resolve(alices_draft, vic_api):
    for verb in ("approve", "push"):
        response = vic_api.post(f"{URL}{alices_draft.pk}/{verb}/")
        assert response.status_code == 403, (verb, response.content)
    alices_draft.refresh_from_db()
    assert alices_draft.status == ChangeSet.Status.DRAFT and alices_draft.approved_by is None

    _done(alices_draft)
    assert vic_api.post(f"{URL}{alices_draft.pk}/revert/").status_code == 403
    assert not ChangeSet.objects.filter(revert_of=alices_draft).exists()

    item = _conflicted(alices_draft)
    response = vic_api.post(f"{URL}{alices_draft.pk}/resolve/", {"resolution": "keep_theirs"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.CONFLICT


def test_a_rights_manager_editor_may_approve_push_revert_and_resolve(alices_draft, eddie, eddie_api):
    assert eddie_api.post(f"{URL}{alices_draft.pk}/approve/").json()["approved_by"] == "eddie"
    assert eddie_api.post(f"{URL}{alices_draft.pk}/push/").status_code == 202

    _done(alices_draft)
    revert = eddie_api.post(f"{URL}{alices_draft.pk}/revert/")
    assert revert.status_code == 201 and revert.json()["content_owner"] == "owner-a"

    revert_set = ChangeSet.objects.get(pk=revert.json()["id"])
    item = _conflicted(revert_set)
    response = eddie_api.post(f"{URL}{revert_set.pk}/resolve/", {"resolution": "overwrite"})
    assert response.status_code == 200 and response.json()["resolved"] == 1
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.PENDING


def test_four_eyes_an_editor_may_not_approve_a_manager_of_the_owner_may(
    catalogue, alice, eddie_api, dora_api, settings
):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    changeset = ChangeSet.objects.get()

    refused = eddie_api.post(f"{URL}{changeset.pk}/approve/")
    assert refused.status_code == 403 and "manager role" in refused.content.decode()
    approved = dora_api.post(f"{URL}{changeset.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_an_empty_change_set_cannot_be_approved(alice, alice_api, owner_a):
    changeset = ChangeSet.objects.create(created_by=alice, content_owner=owner_a, title="Empty")

    response = alice_api.post(f"{URL}{changeset.pk}/approve/")

    assert response.status_code == 409 and "no items" in response.content.decode()
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DRAFT


def test_a_viewer_group_editor_is_told_the_group_not_the_role_is_missing(catalogue, owner_a, vic_api):
    # vic has the editor role already; telling him to get one would send him to the wrong admin.
    patch = vic_api.patch("/api/v1/videos/a1song00001/", {"title": "Mine now"}, format="json")
    assert patch.status_code == 403 and "role group" in str(patch.json())
    upload = vic_api.post(
        "/api/v1/reports/",
        {"file": SimpleUploadedFile("a4.csv", b"video_id\n"), "content_owner": owner_a.pk},
        format="multipart",
    )
    assert upload.status_code == 403 and "role group" in str(upload.json())
