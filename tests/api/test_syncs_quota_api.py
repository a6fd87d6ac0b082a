"""/api/v1/syncs (the audit trail, read-only, filtered, cursor pages) and /api/v1/quota (today's
ledger and what queued pushes will spend on later Pacific days), with the three personas."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from syncs.models import ChangeSet, ChangeSetItem, QuotaLedger, SyncRecord
from syncs.youtube.quota_clock import next_quota_reset, pacific_day
from tests.api.conftest import error_codes, ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/syncs/"


@pytest.fixture
def trail(catalogue, alice, charlie):
    """Audit rows: three pushes of A1's song and one of A2's clip by alice, one of B1's demo by charlie."""
    changeset = ChangeSet.objects.create(created_by=alice, status=ChangeSet.Status.DONE)
    start = timezone.now() - timedelta(days=3)
    rows = {}
    for n, (name, video, user, status) in enumerate(
        [
            ("song_failed", "a1_song", alice, SyncRecord.Status.FAILED),
            ("song_ok", "a1_song", alice, SyncRecord.Status.SUCCESS),
            ("clip_ok", "a2_clip", alice, SyncRecord.Status.SUCCESS),
            ("song_conflict", "a1_song", alice, SyncRecord.Status.CONFLICT),
            ("demo_ok", "b1_secret", charlie, SyncRecord.Status.SUCCESS),
        ]
    ):
        record = SyncRecord.objects.create(
            video=catalogue[video],
            user=user,
            changeset=changeset if user == alice else None,
            status=status,
            fields={"title": {"before": "old", "after": f"new {n}"}},
            parts_sent=["snippet"],
            quota_units=50,
        )
        # auto_now_add: move each row a day apart afterwards.
        SyncRecord.objects.filter(pk=record.pk).update(created_at=start + timedelta(days=n * 0.5))
        rows[name] = SyncRecord.objects.get(pk=record.pk)
    rows["changeset"] = changeset
    return rows


def test_each_persona_sees_the_audit_rows_of_the_videos_they_see(trail, alice_api, bob_api, charlie_api):
    a_rows = [trail[name].pk for name in ("song_conflict", "clip_ok", "song_ok", "song_failed")]
    assert ids(alice_api.get(URL)) == a_rows  # newest first
    assert ids(bob_api.get(URL)) == [trail["song_conflict"].pk, trail["song_ok"].pk, trail["song_failed"].pk]
    assert ids(charlie_api.get(URL)) == [trail["demo_ok"].pk]


def test_an_outsiders_audit_row_is_a_404_like_an_unknown_id(trail, alice_api, bob_api, charlie_api):
    row = trail["song_ok"]
    body = alice_api.get(f"{URL}{row.pk}/").json()
    assert body["video"] == "a1song00001" and body["user"] == "alice" and body["status"] == "success"
    assert body["changeset"] == trail["changeset"].pk and body["fields"]["title"]["before"] == "old"
    for client, record in ((charlie_api, row), (bob_api, trail["clip_ok"]), (alice_api, trail["demo_ok"])):
        response = client.get(f"{URL}{record.pk}/")
        assert response.status_code == 404
        assert error_codes(response) == [(None, "not_found")]
    assert charlie_api.get(f"{URL}{row.pk}/").json() == charlie_api.get(f"{URL}999999/").json()
    assert alice_api.get(f"{URL}{'9' * 30}/").status_code == 404


