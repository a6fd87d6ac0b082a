"""Change sets and tenancy (#14): one content owner per change set, items shown only to those who
may see their video, and one rule for who may approve, push, revert and resolve.

alice manages owner A, charlie manages owner B; vic is in the Viewer group with an *editor*
membership of A (reads, may not change: the group says so); eddie is a Rights manager with an editor
membership of A; dora is a second manager of A. The admin is driven as a browser drives it: CSRF
checks on, every field of the form posted.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from channels_app.models import Role
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.edits import videos_bulk_edit_in_changeset as videos_bulk_edit
from syncs.changesets.services import ChangeSetError
from syncs.models import ChangeSet, ChangeSetItem
from tests.conftest import browser, staff_user
from videos.services import BulkEdit

pytestmark = pytest.mark.django_db

ITEMS = reverse("admin:syncs_changesetitem_changelist")


@pytest.fixture
def vic(django_user_model, owner_a):
    return staff_user(django_user_model, "vic", "Viewer", content_owner=owner_a, role=Role.EDITOR)


@pytest.fixture
def eddie(django_user_model, owner_a):
    return staff_user(django_user_model, "eddie", "Rights manager", content_owner=owner_a, role=Role.EDITOR)


@pytest.fixture
def dora(django_user_model, owner_a):
    return staff_user(django_user_model, "dora", "Rights manager", content_owner=owner_a, role=Role.MANAGER)


def csrf(client, page: str) -> str:
    """The token the page's forms carry, as a browser would have it after loading the page."""
    client.get(page)
    return client.cookies["csrftoken"].value


def page_of(changeset) -> str:
    return reverse("admin:syncs_changeset_change", args=[changeset.pk])


def press(client, changeset, verb):
    """Press a button of the change-set page: its form posts the CSRF token and nothing else."""
    token = csrf(client, reverse("admin:index"))
    return client.post(
        reverse("admin:syncs_changeset_act", args=[changeset.pk, verb]), {"csrfmiddlewaretoken": token}
    )


