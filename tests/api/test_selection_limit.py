"""One limit and one refusal for every way of selecting videos to edit (videos/selection.py):
the API's ids and filter, the admin's bulk edit, edit sheets and conflict resolution all say
"N <things>; one bulk edit takes at most LIMIT." with code too_many."""

import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from reports.parsing import ReportFileError
from reports.services import edit_sheet_apply
from syncs.models import ChangeSet
from tests.api.conftest import error_codes
from videos.selection import SelectionTooLarge, selection_check

pytestmark = pytest.mark.django_db


def test_the_limit_is_inclusive(settings):
    settings.BULK_EDIT_MAX_VIDEOS = 2
    selection_check(count=2)
    with pytest.raises(SelectionTooLarge, match=r"^3 videos; one bulk edit takes at most 2\. Narrow"):
        selection_check(count=3)


def test_every_interface_says_the_same_sentence(settings, catalogue, alice, alice_api, client):
    settings.BULK_EDIT_MAX_VIDEOS = 1
    ids = ["a1song00001", "a1live00001"]
    said = []

    response = alice_api.post(
        "/api/v1/videos/bulk-edit/", {"video_ids": ids, "edit": {"license": "youtube"}}, format="json"
    )
    assert error_codes(response) == [("video_ids", "too_many")]
    said.append(response.json()["errors"][0]["message"])

    response = alice_api.post(
        "/api/v1/changesets/", {"filter": {}, "edit": {"license": "youtube"}}, format="json"
    )
    assert error_codes(response) == [("filter", "too_many")]
    said.append(response.json()["errors"][0]["message"])

    changeset = ChangeSet.objects.create(created_by=alice)
    response = alice_api.post(
        f"/api/v1/changesets/{changeset.pk}/resolve/",
        {"resolution": "overwrite", "item_ids": [1, 2]},
        format="json",
    )
    assert error_codes(response) == [("item_ids", "too_many")]
    said.append(response.json()["errors"][0]["message"])

    client.force_login(alice)
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "bulk_edit", ACTION_CHECKBOX_NAME: ids, "select_across": "0", "index": "0"},
    )
    said.append(next(str(m) for m in get_messages(response.wsgi_request) if "bulk edit" in str(m)))

    sheet = "video_id,title\n" + "".join(f"{video_id},New\n" for video_id in ids)
    with pytest.raises(ReportFileError) as refused:
        edit_sheet_apply(stream=io.BytesIO(sheet.encode()), name="sheet.csv", user=alice)
    said.append(str(refused.value))

    assert said == [
        "2 video ids; one bulk edit takes at most 1. Split the edit into several requests.",
        "The filter selects more than 1 videos; one bulk edit takes at most 1. Narrow the filter (a "
        "channel, a published range) and send several requests.",
        "2 items; one bulk edit takes at most 1. Resolve the rest in another request.",
        "2 videos selected; one bulk edit takes at most 1. Narrow the selection with filters.",
        "The sheet has more than 1 rows; one bulk edit takes at most 1. Split the sheet.",
    ]
