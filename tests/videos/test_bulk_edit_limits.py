"""Bulk edit inputs are refused when longer than the field they go into, before any work: the admin
form shows a field error, the API answers 400 naming the field, and no preview is built."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

import videos.admin
import videos.api
from channels_app.authentication import api_token_create
from tests.api.conftest import client_with_token
from videos.models import Video
from videos.services import BulkEdit, videos_bulk_edit, videos_bulk_edit_preview

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:videos_video_changelist")
BULK_API = "/api/v1/videos/bulk-edit/"
A_IDS = ["a1song00001", "a1live00001"]

# Two bytes a character: 2,500 of them are 5,000 bytes, and 100 of them are still 100 characters.
TITLE_OK = "é" * 100
TITLE_TOO_LONG = "é" * 101
DESCRIPTION_OK = "é" * 2500
DESCRIPTION_TOO_LONG = "é" * 2500 + "a"


@pytest.fixture(autouse=True)
def _api_settings(settings):
    settings.API_THROTTLE_USER = "100000/hour"
    settings.API_THROTTLE_TOKEN = "100000/hour"
    settings.API_THROTTLE_BULK = "100000/hour"


@pytest.fixture
def previews_built(monkeypatch):
    """How many previews the admin and the API asked the service for."""
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return videos_bulk_edit_preview(**kwargs)

    monkeypatch.setattr(videos.admin, "videos_bulk_edit_preview", spy)
    monkeypatch.setattr(videos.api, "videos_bulk_edit_preview", spy)
    return calls


def browser_post(client, ids, **fields):
    """The bulk edit page's form as a browser sends it: every field, empty ones as ""."""
    data = {
        ACTION_CHECKBOX_NAME: ids,
        "action": "bulk_edit",
        "select_across": "0",
        "bulk_edit_step": "preview",
        "privacy_status": "",
        "category_id": "",
        "license": "",
        "add_tags": "",
        "remove_tags": "",
        "find": "",
        "replace": "",
        "find_in": ["title", "description"],
        "artists": "",
        "genres": "",
    }
    data.update(fields)
    return client.post(CHANGELIST, data)


def field_errors(response, name) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def api_of(user):
    _, key = api_token_create(user=user, name="tests")
    return client_with_token(key)


def api_errors(response) -> list[tuple]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


# ---- admin form


@pytest.mark.parametrize(
    ("fields", "field", "refused"),
    [
        ({"find": TITLE_OK, "find_in": ["title"]}, "find", False),
        ({"find": TITLE_TOO_LONG, "find_in": ["title"]}, "find", True),
        ({"find": "Song", "replace": TITLE_OK, "find_in": ["title"]}, "replace", False),
        ({"find": "Song", "replace": TITLE_TOO_LONG, "find_in": ["title"]}, "replace", True),
        ({"find": DESCRIPTION_OK, "find_in": ["description"]}, "find", False),
        ({"find": DESCRIPTION_TOO_LONG, "find_in": ["description"]}, "find", True),
        ({"find": "x", "replace": DESCRIPTION_OK}, "replace", False),
        ({"find": "x", "replace": DESCRIPTION_TOO_LONG}, "replace", True),
        ({"add_tags": "t" * 500}, "add_tags", False),
        ({"add_tags": "t" * 501}, "add_tags", True),
        ({"remove_tags": "t" * 250 + ", " + "u" * 250}, "remove_tags", True),  # 501 with the comma
        ({"set_artists": "on", "artists": "a" * 201}, "artists", True),
    ],
)
def test_admin_form_refuses_texts_longer_than_their_field_before_any_preview(
    client, alice, catalogue, previews_built, fields, field, refused
):
    client.force_login(alice)
    response = browser_post(client, A_IDS, **fields)
    assert response.status_code == 200
    errors = field_errors(response, field)
    if refused:
        assert errors and "at most" in errors[0], errors
        assert previews_built == []
        assert 'id="bulk-edit-preview"' not in response.content.decode()
    else:
        assert errors == [] and response.context["form"].is_valid()
        assert len(previews_built) == 1


def test_admin_field_error_says_bytes_for_a_description(client, alice, catalogue, previews_built):
    client.force_login(alice)
    response = browser_post(client, A_IDS, find="x", replace=DESCRIPTION_TOO_LONG, find_in=["description"])
    assert field_errors(response, "replace") == ["replace is 5,001 bytes; a description holds at most 5,000."]
    assert "replace is 5,001 bytes" in response.content.decode()