def run_item_action(client, action, items):
    """The item list's action bar: the action, the ticked rows, 'Go' (index 0), no select-across."""
    token = csrf(client, ITEMS)
    return client.post(
        ITEMS,
        {
            "csrfmiddlewaretoken": token,
            "action": action,
            "select_across": "0",
            "index": "0",
            ACTION_CHECKBOX_NAME: [str(item.pk) for item in items],
        },
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------------- item 2: tenancy of items


@pytest.fixture
def spanning(catalogue, root):
    """A change set from before #14 (or a superuser's, written straight): one A video, one B video."""
    changeset = ChangeSet.objects.create(created_by=root, title="Both labels")
    ChangeSetItem.objects.create(
        changeset=changeset,
        video=catalogue["a1_song"],
        field="title",
        base_value="Midnight Song",
        new_value="Unreleased A title",
    )
    ChangeSetItem.objects.create(
        changeset=changeset,
        video=catalogue["b1_secret"],
        field="title",
        base_value="Secret Midnight Demo",
        new_value="B retitled",
    )
    return changeset


def test_charlie_sees_only_bs_items_on_a_spanning_change_sets_page_and_preview(spanning, charlie):
    response = browser(charlie).get(page_of(spanning))

    assert response.status_code == 200
    page = response.content.decode()
    assert "b1secret001" in page and "B retitled" in page
    assert "a1song00001" not in page and "Unreleased A title" not in page and "Midnight Song" not in page
    # The preview counts charlie's one video, not A's.
    assert "1 video to update: 51 quota units" in " ".join(page.split())


def parts_of(changeset) -> str:
    """What the change-set page fetches after a live frame (live-changeset.js)."""
    return reverse("admin:syncs_changeset_parts", args=[changeset.pk])


def test_the_live_parts_of_a_spanning_change_set_hold_only_the_viewers_items(spanning, charlie, alice):
    charlie_parts = browser(charlie).get(parts_of(spanning))
    alice_parts = browser(alice).get(parts_of(spanning))

    assert charlie_parts.status_code == alice_parts.status_code == 200
    charlie_text, alice_text = charlie_parts.content.decode(), alice_parts.content.decode()
    assert "b1secret001" in charlie_text and "B retitled" in charlie_text
    assert "a1song00001" not in charlie_text and "Unreleased A title" not in charlie_text
    assert "a1song00001" in alice_text and "Unreleased A title" in alice_text
    assert "b1secret001" not in alice_text and "B retitled" not in alice_text


def test_the_live_parts_of_as_change_set_are_unknown_to_charlie(catalogue, alice, charlie, client):
    video_update(video=catalogue["a1_song"], changes={"title": "Unreleased A title"}, user=alice)
    changeset = ChangeSet.objects.get()
    ChangeSetItem.objects.filter(changeset=changeset).update(
        status=ChangeSetItem.Status.CONFLICT, theirs_value="Studio's A title"
    )

    refused = browser(charlie).get(parts_of(changeset))
    assert refused.status_code == 404
    assert "Unreleased A title" not in refused.content.decode()
    assert "Studio's A title" not in refused.content.decode()
    # Signed out: the admin's sign-in page, nothing of the change set.
    signed_out = client.get(parts_of(changeset))
    assert signed_out.status_code == 302 and "/admin/login/" in signed_out["Location"]
    # alice's own page part shows the conflict with its buttons.
    parts = browser(alice).get(parts_of(changeset)).content.decode()
    assert "Studio&#x27;s A title" in parts and "Overwrite with ours" in parts


def test_charlie_sees_only_bs_items_in_the_item_list_and_item_pages(spanning, charlie):
    client = browser(charlie)
    a_item = spanning.items.get(video_id="a1song00001")
    b_item = spanning.items.get(video_id="b1secret001")

    listing = client.get(ITEMS).content.decode()
    assert "b1secret001" in listing and "a1song00001" not in listing and "Unreleased A title" not in listing
    assert client.get(reverse("admin:syncs_changesetitem_change", args=[b_item.pk])).status_code == 200
    a_page = client.get(reverse("admin:syncs_changesetitem_change", args=[a_item.pk]))
    assert "Unreleased A title" not in a_page.content.decode()
    assert a_page.status_code == 404  # as for a missing item (#15), not the admin's redirect


def test_a_change_set_charlie_made_holding_only_as_items_is_unknown_to_him(catalogue, charlie, root):
    """He lost his role in A since; what he left there is A's now."""
    changeset = ChangeSet.objects.create(created_by=charlie, title="Old work")
    ChangeSetItem.objects.create(
        changeset=changeset, video=catalogue["a1_song"], field="title", base_value="x", new_value="A only"
    )
    client = browser(charlie)

    response = client.get(page_of(changeset))
    assert "A only" not in response.content.decode() and response.status_code == 404
    assert "A only" not in client.get(reverse("admin:syncs_changeset_changelist")).content.decode()
    assert "Old work" not in client.get(reverse("admin:syncs_changeset_changelist")).content.decode()
    assert press(client, changeset, "push").status_code == 404


def test_an_empty_change_set_stays_visible_to_its_author(alice):
    changeset = ChangeSet.objects.create(created_by=alice, title="Nothing yet")

    assert browser(alice).get(page_of(changeset)).status_code == 200


def test_a_superusers_bulk_edit_across_owners_makes_one_change_set_per_owner(
    catalogue, root, owner_a, owner_b
):
    videos = [catalogue["a1_song"], catalogue["a2_clip"], catalogue["b1_secret"]]

    videos_bulk_edit(videos=videos, edit=BulkEdit(privacy_status="unlisted"), user=root)

    by_owner = {
        changeset.content_owner_id: sorted(changeset.items.values_list("video_id", flat=True))
        for changeset in ChangeSet.objects.all()
    }
    assert by_owner == {"owner-a": ["a1song00001", "a2clip00001"], "owner-b": ["b1secret001"]}


def test_later_edits_extend_each_owners_own_draft(catalogue, root):
    video_update(video=catalogue["a1_song"], changes={"title": "A one"}, user=root)
    video_update(video=catalogue["b1_secret"], changes={"title": "B one"}, user=root)
    video_update(video=catalogue["a1_live"], changes={"title": "A two"}, user=root)

    assert ChangeSet.objects.count() == 2
    a_draft = ChangeSet.objects.get(content_owner_id="owner-a")
    assert sorted(a_draft.items.values_list("video_id", flat=True)) == ["a1live00001", "a1song00001"]


def test_charlie_sees_the_b_change_set_of_a_cross_owner_bulk_edit_only(catalogue, root, charlie):
    videos_bulk_edit(
        videos=[catalogue["a1_song"], catalogue["b1_secret"]],
        edit=BulkEdit(privacy_status="private"),
        user=root,
    )
    a_set = ChangeSet.objects.get(content_owner_id="owner-a")
    b_set = ChangeSet.objects.get(content_owner_id="owner-b")
    client = browser(charlie)

    assert client.get(page_of(b_set)).status_code == 200
    assert client.get(page_of(a_set)).status_code == 404


def test_the_service_refuses_an_item_of_another_owner(catalogue, root):
    from syncs.changesets.services import changeset_check_owner, changeset_open_draft  # new in #14

    draft = changeset_open_draft(user=root, content_owner_id="owner-a")

    with pytest.raises(ChangeSetError, match="one content owner"):
        changeset_check_owner(changeset=draft, video_ids=["b1secret001"])
    changeset_check_owner(changeset=draft, video_ids=["a1song00001", "a2clip00001"])


# ---------------------------------------------------------------------- item 3: who may act


@pytest.fixture
def alices_draft(catalogue, alice) -> ChangeSet:
    video_update(video=catalogue["a1_song"], changes={"title": "Retitled"}, user=alice)
    return ChangeSet.objects.get()


def _done(changeset) -> ChangeSet:
    """As a push leaves it: every item reached YouTube."""
    changeset.items.update(status=ChangeSetItem.Status.DONE)
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.DONE)
    changeset.refresh_from_db()
    return changeset


