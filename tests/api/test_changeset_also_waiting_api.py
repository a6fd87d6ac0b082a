"""/api/v1/changesets: a change set's detail and preview name the other change sets holding the same
video and field with another value (tests/syncs/test_changeset_also_waiting.py has the story)."""

import pytest

from syncs.changesets.edits import video_edit_in_changeset
from syncs.models import ChangeSet
from tests.syncs.test_changeset_also_waiting import two_drafts
from videos.models import Video

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"


def test_detail_and_preview_name_the_other_change_set(alice_api, alice, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)

    detail = alice_api.get(f"{URL}{scheduled.pk}/").json()
    preview = alice_api.get(f"{URL}{scheduled.pk}/preview/").json()

    other = {"changeset": new_draft.pk, "title": str(new_draft), "status": "draft", "videos": 2}
    assert detail["also_waiting"] == [other]
    assert preview["also_waiting_sets"] == [other]
    assert preview["also_waiting_truncated"] is False
    theirs = {item.video_id: item for item in new_draft.items.all()}
    assert sorted((row["video"], row["field"], row["changeset"]) for row in preview["also_waiting"]) == [
        ("a1live00001", "description", new_draft.pk),
        ("a1song00001", "description", new_draft.pk),
    ]
    for row in preview["also_waiting"]:
        assert row["other_item"] == theirs[row["video"]].pk
        assert row["other_value"] == theirs[row["video"]].new_value
        assert row["item"] == scheduled.items.get(video_id=row["video"]).pk


def test_approving_through_the_api_answers_with_the_other_change_set(alice_api, alice, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)

    response = alice_api.post(f"{URL}{scheduled.pk}/approve/")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    assert [other["changeset"] for other in response.json()["also_waiting"]] == [new_draft.pk]


def test_charlie_never_sees_alices_change_sets_named(alice, charlie_api, charlie, owner_a, catalogue):
    scheduled, new_draft = two_drafts(alice=alice, owner_a=owner_a)
    video_edit_in_changeset(
        video=Video.objects.get(pk="b1secret001"), changes={"description": "B's own text"}, user=charlie
    )
    theirs = ChangeSet.objects.get(created_by=charlie)

    detail = charlie_api.get(f"{URL}{theirs.pk}/").json()
    preview = charlie_api.get(f"{URL}{theirs.pk}/preview/").json()

    assert (
        detail["also_waiting"] == [] and preview["also_waiting"] == [] and preview["also_waiting_sets"] == []
    )
    assert charlie_api.get(f"{URL}{scheduled.pk}/preview/").status_code == 404
    assert charlie_api.get(f"{URL}{new_draft.pk}/").status_code == 404