def test_admin_apply_of_an_over_limit_edit_saves_nothing(client, alice, catalogue, previews_built):
    client.force_login(alice)
    response = browser_post(
        client, A_IDS, bulk_edit_step="apply", find="Song", replace=TITLE_TOO_LONG, find_in=["title"]
    )
    assert response.status_code == 200 and field_errors(response, "replace")
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"


# ---- API


@pytest.mark.parametrize(
    ("edit", "field", "refused"),
    [
        ({"find": TITLE_OK, "find_in": ["title"]}, "edit.find", False),
        ({"find": TITLE_TOO_LONG, "find_in": ["title"]}, "edit.find", True),
        ({"find": "Song", "replace": TITLE_OK, "find_in": ["title"]}, "edit.replace", False),
        ({"find": "Song", "replace": TITLE_TOO_LONG, "find_in": ["title"]}, "edit.replace", True),
        ({"find": DESCRIPTION_OK, "find_in": ["description"]}, "edit.find", False),
        ({"find": DESCRIPTION_TOO_LONG, "find_in": ["description"]}, "edit.find", True),
        ({"find": "x", "replace": DESCRIPTION_OK}, "edit.replace", False),
        ({"find": "x", "replace": DESCRIPTION_TOO_LONG}, "edit.replace", True),
        ({"add_tags": ["t" * 500]}, "edit.add_tags", False),
        ({"add_tags": ["t" * 501]}, "edit.add_tags", True),
        ({"remove_tags": ["t" * 250, "u" * 250]}, "edit.remove_tags", True),
        ({"genres": ["g"] * 21}, "edit.genres", True),
        ({"category_id": "9" * 1000}, "edit.category_id", True),
    ],
)
def test_api_refuses_texts_longer_than_their_field_before_any_preview(
    alice, catalogue, previews_built, edit, field, refused
):
    response = api_of(alice).post(BULK_API, {"video_ids": A_IDS, "edit": edit}, format="json")
    if refused:
        assert response.status_code == 400, response.content
        assert [name for name, _ in api_errors(response)] == [field]
        assert previews_built == []
    else:
        assert response.status_code == 200, response.content
        assert len(previews_built) == 1


def test_api_error_names_the_field_and_the_measure(alice, catalogue):
    edit = {"find": "x", "replace": DESCRIPTION_TOO_LONG, "find_in": ["description"]}
    response = api_of(alice).post(
        BULK_API, {"video_ids": A_IDS, "edit": edit, "preview": False}, format="json"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("edit.replace", "too_long")
    assert error["message"] == "replace is 5,001 bytes; a description holds at most 5,000."


def test_outsider_gets_the_same_refusal_and_learns_nothing_of_the_videos(charlie, catalogue, previews_built):
    client = api_of(charlie)
    over = client.post(BULK_API, {"video_ids": A_IDS, "edit": {"find": TITLE_TOO_LONG, "find_in": ["title"]}})
    assert api_errors(over) == [("edit.find", "too_long")]
    within = client.post(BULK_API, {"video_ids": A_IDS, "edit": {"find": "Song", "find_in": ["title"]}})
    assert api_errors(within) == [("video_ids", "not_found")]
    assert previews_built == []


# ---- a find/replace that would grow a field past any valid length is not built


def test_preview_does_not_build_a_replacement_longer_than_any_valid_value(alice, catalogue):
    Video.objects.filter(pk="a1song00001").update(description="a" * 5000)  # a valid description
    video = Video.objects.get(pk="a1song00001")
    edit = BulkEdit(find="a", replace="b" * 5000, find_in=("description",))
    (row,) = videos_bulk_edit_preview(videos=[video], edit=edit).rows
    old, new = row.changes["description"]
    assert len(new) <= 5001  # 25,000,000 characters if built
    assert [(v.field, v.code) for v in row.violations] == [("description", "too_long")]
    assert row.violations[0].message == "description is 25,000,000 bytes; YouTube allows 5,000."
    result = videos_bulk_edit(videos=[video], edit=edit, user=alice)
    assert (result.updated, result.skipped_invalid) == (0, 1)
    assert Video.objects.get(pk="a1song00001").description == "a" * 5000
