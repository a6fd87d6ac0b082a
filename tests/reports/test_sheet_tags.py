"""One tag syntax: tags are comma-separated in the admin form, the edit sheet and YouTube Studio.

A sheet cell "one, two" used to become the single tag "one, two", which the next save of the
video's admin form (tags shown as "one, two") split into two: a change nobody made.
"""

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from reports.services import edit_sheet_apply, edit_sheet_preview, edit_sheet_rows
from tests.videos.form_posting import post_change_form
from videos.models import Video

pytestmark = pytest.mark.django_db


def sheet(video_id: str, tags: str, header: str = "tags") -> io.BytesIO:
    return io.BytesIO(f'video_id,{header}\r\n{video_id},"{tags}"\r\n'.encode())


def save_in_the_form(client, video, **edits):
    response = post_change_form(client, reverse("admin:videos_video_change", args=[video.pk]), edits=edits)
    assert response.status_code == 302, response.context["adminform"].form.errors
    video.refresh_from_db()


def test_a_sheet_cell_and_the_form_give_the_same_tags(client, alice, catalogue):
    song, live = catalogue["a1_song"], catalogue["a1_live"]
    result = edit_sheet_apply(stream=sheet(song.pk, "one, two"), name="sheet.csv", user=alice)
    assert (result.updated, result.failed_count) == (1, 0)
    client.force_login(alice)
    save_in_the_form(client, live, tags="one, two")
    song.refresh_from_db()
    assert song.tags == live.tags == ["one", "two"]


def test_a_later_unrelated_save_changes_no_tag(client, alice, catalogue):
    song = catalogue["a1_song"]
    edit_sheet_apply(stream=sheet(song.pk, "one, two"), name="sheet.csv", user=alice)
    client.force_login(alice)
    save_in_the_form(client, song, title="Midnight Song (Remastered)")
    assert song.tags == ["one", "two"]
    latest = LogEntry.objects.filter(object_id=song.pk).order_by("-pk").first()
    assert set(json.loads(latest.change_message)[1]["values"]) == {"title"}
    save_in_the_form(client, song)  # and a save of nothing records nothing
    assert LogEntry.objects.filter(object_id=song.pk).count() == 2


def test_sheets_exported_before_with_bars_still_import(alice, catalogue):
    song = catalogue["a1_song"]
    result = edit_sheet_apply(stream=sheet(song.pk, "one|two"), name="sheet.csv", user=alice)
    assert result.updated == 1
    song.refresh_from_db()
    assert song.tags == ["one", "two"]


def test_the_export_writes_tags_as_the_form_shows_them_and_reimports_unchanged(alice, catalogue):
    song = catalogue["a1_song"]
    Video.objects.filter(pk=song.pk).update(tags=["one", "two words"], artists=["Earth, Wind & Fire"])
    text = "".join(edit_sheet_rows(Video.objects.filter(pk=song.pk)))
    header, row = text.lstrip("\ufeff").splitlines()[:2]
    assert "tags (comma-separated)" in header.split(",")
    assert "artists (|-separated)" in header.split(",")
    assert '"one, two words"' in row
    preview = edit_sheet_preview(stream=io.BytesIO(text.encode()), name="sheet.csv", user=alice)
    assert (preview.changing, preview.unchanged, preview.error_count) == (0, 1, 0)
    assert preview.unknown_columns == []


def test_the_api_splits_a_tag_holding_a_comma_as_the_form_would(alice, catalogue, settings):
    from channels_app.authentication import api_token_create
    from tests.api.conftest import client_with_token

    settings.API_THROTTLE_TOKEN = "100000/hour"
    _, key = api_token_create(user=alice, name="tests")
    response = client_with_token(key).patch(
        "/api/v1/videos/a1song00001/", {"tags": ["one, two", " three "]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["tags"] == ["one", "two", "three"]


def test_charlies_sheet_does_not_reach_alices_video(charlie, catalogue):
    song = catalogue["a1_song"]
    result = edit_sheet_apply(stream=sheet(song.pk, "one, two"), name="sheet.csv", user=charlie)
    assert (result.updated, result.failed_count) == (0, 1)
    assert result.failed[0].reason == "video_id 'a1song00001' was not found."
    song.refresh_from_db()
    assert song.tags == ["night"]
