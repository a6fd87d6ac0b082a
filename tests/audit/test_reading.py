"""Who reads the audit log where: the API, the admin list, the video and change-set pages.

alice (manager of owner A) reads owner A's rows; bob (viewer of channel A1) only rows naming A1;
charlie (owner B) none of A's, on every door; a superuser all. Nobody changes or deletes a row.
"""

import pytest
from django.urls import reverse

from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ChangeSet
from tests.api.conftest import ids
from tests.audit.helpers import only
from tests.conftest import browser

pytestmark = pytest.mark.django_db

T = AuditEvent.Type
URL = "/api/v1/audit/"


@pytest.fixture
def alices_edits(alice, catalogue):
    """alice retitles a video of A1 and one of A2: two video rows and two change-set rows."""
    video_update(video=catalogue["a1_song"], changes={"title": "Noon Song"}, user=alice)
    video_update(video=catalogue["a2_clip"], changes={"title": "Noon Clip"}, user=alice)
    return {
        "a1": only(T.VIDEO_EDITED, object_id="a1song00001"),
        "a2": only(T.VIDEO_EDITED, object_id="a2clip00001"),
        "changeset": only(
            T.CHANGESET_EDITED, object_id=str(ChangeSet.objects.get().pk), new__has_key="a1song00001"
        ),
    }


@pytest.fixture
def charlies_edit(charlie, catalogue):
    video_update(video=catalogue["b1_secret"], changes={"title": "Charlie's"}, user=charlie)
    return only(T.VIDEO_EDITED, object_id="b1secret001")


def test_alice_lists_her_owners_events_newest_first(alices_edits, charlies_edit, alice_api):
    listed = ids(alice_api.get(URL))

    assert charlies_edit.pk not in listed
    assert set(listed) == set(
        AuditEvent.objects.filter(content_owner_id="owner-a").values_list("pk", flat=True)
    )
    created = [AuditEvent.objects.get(pk=pk).created_at for pk in listed]
    assert created == sorted(created, reverse=True)


def test_charlie_sees_none_of_alices_events_on_the_api(alices_edits, charlies_edit, charlie_api):
    listed = ids(charlie_api.get(URL))
    assert charlies_edit.pk in listed
    assert set(listed) == set(
        AuditEvent.objects.filter(content_owner_id="owner-b").values_list("pk", flat=True)
    )
    for event in alices_edits.values():
        assert charlie_api.get(f"{URL}{event.pk}/").status_code == 404
    assert ids(charlie_api.get(URL, {"object_type": "video", "object_id": "a1song00001"})) == []


def test_a_channel_viewer_reads_his_channels_video_rows_only(alices_edits, bob_api):
    """bob is a member of A1: the A1 video's row names A1; the A2 one and the owner-wide change-set
    rows (a change set may hold other channels' videos) are not his."""
    listed = ids(bob_api.get(URL))

    assert alices_edits["a1"].pk in listed
    assert alices_edits["a2"].pk not in listed
    assert alices_edits["changeset"].pk not in listed


def test_a_superuser_reads_every_owners_events(alices_edits, charlies_edit, root_api):
    assert set(ids(root_api.get(URL))) == set(AuditEvent.objects.values_list("pk", flat=True))


def test_the_api_filters_by_object_and_event_type(alices_edits, alice_api):
    by_object = ids(alice_api.get(URL, {"object_type": "video", "object_id": "a1song00001"}))
    assert by_object == [alices_edits["a1"].pk]
    by_type = ids(alice_api.get(URL, {"event_type": "changeset.edited"}))
    assert set(by_type) == set(
        AuditEvent.objects.filter(event_type=T.CHANGESET_EDITED).values_list("pk", flat=True)
    )
    response = alice_api.get(URL, {"event_type": "video.deleted"})
    assert response.status_code == 400


def test_the_api_row_shows_who_and_old_and_new(alices_edits, alice_api):
    row = alice_api.get(f"{URL}{alices_edits['a1'].pk}/").json()

    assert {key: row[key] for key in ("event_type", "actor", "acting_user", "object_type", "object_id")} == {
        "event_type": "video.edited",
        "actor": "alice",
        "acting_user": "alice",
        "object_type": "video",
        "object_id": "a1song00001",
    }
    assert (row["old"], row["new"], row["content_owner"]) == (
        {"title": "Midnight Song"},
        {"title": "Noon Song"},
        "owner-a",
    )


def test_the_api_pages_with_a_cursor(alices_edits, alice_api):
    first = alice_api.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = alice_api.get(first["next"]).json()
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_is_read_only(alices_edits, alice_api, root_api, method):
    event = alices_edits["a1"]
    url = URL if method == "post" else f"{URL}{event.pk}/"

    assert getattr(alice_api, method)(url, {}).status_code == 405
    assert getattr(root_api, method)(url, {}).status_code == 405
    event.refresh_from_db()
    assert event.new == {"title": "Noon Song"}


def test_a_malformed_id_is_a_404(alice_api):
    assert alice_api.get(f"{URL}abc/").status_code == 404


# ---------------------------------------------------------------------------- the admin


def test_charlie_cannot_open_alices_events_in_the_admin(alices_edits, charlie):
    client = browser(charlie)
    for event in alices_edits.values():
        response = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
        assert response.status_code == 404
    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert listing.status_code == 200
    assert "a1song00001" not in listing.content.decode()


def test_the_admin_log_has_no_add_change_or_delete_even_for_a_superuser(alices_edits, root):
    client = browser(root)
    event = alices_edits["a1"]

    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:audit_auditevent_delete", args=[event.pk])).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    listing = client.get(reverse("admin:audit_auditevent_changelist"))
    assert "delete_selected" not in listing.content.decode()
    client.get(reverse("admin:index"))
    client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "post": "yes"},
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_video_page_shows_its_history_in_ytcms(alices_edits, alice):
    page = browser(alice).get(reverse("admin:videos_video_change", args=["a1song00001"])).content.decode()

    assert "History in ytcms" in page
    assert "Video edited" in page and "Noon Song" in page and "Midnight Song" in page
    assert "Noon Clip" not in page  # another video's row


def test_the_change_set_page_shows_its_events(alices_edits, alice):
    changeset = ChangeSet.objects.get()

    page = browser(alice).get(reverse("admin:syncs_changeset_change", args=[changeset.pk])).content.decode()

    assert "History in ytcms" in page and "Edits recorded in change set" in page
    assert f"object_id={changeset.pk}" in page  # the link to all of its events


def test_charlies_video_page_shows_no_row_of_another_owner(alices_edits, charlies_edit, charlie):
    page = browser(charlie).get(reverse("admin:videos_video_change", args=["b1secret001"])).content.decode()

    assert "Charlie&#x27;s" in page or "Charlie's" in page
    assert "Noon Song" not in page
