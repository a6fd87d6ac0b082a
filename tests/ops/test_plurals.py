"""Counts a person reads say "1 video", never "1 videos" (#15)."""

import pytest
from django.urls import reverse

from tests.reports.test_ingest_helpers import immediate_tasks_fixture  # noqa: F401
from tests.reports.test_sheets_import_admin import preview, sheet


def apply_edit_sheet(client, rows: list[dict]) -> str:
    page = preview(client, sheet(rows))
    assert page.status_code == 200
    response = client.post(
        reverse("admin:reports_report_edit_sheet"),
        {"step": "apply", "token": page.context["token"]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_edit_sheet_message_says_1_video_and_1_row(client, alice, catalogue):
    client.force_login(alice)
    page = apply_edit_sheet(
        client,
        [
            {"video_id": "a1song00001", "title": "New Song Title"},
            {"video_id": "a1live00001"},  # nothing to change
            {"video_id": "zzzzzzzzzzz", "title": "Nobody's"},  # not found
        ],
    )
    assert (
        "Edit sheet applied: 1 video now has pending changes, 1 was already as the sheet says, "
        "1 row could not be applied. Nothing was sent to YouTube yet."
    ) in page


@pytest.mark.django_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_edit_sheet_message_says_2_videos_and_2_rows(client, alice, catalogue):
    client.force_login(alice)
    page = apply_edit_sheet(
        client,
        [
            {"video_id": "a1song00001", "title": "New Song Title"},
            {"video_id": "a2clip00001", "title": "New Clip Title"},
            {"video_id": "a1live00001"},
            {"video_id": "b1secret001"},  # charlie's: not found, as for alice it does not exist
            {"video_id": "zzzzzzzzzzz", "title": "Nobody's"},
        ],
    )
    assert (
        "Edit sheet applied: 2 videos now have pending changes, 1 was already as the sheet says, "
        "2 rows could not be applied. Nothing was sent to YouTube yet."
    ) in page