def test_the_audit_trail_filters_by_video_change_set_status_and_date(trail, alice_api):
    song = [trail["song_conflict"].pk, trail["song_ok"].pk, trail["song_failed"].pk]
    assert ids(alice_api.get(URL, {"video": "a1song00001"})) == song
    assert len(ids(alice_api.get(URL, {"changeset": trail["changeset"].pk}))) == 4
    assert ids(alice_api.get(URL, {"changeset": trail["changeset"].pk + 1})) == []
    assert ids(alice_api.get(URL, {"status": "success"})) == [trail["clip_ok"].pk, trail["song_ok"].pk]
    middle = trail["song_ok"].created_at
    assert ids(alice_api.get(URL, {"created_after": middle.isoformat()})) == [
        trail["song_conflict"].pk,
        trail["clip_ok"].pk,
        trail["song_ok"].pk,
    ]
    assert ids(alice_api.get(URL, {"created_before": middle.isoformat()})) == [trail["song_failed"].pk]
    for bad in (
        {"status": "ok"},
        {"changeset": "x"},
        {"changeset": "9" * 40},
        {"created_after": "yesterday"},
    ):
        response = alice_api.get(URL, bad)
        assert response.status_code == 400, bad
        assert error_codes(response)[0][0] == next(iter(bad))


def test_time_filters_and_cursors_with_odd_offsets_are_answered_not_crashed(trail, alice_api):
    import base64
    import json

    response = alice_api.get(URL, {"created_after": "1426-10-26T19:08:16.7+19:54"})
    assert response.status_code == 200 and len(response.json()["results"]) == 4
    forged = {"o": "-created_at", "v": "2026-01-01T00:00:00+23:59", "k": 1}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    assert alice_api.get(URL, {"cursor": cursor}).status_code == 200
    forged["v"] = "0001-01-01T00:00:00+05:00"  # before year 1 in UTC
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    response = alice_api.get(URL, {"cursor": cursor})
    assert response.status_code == 400 and error_codes(response) == [("cursor", "invalid_cursor")]


def test_the_audit_trail_comes_in_cursor_pages_both_ways(trail, alice_api):
    first = alice_api.get(URL, {"page_size": 3, "ordering": "created_at"}).json()
    second = alice_api.get(first["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"]] == [
        trail[name].pk for name in ("song_failed", "song_ok", "clip_ok", "song_conflict")
    ]
    assert second["next"] is None
    back = alice_api.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_the_audit_trail_is_read_only(trail, alice_api):
    row = trail["song_ok"]
    assert alice_api.post(URL, {"status": "success"}).status_code == 405
    assert alice_api.patch(f"{URL}{row.pk}/", {"status": "failed"}).status_code == 405
    assert alice_api.delete(f"{URL}{row.pk}/").status_code == 405
    row.refresh_from_db()
    assert row.status == SyncRecord.Status.SUCCESS


def test_non_staff_and_anonymous_users_may_not_read_the_trail(trail, alice, api_for):
    assert APIClient().get(URL).status_code == 401
    alice.is_staff = False
    alice.save()
    # Her token no longer authenticates (tests/api/test_token_access_loss.py); a session is refused.
    response = api_for(alice).get(URL)
    assert response.status_code == 401
    assert error_codes(response) == [(None, "user_without_access")]
    browser = APIClient()
    browser.force_login(alice)
    response = browser.get(URL)
    assert response.status_code == 403
    assert error_codes(response) == [(None, "permission_denied")]


# ---- quota


@pytest.fixture
def queued_pushes(catalogue, alice):
    """alice's queued change set: the song is due now, the live video and the clip wait for the
    quota reset (tomorrow, Pacific), and one claim item waits too."""
    reset = next_quota_reset()
    changeset = ChangeSet.objects.create(created_by=alice, status=ChangeSet.Status.QUEUED)
    ChangeSetItem.objects.bulk_create(
        [
            ChangeSetItem(changeset=changeset, video=catalogue["a1_song"], field="title", new_value="x"),
            ChangeSetItem(changeset=changeset, video=catalogue["a1_song"], field="tags", new_value=["x"]),
            *(
                ChangeSetItem(
                    changeset=changeset,
                    video=catalogue[name],
                    field="title",
                    new_value="y",
                    status=ChangeSetItem.Status.DEFERRED,
                    deferred_until=reset,
                )
                for name in ("a1_live", "a2_clip")
            ),
            ChangeSetItem(
                changeset=changeset,
                video=catalogue["a2_clip"],
                field="claim:A1",
                kind=ChangeSetItem.Kind.CLAIM_INSERT,
                status=ChangeSetItem.Status.DEFERRED,
                deferred_until=reset,
            ),
            # Done and draft work costs nothing more.
            ChangeSetItem(
                changeset=changeset,
                video=catalogue["a1_live"],
                field="tags",
                new_value=[],
                status=ChangeSetItem.Status.DONE,
            ),
        ]
    )
    draft = ChangeSet.objects.create(created_by=alice)
    ChangeSetItem.objects.create(
        changeset=draft, video=catalogue["a1_live"], field="license", new_value="youtube"
    )
    return changeset


