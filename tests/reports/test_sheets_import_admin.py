"""Edit sheets in the admin: export the selected videos, import an edited sheet, preview, apply."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from reports.sheets import EDIT_SHEET_COLUMNS, EDIT_SHEET_HEADER
from tests.reports.test_ingest_helpers import immediate_tasks_fixture, upload  # noqa: F401
from videos.models import Video

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def export(client, ids):
    response = client.post(
        reverse("admin:videos_video_changelist"), {"action": "export_edit_sheet", ACTION_CHECKBOX_NAME: ids}
    )
    assert response.status_code == 200, response.content[:500]
    return b"".join(response.streaming_content).decode("utf-8-sig")


def sheet(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EDIT_SHEET_COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def preview(client, data: bytes):
    return client.post(
        reverse("admin:reports_report_edit_sheet"), {"step": "preview", "file": upload("sheet.csv", data)}
    )


def test_export_streams_the_selected_visible_videos_with_formulas_escaped(client, alice, catalogue):
    Video.objects.filter(pk="a1song00001").update(title="=HYPERLINK(1)")
    client.force_login(alice)
    text = export(client, ["a1song00001", "a2clip00001", "b1secret001"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["video_id"] for row in rows] == ["a1song00001", "a2clip00001"]  # B's video is not hers
    assert rows[0]["title"] == "'=HYPERLINK(1)"
    assert rows[0]["tags (comma-separated)"] == "night"
    assert list(rows[0]) == [EDIT_SHEET_HEADER.get(column, column) for column in EDIT_SHEET_COLUMNS]


def test_export_refuses_list_items_containing_the_separator(client, alice, catalogue):
    Video.objects.filter(pk="a1song00001").update(tags=["rock|pop"])
    client.force_login(alice)
    response = client.post(
        reverse("admin:videos_video_changelist"),
        {"action": "export_edit_sheet", ACTION_CHECKBOX_NAME: ["a1song00001"]},
        follow=True,
    )
    assert any("a1song00001" in str(m) for m in response.context["messages"])


def test_an_exported_sheet_imported_unchanged_changes_nothing(client, alice, catalogue):
    client.force_login(alice)
    text = export(client, ["a1song00001", "a1live00001", "a2clip00001"])
    page = preview(client, text.encode())
    result = page.context["preview"]
    assert result.changes == [] and result.errors == [] and result.unchanged == 3


def test_preview_shows_old_and_new_and_every_problem_then_apply_records_pending_edits(
    client, alice, catalogue
):
    client.force_login(alice)
    data = sheet(
        [
            {"video_id": "a1song00001", "title": "New Song Title", "tags": "night|live"},
            {"video_id": "a2clip00001", "privacy_status": "unlisted", "description": ""},
            {"video_id": "b1secret001", "title": "Not yours"},  # charlie's: reported as not found
            {"video_id": "zzzzzzzzzzz", "title": "Nobody's"},  # does not exist: the same words
            {"video_id": "a1live00001", "title": "x" * 101},  # over YouTube's limit
            {"video_id": "bad id", "title": "?"},  # not a video id at all
        ]
    )
    page = preview(client, data)
    result = page.context["preview"]
    assert [change.video_id for change in result.changes] == ["a1song00001", "a2clip00001"]
    assert result.changes[0].changes["title"] == ("Midnight Song", "New Song Title")
    reasons = {error.line_number: error.reason for error in result.errors}
    assert reasons[4] == "video_id 'b1secret001' was not found."
    assert reasons[5] == "video_id 'zzzzzzzzzzz' was not found."
    assert "100" in reasons[6]
    assert 7 in reasons
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"  # nothing saved yet
    html = page.content.decode()
    assert "New Song Title" in html and "Save 2 changes as pending edits" in html

    response = client.post(
        reverse("admin:reports_report_edit_sheet"), {"step": "apply", "token": page.context["token"]}
    )
    assert response.status_code == 302
    song = Video.objects.get(pk="a1song00001")
    assert song.title == "New Song Title" and song.tags == ["night", "live"]
    assert song.pending_fields == ["title", "tags"] and song.has_pending_changes
    assert Video.objects.get(pk="a2clip00001").privacy_status == "unlisted"
    assert Video.objects.get(pk="b1secret001").title == "Secret Midnight Demo"
    entries = LogEntry.objects.filter(user=alice)
    assert sorted(entries.values_list("object_id", flat=True)) == ["a1song00001", "a2clip00001"]
    # The stored sheet is used once.
    again = client.post(
        reverse("admin:reports_report_edit_sheet"),
        {"step": "apply", "token": page.context["token"]},
        follow=True,
    )
    assert any("no longer available" in str(m) for m in again.context["messages"])


def test_charlie_cannot_edit_alices_videos_through_a_sheet(client, charlie, catalogue):
    client.force_login(charlie)
    result = preview(client, sheet([{"video_id": "a1song00001", "title": "Taken"}])).context["preview"]
    assert result.changes == [] and result.errors[0].reason == "video_id 'a1song00001' was not found."


def test_a_viewer_cannot_open_the_edit_sheet_import(client, bob):
    client.force_login(bob)
    response = client.get(reverse("admin:reports_report_edit_sheet"), follow=True)
    assert response.redirect_chain == [(reverse("admin:reports_report_changelist"), 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "Importing an edit sheet takes permission to change videos."
    ]


def test_a_file_that_is_not_an_edit_sheet_is_refused_with_the_reason(client, alice):
    client.force_login(alice)
    page = preview(client, b"title,description\nx,y\n")
    assert "video_id column" in page.content.decode()
