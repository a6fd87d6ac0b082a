"""The user's open draft change set is answered by one selector (changeset_open_drafts): the
service extending it, the API naming it and the admin linking it agree that a revert is not it."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from syncs.changesets.selectors import changeset_open_drafts, changeset_open_drafts_of
from syncs.changesets.services import changeset_open_draft
from syncs.models import ChangeSet, ChangeSetItem
from tests.videos.form_posting import post_change_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def drafts(catalogue, alice, charlie, owner_a):
    """alice: an open draft of owner A, a revert draft of A, a queued set; charlie: his own draft."""
    pushed = ChangeSet.objects.create(created_by=alice, content_owner=owner_a, status=ChangeSet.Status.DONE)
    return {
        "open": ChangeSet.objects.create(created_by=alice, content_owner=owner_a),
        "revert": ChangeSet.objects.create(created_by=alice, content_owner=owner_a, revert_of=pushed),
        "queued": ChangeSet.objects.create(
            created_by=alice, content_owner=owner_a, status=ChangeSet.Status.QUEUED
        ),
        "charlies": ChangeSet.objects.create(
            created_by=charlie, content_owner_id=catalogue["b1_secret"].channel.content_owner_id
        ),
    }


def test_only_the_users_own_non_revert_drafts_are_open(drafts, alice, bob, charlie, owner_a):
    assert list(changeset_open_drafts(user=alice)) == [drafts["open"]]
    assert list(changeset_open_drafts(user=charlie)) == [drafts["charlies"]]
    assert list(changeset_open_drafts(user=bob)) == []
    assert changeset_open_drafts_of(user=alice, content_owner_ids=[owner_a.pk]) == [drafts["open"]]
    assert changeset_open_drafts_of(user=charlie, content_owner_ids=[owner_a.pk]) == []


def test_an_edit_extends_the_open_draft_not_the_revert(drafts, alice, owner_a):
    assert changeset_open_draft(user=alice, content_owner_id=owner_a.pk) == drafts["open"]


def test_the_admin_names_the_open_draft_and_not_a_revert_holding_the_video(drafts, catalogue, alice, client):
    video = catalogue["a1_song"]
    ChangeSetItem.objects.create(changeset=drafts["revert"], video=video, field="title", new_value="Before")
    client.force_login(alice)

    response = post_change_form(
        client, reverse("admin:videos_video_change", args=[video.pk]), edits={"title": "New title"}
    )

    assert response.status_code == 302
    told = [
        str(message) for message in get_messages(response.wsgi_request) if "draft change set" in str(message)
    ]
    assert len(told) == 1 and str(drafts["open"]) in told[0]


def test_the_admin_bulk_edit_names_the_draft_it_went_into(drafts, catalogue, alice, client):
    client.force_login(alice)
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {
            "action": "bulk_edit",
            "_selected_action": ["a1song00001", "a1live00001"],
            "select_across": "0",
            "bulk_edit_step": "apply",
            "add_tags": "bulk",
            "find_in": ["title"],
        },
    )

    assert response.status_code == 302
    told = [
        str(message) for message in get_messages(response.wsgi_request) if "draft change set" in str(message)
    ]
    assert len(told) == 1 and str(drafts["open"]) in told[0]
    assert set(drafts["open"].items.values_list("video_id", flat=True)) == {"a1song00001", "a1live00001"}