def test_quota_shows_todays_ledger_and_the_budget(alice_api, settings):
    settings.YOUTUBE_DAILY_QUOTA, settings.YOUTUBE_QUOTA_RESERVE = 10000, 500
    today = pacific_day()
    QuotaLedger.objects.create(
        project="proj", api="youtube", day=today, units_used=1200, budget=10000, reserve=500
    )
    QuotaLedger.objects.create(
        project="proj",
        api="youtube",
        day=today - timedelta(days=1),
        units_used=9500,
        budget=10000,
        reserve=500,
    )

    response = alice_api.get("/api/v1/quota/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["day"] == today.isoformat()
    assert (body["daily_quota"], body["reserve"], body["spendable"], body["remaining_today"]) == (
        10000,
        500,
        9500,
        8300,
    )
    assert body["projects"] == [
        {
            "project": "proj",
            "api": "youtube",
            "day": today.isoformat(),
            "units_used": 1200,
            "budget": 10000,
            "reserve": 500,
            "remaining": 8300,
            "exhausted": False,
        }
    ]
    assert body["resets_at"].startswith(next_quota_reset().strftime("%Y-%m-%dT%H:%M"))
    assert body["queued"] == []


def test_quota_lists_what_queued_pushes_spend_per_pacific_day(queued_pushes, alice_api, bob_api, charlie_api):
    today = pacific_day()
    tomorrow = pacific_day(next_quota_reset())

    queued = alice_api.get("/api/v1/quota/").json()["queued"]

    assert queued == [
        {
            "day": today.isoformat(),
            "changesets": 1,
            "videos": 1,
            "items": 2,
            "quota_units": 51,
            "content_id_calls": 0,
        },
        {
            "day": tomorrow.isoformat(),
            "changesets": 1,
            "videos": 2,
            "items": 3,
            "quota_units": 101,
            "content_id_calls": 2,
        },
    ]
    # bob sees the change set (it touches A1) but only its A1 items (#14): not the A2 clip's title
    # and claim; charlie sees nothing of it.
    assert bob_api.get("/api/v1/quota/").json()["queued"] == [
        queued[0],
        {
            "day": tomorrow.isoformat(),
            "changesets": 1,
            "videos": 1,
            "items": 1,
            "quota_units": 51,
            "content_id_calls": 0,
        },
    ]
    assert charlie_api.get("/api/v1/quota/").json()["queued"] == []


def test_quota_is_read_only_and_needs_a_staff_account(alice, alice_api, api_for):
    assert alice_api.post("/api/v1/quota/", {}).status_code == 405
    assert APIClient().get("/api/v1/quota/").status_code == 401
    alice.is_staff = False
    alice.save()
    assert api_for(alice).get("/api/v1/quota/").status_code == 401
    browser = APIClient()
    browser.force_login(alice)
    assert browser.get("/api/v1/quota/").status_code == 403


@pytest.mark.parametrize(
    "url", ["/api/v1/reports/", "/api/v1/changesets/", "/api/v1/syncs/", "/api/v1/quota/"]
)
def test_the_browsable_api_shows_the_new_endpoints_to_a_signed_in_user(url, trail, alice, client):
    client.force_login(alice)
    response = client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
