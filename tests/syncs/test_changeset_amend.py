"""A scheduled change set edited after approval needs approval again (#19): through its admin page.

The change-set page's Save / Remove (syncs.changesets.amend) is the one door that changes a given
change set's items; an approved one goes back to draft, keeps its schedule, and the scheduler
refuses it at its moment unless it was approved again. Other edits go to the author's own draft.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from channels_app.models import Role
from core.audit.models import AuditEvent
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.release import changeset_release_refusal, changeset_schedule
from syncs.changesets.services import changeset_approve
from syncs.models import ChangeSet, ChangeSetItem
from tests.conftest import browser, staff_user
from videos.models import Video

pytestmark = pytest.mark.django_db

MOMENT = datetime(2099, 1, 14, 23, 0, tzinfo=UTC)


def _page(changeset) -> str:
    return reverse("admin:syncs_changeset_change", args=[changeset.pk])


def _amend(client, changeset, **fields):
    """What a browser posts when a Save or Remove button of the preview table is pressed: the
    token, every value input of the table (CRLF in textareas) and the pressed button."""
    client.get(_page(changeset))
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    for item in changeset.items.all():
        value = item.new_value if item.field != "tags" else ", ".join(item.new_value)
        data[f"value-{item.pk}"] = str(value).replace("\n", "\r\n")
    data.update(fields)
    return client.post(reverse("admin:syncs_changeset_amend", args=[changeset.pk]), data)


@pytest.fixture
def release(catalogue, alice) -> ChangeSet:
    """alice's approved change set, a new title for a1song00001, scheduled for 2099-01-15 00:00 Berlin."""
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    changeset_schedule(changeset=changeset, at=MOMENT, tz="Europe/Berlin", user=alice)
    return changeset


def test_saving_an_item_of_an_approved_scheduled_set_withdraws_the_approval_and_keeps_the_schedule(
    release, alice
):
    item = release.items.get()
    client = browser(alice)
    page = client.get(_page(release)).content.decode()
    assert f'name="save" value="{item.pk}"' in page
    assert "Editing an item here withdraws the approval" in page

    answer = _amend(
        client, release, **{"save": str(item.pk), f"value-{item.pk}": "Midnight Song (Official Audio)"}
    )

    assert answer.status_code == 302 and answer.url == _page(release)
    release.refresh_from_db()
    assert (release.status, release.approved_by, release.scheduled_for) == (
        ChangeSet.Status.DRAFT,
        None,
        MOMENT,
    )
    assert release.items.get().new_value == "Midnight Song (Official Audio)"
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song (Official Audio)"
    withdrawn = AuditEvent.objects.get(event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN)
    assert (withdrawn.object_id, withdrawn.acting_user) == (str(release.pk), alice)
    assert withdrawn.old["status"] == "approved" and withdrawn.old["approved_by"] == "alice"
    assert withdrawn.new == {"status": "draft", "approved_by": None, "approved_at": None}
    assert withdrawn.extra["reason"] == "edited after approval"
    edited = AuditEvent.objects.filter(
        event_type=AuditEvent.Type.CHANGESET_EDITED, object_id=str(release.pk)
    ).latest("pk")
    assert edited.old == {"a1song00001": {"title": "Midnight Song (Official Video)"}}
    assert edited.new == {"a1song00001": {"title": "Midnight Song (Official Audio)"}}
    shown = client.get(_page(release)).content.decode()
    assert "approval was withdrawn (edited after approval)" in shown
    assert 'value="Approve"' in shown
    # At the moment, the scheduler refuses it as any draft, unless it was approved again.
    assert changeset_release_refusal(changeset=release, now=MOMENT) == (
        "Not pushed: It was not approved by its scheduled moment."
    )


def test_approving_again_puts_it_back_on_its_schedule(release, alice):
    item = release.items.get()
    _amend(browser(alice), release, **{"save": str(item.pk), f"value-{item.pk}": "Midnight Song (Live)"})
    changeset_approve(changeset=release, user=alice)
    assert changeset_release_refusal(changeset=release, now=MOMENT) is None


def test_a_description_typed_with_crlf_is_stored_with_lf(catalogue, alice):
    video_update(video=catalogue["a1_song"], changes={"description": "Out now"}, user=alice)
    changeset = changeset_approve(changeset=ChangeSet.objects.get(), user=alice)
    item = changeset.items.get()

    _amend(browser(alice), changeset, **{"save": str(item.pk), f"value-{item.pk}": "Out now\r\nListen: x"})

    assert changeset.items.get().new_value == "Out now\nListen: x"
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DRAFT


def test_removing_an_item_puts_the_video_back_to_youtubes_value(release, alice):
    item = release.items.get()

    answer = _amend(browser(alice), release, remove=str(item.pk))

    assert answer.status_code == 302
    assert not release.items.exists()
    video = Video.objects.get(pk="a1song00001")
    assert video.title == "Midnight Song" and "title" not in video.pending_fields
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.DRAFT
    assert AuditEvent.objects.filter(event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN).count() == 1


