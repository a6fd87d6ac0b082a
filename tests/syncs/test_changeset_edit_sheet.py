"""An edit-sheet import lands in the importer's draft change set, with YouTube's values as base, and pushes."""

import csv
import io

import pytest

from reports.services import edit_sheet_apply
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.models import Video

from .conftest import api_requests

pytestmark = pytest.mark.django_db


def _sheet(header, *rows) -> io.BytesIO:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return io.BytesIO(out.getvalue().encode())


def _import(user, *rows):
    header = ["video_id", "title", "tags", "privacy_status", "notes"]
    return edit_sheet_apply(stream=_sheet(header, *rows), name="sheet.csv", user=user)


def test_an_edit_sheet_import_lands_in_the_importers_draft_with_youtubes_values_as_base(
    catalogue, alice, django_user_model
):
    # Someone else's unpushed edit: what we want differs from YouTube, but YouTube's value stays the base.
    other = django_user_model.objects.create_user(username="other", password="pw", is_staff=True)
    video_update(video=catalogue["a1_live"], changes={"title": "Not pushed yet"}, user=other)

    result = _import(
        alice,
        ["a1song00001", "Midnight Song (Live)", "night|live", "", "our note"],
        ["a1live00001", "Live at Dawn (2026)", "", "unlisted", ""],
        ["a2clip00001", "", "", "", ""],  # empty cells: no change
        ["b1secret001", "Not hers", "", "", ""],  # owner B: "not found" for alice
    )

    assert result.updated == 2 and [error.video_id for error in result.failed] == ["b1secret001"]
    draft = ChangeSet.objects.get(created_by=alice)
    assert draft.status == ChangeSet.Status.DRAFT and draft.revert_of is None
    items = {(i.video_id, i.field): (i.base_value, i.new_value, i.status) for i in draft.items.all()}
    pending = ChangeSetItem.Status.PENDING
    assert items == {
        ("a1song00001", "title"): ("Midnight Song", "Midnight Song (Live)", pending),
        ("a1song00001", "tags"): (["night"], ["night", "live"], pending),
        # The base is YouTube's title, not the other user's pending one the sheet replaced.
        ("a1live00001", "title"): ("Live at Dawn", "Live at Dawn (2026)", pending),
        ("a1live00001", "privacy_status"): ("public", "unlisted", pending),
    }  # notes are ours only: never pushed
    assert Video.objects.get(pk="a1song00001").notes == "our note"


def test_a_second_import_extends_the_same_draft_and_keeps_the_first_base(catalogue, alice):
    _import(alice, ["a1song00001", "First", "", "", ""])
    _import(alice, ["a1song00001", "Second", "", "", ""])

    (item,) = ChangeSet.objects.get(created_by=alice).items.all()
    assert (item.base_value, item.new_value) == ("Midnight Song", "Second")


def test_an_imported_change_set_pushes_to_youtube(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    _import(
        alice,
        ["a1song00001", "Midnight Song (Live)", "night|live", "", ""],
        ["a1live00001", "", "", "unlisted", ""],
    )
    changeset = ChangeSet.objects.get(created_by=alice)

    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    result = changeset_push(changeset=changeset)

    song, live = emulator.state.video("a1song00001"), emulator.state.video("a1live00001")
    assert (song["snippet"]["title"], song["snippet"]["tags"]) == ("Midnight Song (Live)", ["night", "live"])
    assert song["snippet"]["description"] == "About the song"  # read-modify-write kept it
    assert live["status"]["privacyStatus"] == "unlisted" and live["snippet"]["title"] == "Live at Dawn"
    updates = {r["body"]["id"]: r["params"]["part"] for r in api_requests(emulator, "youtube.videos.update")}
    assert updates == {"a1song00001": "snippet", "a1live00001": "status"}
    assert len(api_requests(emulator, "youtube.videos.list")) == 1  # one read for the batch
    assert (result.items_done, result.quota_units) == (3, 101)
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    assert set(SyncRecord.objects.values_list("video_id", "status")) == {
        ("a1song00001", SyncRecord.Status.SUCCESS),
        ("a1live00001", SyncRecord.Status.SUCCESS),
    }
    assert not Video.objects.get(pk="a1song00001").has_pending_changes
