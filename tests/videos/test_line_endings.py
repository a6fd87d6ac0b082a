"""Line endings: browsers send a textarea's line breaks as CRLF; YouTube keeps LF. Every door turns
CRLF and lone CR into LF before comparing or measuring, so a save that changes nothing records
nothing, and a description is measured as YouTube measures it (a line break is one byte)."""

import io
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from channels_app.authentication import api_token_create
from reports.services import edit_sheet_apply, edit_sheet_preview
from syncs.changesets.edits import videos_bulk_edit_in_changeset as videos_bulk_edit
from syncs.models import ChangeSetItem
from tests.api.conftest import client_with_token
from tests.videos.form_posting import post_change_form
from videos.models import Video
from videos.services import BulkEdit

pytestmark = pytest.mark.django_db

DESCRIPTION = "Line one\nLine two\n\nLine four, after a blank line\n"


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.API_THROTTLE_USER = "100000/hour"
    settings.API_THROTTLE_TOKEN = "100000/hour"
    settings.API_THROTTLE_BULK = "100000/hour"


def api_of(user):
    _, key = api_token_create(user=user, name="tests")
    return client_with_token(key)


@pytest.fixture
def alice_api(alice):
    return api_of(alice)


@pytest.fixture
def charlie_api(charlie):
    return api_of(charlie)


def change_url(video) -> str:
    return reverse("admin:videos_video_change", args=[video.pk])


def recorded(video) -> tuple[list[str], int, int]:
    """What a save left behind: pending fields, audit entries, change-set items."""
    video.refresh_from_db()
    return (
        video.pending_fields,
        LogEntry.objects.filter(object_id=video.pk).count(),
        ChangeSetItem.objects.filter(video=video).count(),
    )


@pytest.fixture
def song(catalogue):
    video = catalogue["a1_song"]
    Video.objects.filter(pk=video.pk).update(description=DESCRIPTION)
    video.remote_snapshot = {**video.remote_snapshot, "description": DESCRIPTION}
    Video.objects.filter(pk=video.pk).update(remote_snapshot=video.remote_snapshot)
    video.refresh_from_db()
    assert video.pending_fields == []
    return video


# ---- the admin form, posted as a browser posts it


@pytest.mark.parametrize(
    ("edits", "pending"),
    [
        ({"title": "Midnight Song (Remastered)"}, ["title"]),
        ({"privacy_status": "unlisted"}, ["privacy_status"]),
        ({"notes": "Checked with the label.\nAll fine."}, []),  # our own field: never pushed
    ],
)
def test_a_one_field_save_from_the_browser_records_only_that_field(client, alice, song, edits, pending):
    client.force_login(alice)
    response = post_change_form(client, change_url(song), edits=edits)
    assert response.status_code == 302, response.context["adminform"].form.errors
    song.refresh_from_db()
    assert song.pending_fields == pending
    assert song.description == DESCRIPTION  # LF, as YouTube has it
    (entry,) = LogEntry.objects.filter(object_id=song.pk)
    assert set(json.loads(entry.change_message)[1]["values"]) == set(edits)
    assert sorted(ChangeSetItem.objects.filter(video=song).values_list("field", flat=True)) == pending


def test_a_save_that_changes_nothing_records_nothing(client, alice, song):
    client.force_login(alice)
    response = post_change_form(client, change_url(song))
    assert response.status_code == 302
    assert recorded(song) == ([], 0, 0)


def _description_of(size: int, letter: str = "é") -> str:
    """`size` bytes once line breaks are LF: 50 lines of `letter` (two bytes: é), LF between them."""
    lines = [letter * (49 if letter == "é" else 98)] * 50  # 50 lines of 98 bytes, 49 breaks: 4,949 bytes
    text = "\n".join(lines)
    return text + "a" * (size - len(text.encode()))


def test_a_5000_byte_description_with_crlf_breaks_is_accepted(client, alice, song):
    description = _description_of(5000)
    assert len(description.replace("\n", "\r\n").encode()) == 5049  # what the browser sends
    client.force_login(alice)
    response = post_change_form(client, change_url(song), edits={"description": description})
    assert response.status_code == 302, response.context["adminform"].form.errors
    song.refresh_from_db()
    assert song.description == description
    assert song.pending_fields == ["description"]


def test_a_5001_byte_description_is_refused_in_bytes_as_youtube_counts_them(client, alice, song):
    client.force_login(alice)
    response = post_change_form(client, change_url(song), edits={"description": _description_of(5001)})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["description"]
    assert errors == ["description is 5,001 bytes; YouTube allows 5,000."]
    assert recorded(song) == ([], 0, 0)


def test_charlie_cannot_open_alices_video_form(client, charlie, song):
    client.force_login(charlie)
    assert client.get(change_url(song)).status_code in (302, 404)
    assert recorded(song) == ([], 0, 0)


# ---- the API


