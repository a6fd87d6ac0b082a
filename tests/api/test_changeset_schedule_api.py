"""POST /api/v1/changesets/{id}/schedule/ and /unschedule/ (#19): push's permission, the moment in
its time zone, the quota day, and nothing of alice's schedule for charlie."""

from datetime import UTC, datetime, timedelta

import pytest

from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet
from tests.api.conftest import error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/changesets/"
RELEASE = {"at": "2099-01-15T00:00", "time_zone": "Europe/Berlin"}


@pytest.fixture
def approved(catalogue, alice) -> ChangeSet:
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    return changeset_approve(changeset=ChangeSet.objects.get(), user=alice)


def test_alice_schedules_in_berlin_time_and_reads_the_pacific_quota_day(approved, alice_api):
    response = alice_api.post(f"{URL}{approved.pk}/schedule/", RELEASE, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scheduled_for"] == "2099-01-14T23:00:00Z"
    assert body["scheduled_tz"] == "Europe/Berlin"
    assert body["schedule"]["quota_day"] == "2099-01-14"
    assert body["schedule"]["described"].startswith(
        "Scheduled for 2099-01-15 00:00 Europe/Berlin (2099-01-14 15:00 Pacific, quota day 2099-01-14: 51 units"
    )
    listed = alice_api.get(URL).json()["results"][0]
    assert (listed["scheduled_for"], listed["scheduled_tz"]) == ("2099-01-14T23:00:00Z", "Europe/Berlin")


def test_an_at_with_an_offset_is_that_moment(approved, alice_api):
    response = alice_api.post(
        f"{URL}{approved.pk}/schedule/",
        {"at": "2099-01-15T00:00:00+01:00", "time_zone": "UTC"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["scheduled_for"] == "2099-01-14T23:00:00Z"


def test_alice_unschedules(approved, alice_api):
    alice_api.post(f"{URL}{approved.pk}/schedule/", RELEASE, format="json")

    response = alice_api.post(f"{URL}{approved.pk}/unschedule/")

    assert response.status_code == 200, response.content
    assert (response.json()["scheduled_for"], response.json()["scheduled_tz"]) == (None, "")
    assert AuditEvent.objects.filter(event_type=AuditEvent.Type.CHANGESET_UNSCHEDULED).count() == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"at": "tomorrow", "time_zone": "UTC"}, "at"),
        ({"at": "2099-01-15T00:00"}, "time_zone"),
        ({**RELEASE, "status": "done"}, "status"),
    ],
)
def test_a_bad_body_is_a_400(approved, alice_api, body, field):
    response = alice_api.post(f"{URL}{approved.pk}/schedule/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.content.decode()


def test_a_past_moment_an_unknown_zone_and_a_skipped_hour_are_409s(approved, alice_api):
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for body in (
        {"at": past, "time_zone": "UTC"},
        {"at": "2099-01-15T00:00", "time_zone": "Mars/Olympus"},
        {"at": "2027-03-28T02:30", "time_zone": "Europe/Berlin"},
    ):
        response = alice_api.post(f"{URL}{approved.pk}/schedule/", body, format="json")
        assert response.status_code == 409, (body, response.content)
    approved.refresh_from_db()
    assert approved.scheduled_for is None


def test_an_overbooked_day_is_refused_with_its_code(approved, catalogue, alice, alice_api, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 150, 50
    video_update(video=catalogue["a1_live"], changes={"title": "Live at Dawn (Official Video)"}, user=alice)
    second = ChangeSet.objects.get(status=ChangeSet.Status.DRAFT)
    assert alice_api.post(f"{URL}{approved.pk}/schedule/", RELEASE, format="json").status_code == 200

    response = alice_api.post(f"{URL}{second.pk}/schedule/", RELEASE, format="json")

    assert response.status_code == 409, response.content
    assert error_codes(response) == [(None, "quota_overbooked")]


def test_charlie_can_neither_schedule_nor_see_alices_schedule(approved, alice_api, charlie_api):
    alice_api.post(f"{URL}{approved.pk}/schedule/", RELEASE, format="json")

    for action in ("schedule", "unschedule"):
        response = charlie_api.post(f"{URL}{approved.pk}/{action}/", RELEASE, format="json")
        assert response.status_code == 404, response.content
    assert charlie_api.get(f"{URL}{approved.pk}/").status_code == 404
    assert "2099-01-14T23:00" not in charlie_api.get(URL).content.decode()
    approved.refresh_from_db()
    assert approved.scheduled_tz == "Europe/Berlin"


def test_bob_a_viewer_may_not_schedule(approved, bob_api):
    response = bob_api.post(f"{URL}{approved.pk}/schedule/", RELEASE, format="json")
    assert response.status_code == 403, response.content
    approved.refresh_from_db()
    assert approved.scheduled_for is None