def test_a_value_breaking_a_youtube_limit_changes_nothing(release, alice):
    item = release.items.get()
    client = browser(alice)

    _amend(client, release, **{"save": str(item.pk), f"value-{item.pk}": "x" * 101})

    release.refresh_from_db()
    assert release.status == ChangeSet.Status.APPROVED
    assert release.items.get().new_value == "Midnight Song (Official Video)"
    assert "Nothing changed" in client.get(_page(release)).content.decode()
    assert not AuditEvent.objects.filter(event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN).exists()


def test_an_edit_elsewhere_never_joins_the_release_even_once_it_is_a_draft_again(release, catalogue, alice):
    item = release.items.get()
    _amend(browser(alice), release, **{"save": str(item.pk), f"value-{item.pk}": "Midnight Song (Live)"})

    video_update(video=catalogue["a1_live"], changes={"title": "Live at Dawn (2027)"}, user=alice)

    assert set(release.items.values_list("video_id", flat=True)) == {"a1song00001"}
    other = ChangeSet.objects.get(items__video_id="a1live00001")
    assert other.pk != release.pk and other.scheduled_for is None


def test_a_queued_change_set_is_not_edited(release, alice):
    ChangeSet.objects.filter(pk=release.pk).update(status=ChangeSet.Status.QUEUED)
    item = release.items.get()
    client = browser(alice)
    assert f'name="save" value="{item.pk}"' not in client.get(_page(release)).content.decode()

    _amend(client, release, **{"save": str(item.pk), f"value-{item.pk}": "Midnight Song (Live)"})

    assert release.items.get().new_value == "Midnight Song (Official Video)"
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.QUEUED


@pytest.fixture
def dora(django_user_model, owner_a):
    """A second manager of owner A: the four-eyes approver."""
    return staff_user(django_user_model, "dora", "Rights manager", content_owner=owner_a, role=Role.MANAGER)


def test_four_eyes_the_other_manager_must_approve_again_after_the_author_edits(
    catalogue, alice, dora, settings
):
    settings.CHANGESET_FOUR_EYES = True
    video_update(video=catalogue["a1_song"], changes={"privacy_status": "private"}, user=alice)
    video_update(video=catalogue["a1_song"], changes={"title": "Midnight Song (Official Video)"}, user=alice)
    draft = ChangeSet.objects.get()
    changeset_schedule(changeset=draft, at=MOMENT, tz="UTC", user=alice)
    changeset_approve(changeset=draft, user=dora)
    title = draft.items.get(field="title")

    _amend(browser(alice), draft, **{"save": str(title.pk), f"value-{title.pk}": "Midnight Song (Live)"})

    draft.refresh_from_db()
    assert draft.status == ChangeSet.Status.DRAFT and draft.needs_approval
    withdrawn = AuditEvent.objects.get(event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN)
    assert withdrawn.old["approved_by"] == "dora" and withdrawn.acting_user == alice
    # alice cannot approve her own four-eyes change set: dora must, again.
    client = browser(alice)
    client.get(_page(draft))
    client.post(
        reverse("admin:syncs_changeset_act", args=[draft.pk, "approve"]),
        {"csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    draft.refresh_from_db()
    assert draft.status == ChangeSet.Status.DRAFT
    assert changeset_release_refusal(changeset=draft, now=MOMENT + timedelta(seconds=1)).startswith(
        "Not pushed"
    )
    changeset_approve(changeset=draft, user=dora)
    assert changeset_release_refusal(changeset=draft, now=MOMENT) is None


def test_charlie_can_neither_see_nor_edit_alices_release(release, charlie):
    item = release.items.get()
    client = browser(charlie)
    client.get(reverse("admin:index"))

    answer = client.post(
        reverse("admin:syncs_changeset_amend", args=[release.pk]),
        {
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
            "save": str(item.pk),
            f"value-{item.pk}": "Hacked",
        },
    )

    assert answer.status_code == 404
    assert release.items.get().new_value == "Midnight Song (Official Video)"
    release.refresh_from_db()
    assert release.status == ChangeSet.Status.APPROVED


def test_bob_a_viewer_is_refused(release, bob):
    item = release.items.get()
    client = browser(bob)
    assert f'name="save" value="{item.pk}"' not in client.get(_page(release)).content.decode()

    _amend(client, release, **{"save": str(item.pk), f"value-{item.pk}": "Midnight Song (Live)"})

    assert release.items.get().new_value == "Midnight Song (Official Video)"
    assert ChangeSetItem.objects.count() == 1


def test_a_push_starting_as_the_approval_is_withdrawn_sends_nothing(release, monkeypatch):
    from syncs.changesets.errors import ChangeSetStateConflict
    from syncs.changesets.push import changeset_push

    read = ChangeSet.refresh_from_db

    def withdrawn_meanwhile(self, *args, **kwargs):
        read(self, *args, **kwargs)
        # The page's edit commits between the push's read of the status and the push's start.
        ChangeSet.objects.filter(pk=self.pk).update(status=ChangeSet.Status.DRAFT)

    monkeypatch.setattr(ChangeSet, "refresh_from_db", withdrawn_meanwhile)
    with pytest.raises(ChangeSetStateConflict, match="no longer approved"):
        changeset_push(changeset=release)
    monkeypatch.undo()

    release.refresh_from_db()
    assert (release.status, release.pushed_at) == (ChangeSet.Status.DRAFT, None)
    assert release.items.get().status == ChangeSetItem.Status.PENDING
