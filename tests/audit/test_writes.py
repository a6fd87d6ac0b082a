"""Each state change writes its audit row through the interface people use, with old and new values.

The admin forms are posted as a browser posts them (tests/videos/form_posting.py), the API through
a persona's token, the commands through call_command.
"""

import io
import sys

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from channels_app.models import Membership, Role
from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.models import ChangeSet, ChangeSetItem
from tests.audit.helpers import events, only
from tests.conftest import browser, channel_id
from tests.reports.test_ingest_helpers import FIXTURES, immediate_tasks_fixture  # noqa: F401
from tests.syncs.conftest import REFRESH_TOKEN_A
from tests.syncs.test_changeset_page import press
from tests.videos.form_posting import post_change_form, rendered_form
from videos.models import Asset, Claim, Policy, Video

pytestmark = pytest.mark.django_db

T = AuditEvent.Type
CHANGESETS = "/api/v1/changesets/"


def video_page(video_id: str) -> str:
    return reverse("admin:videos_video_change", args=[video_id])


def test_an_admin_edit_records_the_video_edit_and_its_change_set_item(client, alice, catalogue):
    client.force_login(alice)

    response = post_change_form(client, video_page("a1song00001"), edits={"title": "Noon Song"})

    assert response.status_code == 302
    edited = only(T.VIDEO_EDITED)
    assert (edited.acting_user, edited.object_type, edited.object_id) == (alice, "video", "a1song00001")
    assert (edited.content_owner_id, edited.channel_id) == ("owner-a", channel_id("a"))
    assert (edited.old, edited.new) == ({"title": "Midnight Song"}, {"title": "Noon Song"})
    recorded = only(T.CHANGESET_EDITED)
    draft = ChangeSet.objects.get()
    assert (recorded.object_type, recorded.object_id, recorded.acting_user) == (
        "changeset",
        str(draft.pk),
        alice,
    )
    assert recorded.old == {"a1song00001": {"title": None}}
    assert recorded.new == {"a1song00001": {"title": "Noon Song"}}
    assert recorded.extra == {"added": 1, "changed": 0, "removed": 0}


def test_editing_a_field_back_to_youtubes_value_records_the_item_going(alice, catalogue):
    video_update(video=catalogue["a1_song"], changes={"title": "Noon Song"}, user=alice)
    video_update(video=Video.objects.get(pk="a1song00001"), changes={"title": "Midnight Song"}, user=alice)

    back = events(T.CHANGESET_EDITED)[-1]
    assert (back.old, back.new) == ({"a1song00001": {"title": "Noon Song"}}, {"a1song00001": {"title": None}})
    assert back.extra == {"added": 0, "changed": 0, "removed": 1}
    assert [e.new for e in events(T.VIDEO_EDITED)] == [{"title": "Noon Song"}, {"title": "Midnight Song"}]


def test_an_api_bulk_edit_records_one_row_per_video_with_its_own_old_value(catalogue, alice_api):
    response = alice_api.post(
        CHANGESETS, {"video_ids": ["a1song00001", "a1live00001"], "edit": {"privacy_status": "unlisted"}}
    )

    assert response.status_code == 201, response.content
    rows = {event.object_id: event for event in events(T.VIDEO_EDITED)}
    assert set(rows) == {"a1song00001", "a1live00001"}
    assert all(
        (e.old, e.new) == ({"privacy_status": "public"}, {"privacy_status": "unlisted"})
        for e in rows.values()
    )
    assert only(T.CHANGESET_EDITED).extra["added"] == 2


def test_approve_records_who_approved_over_whose_change_set(catalogue, alice_api, dora_api, dora, settings):
    settings.CHANGESET_FOUR_EYES = True
    body = alice_api.post(CHANGESETS, {"video_ids": ["a1song00001"], "edit": {"privacy_status": "private"}})
    changeset_id = body.json()["changeset"]["id"]

    assert alice_api.post(f"{CHANGESETS}{changeset_id}/approve/").status_code == 403
    assert not events(T.CHANGESET_APPROVED)  # a refusal changes nothing and records nothing
    assert dora_api.post(f"{CHANGESETS}{changeset_id}/approve/").status_code == 200

    approved = only(T.CHANGESET_APPROVED)
    assert (approved.acting_user, approved.object_id) == (dora, str(changeset_id))
    assert (approved.old, approved.new) == (
        {"status": "draft"},
        {"status": "approved", "approved_by": "dora"},
    )
    assert approved.extra == {"created_by": "alice"}


def test_the_push_button_records_who_queued(alice, catalogue, django_capture_on_commit_callbacks):
    video_update(video=catalogue["a1_song"], changes={"title": "Noon Song"}, user=alice)
    changeset = ChangeSet.objects.get()
    client = browser(alice)
    client.get(reverse("admin:index"))
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("admin:syncs_changeset_act", args=[changeset.pk, "push"]),
            {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
        )

    assert response.status_code == 302
    queued = only(T.CHANGESET_QUEUED)
    assert (queued.acting_user, queued.actor, queued.old, queued.new) == (
        alice,
        "alice",
        {"status": "draft"},
        {"status": "queued"},
    )


