"""Edits land in the editor's open draft change set; approval, preview and the admin pages."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from channels_app.models import Membership, Role
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.edits import videos_bulk_edit_in_changeset as videos_bulk_edit
from syncs.changesets.preview import changeset_preview
from syncs.changesets.push import changeset_push
from syncs.changesets.services import ChangeSetError, changeset_approve, changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from syncs.services.quota import quota_charge
from videos.services import BulkEdit

from .conftest import api_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(django_user_model, owner_a):
    """A second manager of owner A (the four-eyes approver)."""
    user = django_user_model.objects.create_user(username="dora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=user, content_owner=owner_a, role=Role.MANAGER)
    return user


def _items():
    return {(i.video_id, i.field): (i.base_value, i.new_value) for i in ChangeSetItem.objects.all()}


def test_an_edit_opens_a_draft_with_youtubes_value_as_base(catalogue, alice):
    video_update(video=catalogue["a1_song"], changes={"title": "New", "notes": "own"}, user=alice)

    changeset = ChangeSet.objects.get()
    assert (changeset.status, changeset.created_by) == (ChangeSet.Status.DRAFT, alice)
    assert _items() == {("a1song00001", "title"): ("Midnight Song", "New")}  # notes are ours: not pushed


def test_later_edits_extend_the_same_draft_and_keep_the_first_base(catalogue, alice):
    video = catalogue["a1_song"]
    video_update(video=video, changes={"title": "First"}, user=alice)
    video_update(video=video, changes={"title": "Second", "tags": ["night", "new"]}, user=alice)

    assert ChangeSet.objects.count() == 1
    assert _items() == {
        ("a1song00001", "title"): ("Midnight Song", "Second"),
        ("a1song00001", "tags"): (["night"], ["night", "new"]),
    }


def test_editing_back_to_base_removes_the_item(catalogue, alice):
    video = catalogue["a1_song"]
    video_update(video=video, changes={"title": "First"}, user=alice)
    video_update(video=video, changes={"title": "Midnight Song"}, user=alice)

    assert not ChangeSetItem.objects.exists()


def test_each_user_has_their_own_draft(catalogue, alice, dora):
    video_update(video=catalogue["a1_song"], changes={"title": "Alice's"}, user=alice)
    video_update(video=catalogue["a1_live"], changes={"title": "Dora's"}, user=dora)

    assert ChangeSet.objects.filter(status=ChangeSet.Status.DRAFT).count() == 2


def test_bulk_edit_records_into_the_draft(catalogue, alice):
    videos = [catalogue["a1_song"], catalogue["a1_live"]]
    videos_bulk_edit(videos=videos, edit=BulkEdit(privacy_status="unlisted", artists=("X",)), user=alice)

    assert _items() == {
        ("a1song00001", "privacy_status"): ("public", "unlisted"),
        ("a1live00001", "privacy_status"): ("public", "unlisted"),
    }


def test_admin_save_and_bulk_edit_action_record_into_the_draft(client, catalogue, alice):
    from tests.videos.test_admin_personas import change_form_data

    client.force_login(alice)
    video = catalogue["a1_song"]
    response = client.post(
        reverse("admin:videos_video_change", args=[video.pk]), change_form_data(video, title="From the admin")
    )
    assert response.status_code == 302
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {
            "action": "bulk_edit",
            ACTION_CHECKBOX_NAME: ["a1live00001"],
            "select_across": "0",
            "bulk_edit_step": "apply",
            "add_tags": "bulk",
            "find_in": ["title"],
        },
    )
    assert response.status_code == 302

    items = _items()
    assert items[("a1song00001", "title")] == ("Midnight Song", "From the admin")
    assert items[("a1live00001", "tags")] == (["music", "live"], ["music", "live", "bulk"])


def test_four_eyes_rule_needs_a_second_manager_for_privacy(catalogue, alice, dora, settings):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    changeset = ChangeSet.objects.get()
    assert changeset.needs_approval

    with pytest.raises(ChangeSetError, match="four-eyes"):
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
    with pytest.raises(ChangeSetError, match="second manager"):
        changeset_approve(changeset=changeset, user=alice)

    changeset_approve(changeset=changeset, user=dora)
    changeset = changeset_queue(changeset=changeset, user=alice, enqueue=False)
    assert changeset.status == ChangeSet.Status.QUEUED


def test_four_eyes_rule_leaves_titles_alone_and_is_off_by_default(catalogue, alice, settings):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"title": "Fine"}, user=alice)
    assert not ChangeSet.objects.get().needs_approval

    settings.CHANGESET_FOUR_EYES = False
    video_update(video=catalogue["a1_song"], changes={"license": "creativeCommon"}, user=alice)
    changeset = ChangeSet.objects.get()
    assert changeset_queue(changeset=changeset, user=alice, enqueue=False).status == ChangeSet.Status.QUEUED


def test_preview_shows_quota_cost_and_days(catalogue, alice, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 100, 0
    for video in (catalogue["a1_song"], catalogue["a1_live"], catalogue["a2_clip"]):
        video_update(video=video, changes={"title": video.title + "!"}, user=alice)
    quota_charge(project="p", api="youtube", units=40)

    preview = changeset_preview(changeset=ChangeSet.objects.get())

    assert (preview.videos, preview.update_units, preview.read_units, preview.quota_units) == (3, 150, 1, 151)
    assert preview.remaining_today == 60
    assert preview.days_needed == 2  # 60 today, the other 91 tomorrow (100 a day)


def test_preview_flags_items_over_a_youtube_limit(catalogue, alice):
    video_update(video=catalogue["a1_song"], changes={"title": "Fine"}, user=alice)
    ChangeSetItem.objects.update(new_value="x" * 101)

    (row,) = changeset_preview(changeset=ChangeSet.objects.get()).rows
    assert "title is 101 characters; YouTube allows 100." in [v.message for v in row.violations]


def test_admin_page_shows_the_preview_and_pushes(
    client, emulator, catalogue, owner_a, alice, connect, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["syncs"]}
    }
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Via admin"}, user=alice)
    changeset = ChangeSet.objects.get()
    client.force_login(alice)

    response = client.get(reverse("admin:syncs_changeset_change", args=[changeset.pk]))
    assert response.status_code == 200, response
    page = response.content.decode()
    assert "Midnight Song" in page and "Via admin" in page and "51 quota units" in page
    assert "Push to YouTube" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"]))
    assert response.status_code == 302
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    assert emulator.state.video("a1song00001")["snippet"]["title"] == "Via admin"


def test_outsider_cannot_see_or_push_a_change_set(client, catalogue, alice, charlie):
    video_update(video=catalogue["a1_song"], changes={"title": "Secret"}, user=alice)
    changeset = ChangeSet.objects.get()
    client.force_login(charlie)

    assert client.get(reverse("admin:syncs_changeset_change", args=[changeset.pk])).status_code == 404
    assert client.post(reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"])).status_code == 404


def test_audit_rows_are_append_only_in_the_admin(client, emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Audited"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_push(changeset=changeset)
    record = SyncRecord.objects.get()
    client.force_login(alice)

    listing = client.get(reverse("admin:syncs_syncrecord_changelist"))
    assert listing.status_code == 200 and "a1song00001" in listing.content.decode()
    change_url = reverse("admin:syncs_syncrecord_change", args=[record.pk])
    assert client.post(change_url, {"status": "failed"}).status_code == 403
    assert client.post(reverse("admin:syncs_syncrecord_delete", args=[record.pk])).status_code == 403
    assert client.get(reverse("admin:syncs_syncrecord_add")).status_code == 403
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.SUCCESS
    assert len(api_requests(emulator, "youtube.videos.update")) == 1


def test_a_viewer_may_not_approve_or_push(client, catalogue, alice, bob):
    video_update(video=catalogue["a1_song"], changes={"title": "Needs a manager"}, user=alice)
    changeset = ChangeSet.objects.get()
    client.force_login(bob)

    response = client.post(reverse("admin:syncs_changeset_act", args=[changeset.pk, "approve"]))

    # Back to the page with the reason (#14), not a bare 403.
    assert response.status_code == 302 and response["Location"].endswith(f"/{changeset.pk}/change/")
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DRAFT


def test_push_refuses_an_unapproved_four_eyes_change_set(catalogue, alice, settings):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"license": "creativeCommon"}, user=alice)
    changeset = ChangeSet.objects.get()
    ChangeSet.objects.update(status=ChangeSet.Status.QUEUED)  # e.g. queued before the rule was turned on

    with pytest.raises(ChangeSetError, match="approval"):
        changeset_push(changeset=changeset)


def test_revert_button_creates_the_inverse_draft(client, emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Pushed"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_push(changeset=changeset)
    client.force_login(alice)

    response = client.post(reverse("admin:syncs_changeset_act", args=[changeset.pk, "revert"]))

    revert = ChangeSet.objects.get(revert_of=changeset)
    assert response.status_code == 302 and response["Location"].endswith(f"/{revert.pk}/change/")
    assert [(i.base_value, i.new_value) for i in revert.items.all()] == [("Pushed", "Midnight Song")]
    page = client.get(response["Location"]).content.decode()
    assert "Push to YouTube" in page and "51 quota units" in page
