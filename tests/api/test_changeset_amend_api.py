"""POST /api/v1/changesets/{id}/amend/ (#19): a fix to a scheduled release stays in it, and an
approved change set edited so needs approval again; nothing of alice's for charlie."""

from datetime import UTC, datetime

import pytest

from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.release import changeset_release_refusal, changeset_schedule
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet
from tests.api.conftest import error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"
MOMENT = datetime(2099, 1, 14, 23, 0, tzinfo=UTC)


@pytest.fixture
def release(catalogue, alice) -> ChangeSet:
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    changeset_schedule(changeset=changeset, at=MOMENT, tz="Europe/Berlin", user=alice)
    return changeset


def test_alice_adds_a_video_to_her_scheduled_release_and_its_approval_is_withdrawn(release, alice_api):
    response = alice_api.post(
        f"{URL}{release.pk}/amend/",
        {"values": {"a1live00001": {"title": "Live at Dawn (Official Video)", "tags": ["live", "dawn"]}}},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["changed"], body["approval_withdrawn"]) == (1, True)
    assert body["changeset"]["status"] == "draft"
    assert body["changeset"]["scheduled_for"] == "2099-01-14T23:00:00Z"
    assert set(release.items.values_list("video_id", "field")) == {
        ("a1song00001", "title"),
        ("a1live00001", "title"),
        ("a1live00001", "tags"),
    }
    assert release.items.get(video_id="a1live00001", field="tags").new_value == ["live", "dawn"]
    assert AuditEvent.objects.filter(event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN).count() == 1
    assert changeset_release_refusal(changeset=release, now=MOMENT).startswith("Not pushed")


def test_removing_an_item_through_the_api(release, alice_api):
    item = release.items.get()
    response = alice_api.post(f"{URL}{release.pk}/amend/", {"remove_item_ids": [item.pk]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 1 and not release.items.exists()


def test_four_eyes_dora_must_approve_again(catalogue, alice, alice_api, dora, dora_api, settings):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    changeset = ChangeSet.objects.get()
    changeset_approve(changeset=changeset, user=dora)

    response = alice_api.post(
        f"{URL}{changeset.pk}/amend/",
        {"values": {"a1song00001": {"title": "Midnight (Private)"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["approval_withdrawn"] is True

    refused = alice_api.post(f"{URL}{changeset.pk}/approve/")
    assert refused.status_code == 403 and error_codes(refused) == [(None, "four_eyes")]
    approved = dora_api.post(f"{URL}{changeset.pk}/approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_a_value_over_a_youtube_limit_is_a_400_and_changes_nothing(release, alice_api):
    response = alice_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"a1song00001": {"title": "x" * 101}}}, format="json"
    )
    assert response.status_code == 400, response.content
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.APPROVED


def test_a_field_youtube_does_not_take_and_an_empty_body_are_refused(release, alice_api):
    notes = alice_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"a1song00001": {"notes": "x"}}}, format="json"
    )
    assert notes.status_code == 409, notes.content
    empty = alice_api.post(f"{URL}{release.pk}/amend/", {}, format="json")
    assert empty.status_code == 400, empty.content


def test_a_pushed_change_set_is_not_amended(release, alice_api):
    ChangeSet.objects.filter(pk=release.pk).update(status=ChangeSet.Status.DONE)
    response = alice_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"a1song00001": {"title": "Late fix"}}}, format="json"
    )
    assert response.status_code == 409 and error_codes(response) == [(None, "invalid_state")]


def test_charlie_can_neither_amend_alices_release_nor_add_his_video_to_it(
    release, catalogue, alice_api, charlie_api
):
    response = charlie_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"a1song00001": {"title": "Hacked"}}}, format="json"
    )
    assert response.status_code == 404, response.content
    # alice cannot pull owner B's video into her release either: to her it does not exist.
    response = alice_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"b1secret001": {"title": "Not hers"}}}, format="json"
    )
    assert response.status_code == 400 and error_codes(response) == [("values", "not_found")]
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.APPROVED
    assert list(release.items.values_list("new_value", flat=True)) == ["Midnight Song (Official Video)"]


def test_bob_a_viewer_may_not_amend(release, bob_api):
    response = bob_api.post(
        f"{URL}{release.pk}/amend/", {"values": {"a1song00001": {"title": "Bob's"}}}, format="json"
    )
    assert response.status_code == 403, response.content


def test_a_release_that_grows_past_its_quota_day_is_refused(release, alice_api, settings):
    settings.YOUTUBE_QUOTA_RESERVE = 0
    settings.YOUTUBE_DAILY_QUOTA = 60  # one video (51 units) fits, two (101) do not
    settings.CHANGESET_SCHEDULE_OVERBOOK = "refuse"

    response = alice_api.post(
        f"{URL}{release.pk}/amend/",
        {"values": {"a1live00001": {"title": "Live (Official Video)"}}},
        format="json",
    )

    assert response.status_code == 409 and error_codes(response) == [(None, "quota_overbooked")]
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.APPROVED and release.items.count() == 1