def _conflicted(changeset) -> ChangeSetItem:
    changeset.items.update(status=ChangeSetItem.Status.CONFLICT, theirs_value="Theirs")
    ChangeSet.objects.filter(pk=changeset.pk).update(status=ChangeSet.Status.HAS_CONFLICTS)
    return changeset.items.get()


@pytest.mark.parametrize("verb", ["approve", "push"])
def test_a_viewer_group_editor_may_not_approve_or_push_in_the_admin(verb, alices_draft, vic):
    client = browser(vic)

    response = press(client, alices_draft, verb)

    assert response.status_code == 302 and response["Location"] == page_of(alices_draft)
    assert any("role group does not allow" in message for message in messages_of(response))
    alices_draft.refresh_from_db()
    assert alices_draft.status == ChangeSet.Status.DRAFT and alices_draft.approved_by is None
    page = client.get(page_of(alices_draft)).content.decode()
    assert "Push to YouTube" not in page and ">Approve<" not in page


def test_a_viewer_group_editor_may_not_revert_in_the_admin(alices_draft, vic):
    changeset = _done(alices_draft)

    response = press(browser(vic), changeset, "revert")

    assert response.status_code == 302 and response["Location"] == page_of(changeset)
    assert not ChangeSet.objects.filter(revert_of=changeset).exists()


def test_a_viewer_group_editor_may_not_resolve_conflicts_in_the_admin(alices_draft, vic):
    item = _conflicted(alices_draft)

    response = run_item_action(browser(vic), "keep_theirs", [item])

    assert response.status_code == 302
    assert any("nothing resolved" in message for message in messages_of(response))
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.CONFLICT and item.resolution == ""


def test_a_rights_manager_editor_may_approve_push_revert_and_resolve_in_the_admin(alices_draft, eddie):
    client = browser(eddie)

    assert press(client, alices_draft, "approve").status_code == 302
    alices_draft.refresh_from_db()
    assert alices_draft.status == ChangeSet.Status.APPROVED and alices_draft.approved_by == eddie
    press(client, alices_draft, "push")
    alices_draft.refresh_from_db()
    assert alices_draft.status == ChangeSet.Status.QUEUED

    press(client, _done(alices_draft), "revert")
    revert = ChangeSet.objects.get(revert_of=alices_draft)
    assert revert.created_by == eddie and revert.content_owner_id == "owner-a"

    item = _conflicted(revert)
    run_item_action(client, "overwrite", [item])
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.PENDING and item.resolution == "overwrite"


