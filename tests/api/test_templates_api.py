"""POST /api/v1/templates/{id}/apply/ and the template list (#19)."""

import pytest

from syncs.metadata_templates.models import MetadataTemplate
from syncs.metadata_templates.services import metadata_template_save
from syncs.models import ChangeSet
from videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(alice, owner_a, catalogue):
    return metadata_template_save(
        template=MetadataTemplate(
            content_owner=owner_a, name="Official", field="title", body="{title} (Official Video)"
        ),
        user=alice,
    )


def _apply(api, template, **body):
    return api.post(f"/api/v1/templates/{template.pk}/apply/", body, format="json")


def test_a_dry_run_answers_the_preview_with_over_limit_videos_first_and_records_nothing(alice_api, official):
    Video.objects.filter(pk="a1song00001").update(title="S" * 90)

    response = _apply(alice_api, official, video_ids=["a1live00001", "a1song00001"], dry_run=True)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [(row["video_id"], row["measure"]) for row in body["rows"]] == [
        ("a1song00001", 107),
        ("a1live00001", 29),
    ]
    assert body["rows"][0]["violations"][0]["message"] == "title is 107 characters; YouTube allows 100."
    assert (body["changing"], body["invalid"], body["changeset"]) == (1, 1, None)
    assert not ChangeSet.objects.exists()


def test_applying_records_the_new_values_in_the_draft(alice, alice_api, official):
    response = _apply(alice_api, official, video_ids=["a1song00001", "a2clip00001"])

    assert response.status_code == 200, response.json()
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    assert response.json()["changeset"] == draft.pk
    assert {(item.video_id, item.new_value) for item in draft.items.all()} == {
        ("a1song00001", "Midnight Song (Official Video)"),
        ("a2clip00001", "Studio Clip (Official Video)"),
    }


def test_charlie_neither_lists_nor_applies_alices_template(charlie_api, official):
    assert charlie_api.get("/api/v1/templates/").json()["results"] == []
    response = _apply(charlie_api, official, video_ids=["b1secret001"], dry_run=True)
    assert response.status_code == 404


def test_alice_cannot_apply_to_a_video_of_another_owner(alice_api, official):
    response = _apply(alice_api, official, video_ids=["a1song00001", "b1secret001"], dry_run=True)

    assert response.status_code == 400
    assert "b1secret001" in response.json()["errors"][0]["message"]


def test_bob_a_viewer_cannot_apply(bob_api, official):
    response = _apply(bob_api, official, video_ids=["a1song00001"])

    assert response.status_code in (400, 403)
    assert not ChangeSet.objects.exists()


def test_the_list_shows_alices_template(alice_api, official):
    results = alice_api.get("/api/v1/templates/").json()["results"]

    assert [(row["id"], row["body"], row["version"]) for row in results] == [
        (official.pk, "{title} (Official Video)", 1)
    ]