def test_api_patch_with_crlf_in_an_unchanged_description_records_nothing(alice_api, song):
    response = alice_api.patch(
        f"/api/v1/videos/{song.pk}/",
        {"description": DESCRIPTION.replace("\n", "\r\n"), "notes": ""},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["description"] == DESCRIPTION
    assert recorded(song) == ([], 0, 0)


def test_api_stores_lone_cr_as_lf_and_measures_after(alice_api, song):
    description = _description_of(5000).replace("\n", "\r")
    response = alice_api.patch(f"/api/v1/videos/{song.pk}/", {"description": description}, format="json")
    assert response.status_code == 200, response.json()
    song.refresh_from_db()
    assert song.description == description.replace("\r", "\n")
    assert song.pending_fields == ["description"]


def test_api_crlf_in_localized_texts_is_normalised(alice_api, song):
    texts = {"title": "Chanson", "description": "Ligne un\r\nLigne deux"}
    response = alice_api.patch(f"/api/v1/videos/{song.pk}/", {"localizations": {"fr": texts}}, format="json")
    assert response.status_code == 200, response.json()
    song.refresh_from_db()
    assert song.localizations == {"fr": {"title": "Chanson", "description": "Ligne un\nLigne deux"}}


def test_api_localized_description_of_5000_bytes_with_crlf_breaks_is_accepted(alice_api, song):
    description = _description_of(5000)
    texts = {"title": "Chanson", "description": description.replace("\n", "\r\n")}
    response = alice_api.patch(
        f"/api/v1/videos/{song.pk}/",
        {"default_language": "en", "localizations": {"fr": texts}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    song.refresh_from_db()
    assert song.localizations["fr"]["description"] == description


def test_charlie_cannot_patch_alices_video(charlie_api, song):
    response = charlie_api.patch(f"/api/v1/videos/{song.pk}/", {"description": "x\r\ny"}, format="json")
    assert response.status_code == 404
    assert recorded(song) == ([], 0, 0)


# ---- the edit sheet


def _sheet(video_id: str, description: str) -> io.BytesIO:
    cell = '"' + description.replace('"', '""') + '"'
    return io.BytesIO(f"video_id,description\r\n{video_id},{cell}\r\n".encode())


def test_edit_sheet_with_crlf_in_an_unchanged_description_records_nothing(alice, song):
    crlf = DESCRIPTION.replace("\n", "\r\n")
    preview = edit_sheet_preview(stream=_sheet(song.pk, crlf), name="sheet.csv", user=alice)
    assert (preview.changing, preview.unchanged, preview.error_count) == (0, 1, 0)
    result = edit_sheet_apply(stream=_sheet(song.pk, crlf), name="sheet.csv", user=alice)
    assert (result.updated, result.unchanged, result.failed_count) == (0, 1, 0)
    assert recorded(song) == ([], 0, 0)


@pytest.mark.parametrize("letter", ["é", "a"])
def test_edit_sheet_description_of_5000_bytes_with_crlf_breaks_is_accepted(alice, song, letter):
    description = _description_of(5000, letter)
    sheet = _sheet(song.pk, description.replace("\n", "\r\n"))
    result = edit_sheet_apply(stream=sheet, name="sheet.csv", user=alice)
    assert (result.updated, result.failed_count) == (1, 0), result.failed
    song.refresh_from_db()
    assert song.description == description


def test_edit_sheet_does_not_reach_charlies_video(alice, catalogue):
    secret = catalogue["b1_secret"]
    result = edit_sheet_apply(stream=_sheet(secret.pk, "x\r\ny"), name="sheet.csv", user=alice)
    assert (result.updated, result.failed_count) == (0, 1)
    assert recorded(secret) == ([], 0, 0)


# ---- bulk edit


def test_bulk_replace_with_crlf_that_gives_the_same_text_records_nothing(alice, song):
    edit = BulkEdit(find="Line one\nLine two", replace="Line one\r\nLine two", find_in=("description",))
    result = videos_bulk_edit(videos=[song], edit=edit, user=alice)
    assert (result.updated, result.unchanged) == (0, 1)
    assert recorded(song) == ([], 0, 0)


def test_bulk_find_with_crlf_matches_the_lf_text(alice, song):
    edit = BulkEdit(find="Line one\r\nLine two", replace="Lines one and two", find_in=("description",))
    result = videos_bulk_edit(videos=[song], edit=edit, user=alice)
    assert result.updated == 1
    song.refresh_from_db()
    assert song.description == "Lines one and two\n\nLine four, after a blank line\n"


def test_bulk_edit_api_normalises_find_and_replace(alice_api, song):
    response = alice_api.post(
        "/api/v1/videos/bulk-edit/",
        {
            "video_ids": [song.pk],
            "edit": {"find": "one\nLine", "replace": "one\rLine", "find_in": ["description"]},
            "preview": False,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["updated"], response.json()["unchanged"]) == (0, 1)
    assert recorded(song) == ([], 0, 0)