def test_youtube_push_records_the_queue_and_one_summary_row_of_the_push(
    emulator, owner_a, connect, alice, catalogue
):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Noon Song"}, user=alice)
    video_update(video=catalogue["a1_live"], changes={"title": "Noon Live"}, user=alice)
    changeset = ChangeSet.objects.get()

    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=io.StringIO())

    queued = only(T.CHANGESET_QUEUED)
    assert (queued.acting_user, queued.actor) == (None, "youtube_push command")
    pushed = only(T.CHANGESET_PUSHED)  # one row for the run, not one per video or field
    assert (pushed.acting_user, pushed.actor, pushed.object_id) == (
        None,
        "youtube_push command",
        str(changeset.pk),
    )
    assert (pushed.old, pushed.new) == ({"status": "queued"}, {"status": "done"})
    assert {key: pushed.extra[key] for key in ("videos_written", "items_done", "conflicts", "failed")} == {
        "videos_written": 2,
        "items_done": 2,
        "conflicts": 0,
        "failed": 0,
    }
    assert pushed.extra["quota_units"] > 0


def test_keep_theirs_records_the_videos_wanted_value_going_from_ours_to_theirs(conflicted, alice):
    song = conflicted.items.get(video_id="a1song00001")

    press(browser(alice), conflicted, "keep_theirs", item=str(song.pk))

    on_video = only(T.CONFLICT_RESOLVED_THEIRS, object_type="video")
    assert (on_video.acting_user, on_video.object_id) == (alice, "a1song00001")
    assert (on_video.old, on_video.new) == ({"title": "Ours song"}, {"title": "Theirs song"})
    assert Video.objects.get(pk="a1song00001").title == "Theirs song"
    assert on_video.extra["changeset_id"] == conflicted.pk
    on_changeset = only(T.CONFLICT_RESOLVED_THEIRS, object_type="changeset")
    assert on_changeset.object_id == str(conflicted.pk)
    assert (on_changeset.old, on_changeset.new) == (
        {"a1song00001": {"title": "Ours song"}},
        {"a1song00001": {"title": "Theirs song"}},
    )
    assert on_changeset.extra["video_id"] == "a1song00001"


def test_overwrite_records_ours_kept_and_the_wanted_value_unchanged(conflicted, alice_api, alice):
    response = alice_api.post(f"{CHANGESETS}{conflicted.pk}/resolve/", {"resolution": "overwrite"})

    assert response.status_code == 200, response.content
    on_videos = {e.object_id: e for e in events(T.CONFLICT_RESOLVED_OURS, object_type="video")}
    assert set(on_videos) == {"a1song00001", "a1live00001"}
    song = on_videos["a1song00001"]
    assert song.acting_user == alice
    assert (song.old, song.new) == ({"title": "Ours song"}, {"title": "Ours song"})
    assert song.extra["fields"] == {"title": {"theirs": "Theirs song", "ours": "Ours song", "kept": "ours"}}
    assert len(events(T.CONFLICT_RESOLVED_OURS, object_type="changeset")) == 2


def test_revert_records_the_new_draft_on_both_change_sets(
    emulator, owner_a, connect, alice, alice_api, catalogue
):
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Noon Song"}, user=alice)
    changeset = ChangeSet.objects.get()
    call_command("youtube_push", "--changeset", str(changeset.pk), stdout=io.StringIO())

    response = alice_api.post(f"{CHANGESETS}{changeset.pk}/revert/")

    assert response.status_code == 201, response.content
    revert_id = response.json()["id"]
    on_pushed = only(T.CHANGESET_REVERTED, object_id=str(changeset.pk))
    assert (on_pushed.acting_user, on_pushed.new) == (alice, {"reverts": [revert_id]})
    on_revert = only(T.CHANGESET_REVERTED, object_id=str(revert_id))
    assert on_revert.new == {"revert_of": changeset.pk, "items": 1}


def test_changing_a_claims_policy_in_the_admin_records_it(client, alice, catalogue, owner_a):
    Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    Claim.objects.create(
        id="C1",
        video=catalogue["a1_song"],
        asset_id="A111",
        policy_id="P-monetize",
        content_type="audiovisual",
    )
    client.force_login(alice)
    data = {"action": "change_claim_policy", ACTION_CHECKBOX_NAME: ["C1"], "select_across": "0"}

    response = client.post(
        reverse("admin:videos_claim_changelist"), {**data, "claim_step": "apply", "rule": "block"}
    )

    assert response.status_code == 302, response.content
    assert [str(m) for m in get_messages(response.wsgi_request)][0].startswith("1 claim policy change")
    recorded = only(T.CLAIM_POLICY_RECORDED)
    assert (recorded.acting_user, recorded.object_type) == (alice, "changeset")
    assert (recorded.old, recorded.new) == (
        {"claim:C1": {"id": "P-monetize"}},
        {"claim:C1": {"rules": [{"action": "block"}]}},
    )
    assert recorded.extra["video_id"] == "a1song00001"
    assert recorded.object_id == str(ChangeSetItem.objects.get().changeset_id)