def test_four_eyes_an_editor_may_not_approve_a_manager_of_the_owner_may(
    catalogue, alice, eddie, dora, settings
):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    changeset = ChangeSet.objects.get()

    response = press(browser(eddie), changeset, "approve")
    assert any("manager role of its content owner" in message for message in messages_of(response))
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DRAFT

    press(browser(dora), changeset, "approve")
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.APPROVED and changeset.approved_by == dora


def test_an_empty_change_set_cannot_be_approved(alice, owner_a):
    changeset = ChangeSet.objects.create(created_by=alice, content_owner=owner_a, title="Empty")

    response = press(browser(alice), changeset, "approve")

    assert response.status_code == 302
    assert any("no items" in message for message in messages_of(response))
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DRAFT


# ---------------------------------------------------------------------- the data migration


def test_the_migration_gives_change_sets_their_owner_and_splits_spanning_drafts(catalogue, root, alice):
    """syncs 0006's data step, run on rows as they were before it (no content owner)."""
    from importlib import import_module

    from django.apps import apps

    fill_content_owner = import_module("syncs.migrations.0006_changeset_content_owner").fill_content_owner

    def changeset(status, *videos, by=root):
        made = ChangeSet.objects.create(created_by=by, status=status, title=f"{status} set")
        for video in videos:
            ChangeSetItem.objects.create(changeset=made, video=video, field="title", new_value="new")
        return made

    a_only = changeset(ChangeSet.Status.DONE, catalogue["a1_song"], by=alice)
    spanning_draft = changeset(ChangeSet.Status.DRAFT, catalogue["a1_song"], catalogue["b1_secret"])
    spanning_done = changeset(ChangeSet.Status.DONE, catalogue["a2_clip"], catalogue["b1_secret"])
    empty = changeset(ChangeSet.Status.DRAFT)

    fill_content_owner(apps, None)

    a_only.refresh_from_db(), spanning_draft.refresh_from_db(), spanning_done.refresh_from_db()
    assert a_only.content_owner_id == "owner-a"
    assert spanning_draft.content_owner_id == "owner-a"
    assert list(spanning_draft.items.values_list("video_id", flat=True)) == ["a1song00001"]
    part = ChangeSet.objects.get(content_owner_id="owner-b")
    assert (part.created_by, part.status, part.title) == (root, "draft", "draft set (Label B)")
    assert list(part.items.values_list("video_id", flat=True)) == ["b1secret001"]
    # Past the draft state: left whole (its approval and audit rows name it), owner unknown.
    assert spanning_done.content_owner_id is None and spanning_done.items.count() == 2
    assert ChangeSet.objects.get(pk=empty.pk).content_owner_id is None


def test_a_claim_action_on_bs_videos_links_to_the_b_draft(catalogue, root, owner_b):
    """The message names the draft the claims went to, not the user's first (owner A's) draft."""
    from videos.models import Asset, Policy

    Asset.objects.create(id="B222", content_owner=owner_b, title="Label B asset")
    Policy.objects.create(id="P-b", content_owner=owner_b, name="B block")
    video_update(video=catalogue["a1_song"], changes={"title": "A first"}, user=root)
    client = browser(root)

    response = client.post(
        reverse("admin:videos_video_changelist"),
        {
            "csrfmiddlewaretoken": csrf(client, reverse("admin:videos_video_changelist")),
            "action": "claim_with_asset",
            "select_across": "0",
            "index": "0",
            ACTION_CHECKBOX_NAME: ["b1secret001"],
            "claim_step": "apply",
            "asset": "B222",
            "content_type": "audio",
            "policy": "P-b",
        },
    )

    b_draft = ChangeSet.objects.get(content_owner_id="owner-b")
    assert list(b_draft.items.values_list("video_id", flat=True)) == ["b1secret001"]
    (message,) = messages_of(response)
    assert f"/{b_draft.pk}/change/" in message