@pytest.mark.usefixtures("immediate_tasks")
def test_import_report_records_the_finished_import_with_its_counts(owner_a):
    call_command(
        "import_report",
        str(FIXTURES / "content_owner_video_metadata_a4.synthetic.csv"),
        "--content-owner",
        owner_a.pk,
        stdout=io.StringIO(),
    )

    imported = only(T.REPORT_IMPORTED)
    assert (imported.actor, imported.content_owner_id, imported.object_type) == (
        "report import",
        "owner-a",
        "report",
    )
    assert imported.new["status"] == "done"
    assert imported.new["rows_read"] > 0
    assert imported.new["rows_read"] == (
        imported.new["rows_imported"] + imported.new["rows_unchanged"] + imported.new["rows_rejected"]
    )


def test_youtube_connect_records_the_connection_status_change(emulator, owner_a, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(REFRESH_TOKEN_A + "\n"))

    call_command("youtube_connect", "--owner", "owner-a", "--refresh-token-file", "-", stdout=io.StringIO())

    changed = only(T.CREDENTIAL_STATUS_CHANGED)
    assert (changed.content_owner_id, changed.object_type, changed.object_id) == (
        "owner-a",
        "credential",
        "owner-a",
    )
    assert (changed.old, changed.new) == ({"status": ""}, {"status": "ok"})
    assert changed.actor == "ytcms"


def _owner_page_form(client, owner_id: str) -> dict:
    url = reverse("admin:channels_app_contentowner_change", args=[owner_id])
    page = client.get(url)
    assert page.status_code == 200
    fields, _ = rendered_form(page.content.decode(), "contentowner_form")
    return fields


def test_membership_added_changed_and_removed_in_the_owner_page(root, alice, bob, owner_a):
    client = browser(root)
    url = reverse("admin:channels_app_contentowner_change", args=[owner_a.pk])
    alices = Membership.objects.get(user=alice, content_owner=owner_a)

    fields = _owner_page_form(client, owner_a.pk)
    fields["memberships-TOTAL_FORMS"] = ["2"]
    fields.update(
        {
            "memberships-1-id": [""],
            "memberships-1-content_owner": [owner_a.pk],
            "memberships-1-user": [str(bob.pk)],
            "memberships-1-role": [Role.EDITOR],
        }
    )
    fields["memberships-0-role"] = [Role.EDITOR]
    fields["_save"] = ["Save"]
    assert client.post(url, fields).status_code == 302

    added = only(T.MEMBERSHIP_ADDED)
    assert (added.acting_user, added.content_owner_id, added.old) == (root, "owner-a", None)
    assert added.new == {"user": "bob", "role": "editor", "content_owner_id": "owner-a", "channel_id": None}
    changed = only(T.MEMBERSHIP_CHANGED)
    assert changed.object_id == str(alices.pk)
    assert (changed.old["role"], changed.new["role"]) == ("manager", "editor")

    fields = _owner_page_form(client, owner_a.pk)
    bobs = Membership.objects.get(user=bob, content_owner=owner_a)
    index = next(i for i in range(2) if fields[f"memberships-{i}-id"] == [str(bobs.pk)])
    fields[f"memberships-{index}-DELETE"] = ["on"]
    fields["_save"] = ["Save"]
    assert client.post(url, fields).status_code == 302

    removed = only(T.MEMBERSHIP_REMOVED)
    assert (removed.object_id, removed.old["user"], removed.new) == (str(bobs.pk), "bob", None)
    assert not Membership.objects.filter(pk=bobs.pk).exists()


def test_acknowledging_drift_in_the_admin_records_the_fields_it_cleared(client, alice, catalogue):
    Video.objects.filter(pk="a1live00001").update(has_drift=True, drifted_fields=["title"])
    client.force_login(alice)

    response = client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "acknowledge_drift", ACTION_CHECKBOX_NAME: ["a1live00001"], "index": "0"},
    )

    assert response.status_code == 302
    acknowledged = only(T.VIDEO_DRIFT_ACKNOWLEDGED)
    assert (acknowledged.acting_user, acknowledged.object_id, acknowledged.content_owner_id) == (
        alice,
        "a1live00001",
        "owner-a",
    )
    assert (acknowledged.old, acknowledged.new) == ({"drifted_fields": ["title"]}, {"drifted_fields": []})
