"""PATCH and bulk edit through the API: YouTube's limits at their exact boundaries, unknown fields,
JSON errors with field paths and stable codes, and what an edit records."""

import pytest
from django.contrib.admin.models import LogEntry

from tests.api.conftest import error_codes
from videos.models import Video, VideoCategory
from videos.serializers import VideoUpdateSerializer
from videos.services import EDITABLE_FIELDS

pytestmark = pytest.mark.django_db

URL = "/api/v1/videos/a1song00001/"


def patch(client, body):
    return client.patch(URL, body, format="json")


def test_the_patch_serializer_offers_exactly_the_editable_fields():
    assert set(VideoUpdateSerializer().fields) == set(EDITABLE_FIELDS)


def test_title_of_100_characters_is_accepted(catalogue, alice_api):
    response = patch(alice_api, {"title": "é" * 100})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "é" * 100


def test_title_of_101_characters_is_refused_with_the_validation_modules_message(catalogue, alice_api):
    response = patch(alice_api, {"title": "é" * 101})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"field": "title", "code": "too_long", "message": "title is 101 characters; YouTube allows 100."}
        ]
    }
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"


def test_description_of_5000_bytes_of_multibyte_text_is_accepted(catalogue, alice_api):
    description = "€" * 1666 + "ab"  # 3 bytes each: 4,998 + 2 = 5,000 bytes, 1,668 characters
    assert len(description.encode()) == 5000
    assert patch(alice_api, {"description": description}).status_code == 200


def test_description_of_5001_bytes_is_refused(catalogue, alice_api):
    description = "€" * 1666 + "abc"
    response = patch(alice_api, {"description": description})
    assert response.status_code == 400
    assert error_codes(response) == [("description", "too_long")]
    assert "5,001 bytes" in response.json()["errors"][0]["message"]


def test_tags_of_500_characters_as_youtube_counts_them_are_accepted(catalogue, alice_api):
    tags = ["x" * 99] * 5  # 5 × 99 + 4 commas = 499
    tags[0] += "y"  # 500
    assert patch(alice_api, {"tags": tags}).status_code == 200


def test_tags_of_501_characters_are_refused(catalogue, alice_api):
    tags = ["x" * 99] * 5
    tags[0] += "yz"  # 501
    response = patch(alice_api, {"tags": tags})
    assert response.status_code == 400
    assert error_codes(response) == [("tags", "too_long")]


def test_a_localized_title_error_names_its_path(catalogue, alice_api):
    response = patch(
        alice_api,
        {"default_language": "en", "localizations": {"fr": {"title": "t" * 101}, "de": {"title": "ok"}}},
    )
    assert response.status_code == 400
    assert error_codes(response) == [("localizations.fr.title", "too_long")]
    assert response.json()["errors"][0]["message"] == "fr title is 101 characters; YouTube allows 100."


def test_localizations_need_a_default_language(catalogue, alice_api):
    patch(alice_api, {"default_language": ""})
    response = patch(alice_api, {"localizations": {"fr": {"title": "Chanson"}}})
    assert error_codes(response) == [("localizations", "default_language_not_set")]


def test_a_bad_language_code_is_refused_with_its_path(catalogue, alice_api):
    response = patch(alice_api, {"localizations": {"f r": {"title": "x"}}})
    assert error_codes(response) == [("localizations.f r", "invalid_language")]


@pytest.mark.parametrize(
    "field", ["remote_snapshot", "view_count", "channel", "pending_fields", "id", "has_drift", "is_admin"]
)
def test_unknown_and_read_only_fields_are_refused(catalogue, alice_api, field):
    response = patch(alice_api, {"title": "Fine title", field: "x"})
    assert response.status_code == 400
    assert error_codes(response) == [(field, "unknown_field")]
    assert Video.objects.get(pk="a1song00001").title == "Midnight Song"  # nothing applied


def test_every_error_is_listed_at_once(catalogue, alice_api):
    response = patch(alice_api, {"title": 5, "embeddable": "yes", "privacy_status": "secret"})
    assert response.status_code == 400
    assert sorted(error_codes(response)) == [
        ("embeddable", "invalid_type"),
        ("privacy_status", "invalid_choice"),
        ("title", "invalid_type"),
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"title": ""}, [("title", "required")]),
        ({"title": "a <b> title"}, [("title", "forbidden_characters")]),
        ({"title": "nul\x00byte"}, [("title", "null_characters_not_allowed")]),
        ({"tags": "rock, pop"}, [("tags", "invalid_type")]),
        ({"tags": ["ok", 3]}, [("tags.1", "invalid_type")]),
        ({"artists": ["a"] * 51}, [("artists", "too_many")]),
        ({"genres": "Pop"}, [("genres", "invalid_type")]),
        ({"license": "cc"}, [("license", "invalid_choice")]),
        ({"isrc": "NOTANISRC"}, [("isrc", "invalid_isrc")]),
        ({"publish_at": "tomorrow"}, [("publish_at", "invalid")]),
        ({"publish_at": "2030-01-01T00:00:00Z"}, [("publish_at", "requires_private")]),
        ({"category_id": "999"}, [("category_id", "not_assignable")]),
        ({"custom_id": "c" * 256}, [("custom_id", "too_long")]),
        ({"default_language": "x" * 36}, [("default_language", "too_long")]),
        ({"self_declared_made_for_kids": 1}, [("self_declared_made_for_kids", "invalid_type")]),
    ],
)
def test_invalid_values_get_field_paths_and_stable_codes(catalogue, alice_api, body, expected):
    VideoCategory.objects.get_or_create(region_code="US", category_id="10", defaults={"title": "Music"})
    response = patch(alice_api, body)
    assert response.status_code == 400, response.content
    assert error_codes(response) == expected


@pytest.mark.parametrize("body", [b'["title"]', b'"title"', b"7", b"null"])
def test_a_body_that_is_not_an_object_is_refused(catalogue, alice_api, body):
    response = alice_api.generic("PATCH", URL, body, content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "invalid_type")]


def test_malformed_json_is_a_parse_error(catalogue, alice_api):
    response = alice_api.generic("PATCH", URL, b'{"title": ', content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]


def test_a_body_that_is_not_json_is_415(catalogue, alice_api):
    response = alice_api.generic("PATCH", URL, b"title=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_codes(response) == [(None, "unsupported_media_type")]


def test_patch_records_pending_changes_and_an_audit_entry_without_pushing(catalogue, alice, alice_api):
    response = patch(alice_api, {"title": "Midnight Song (Remastered)", "artists": ["Nina"]})
    assert response.status_code == 200
    body = response.json()
    assert body["pending_fields"] == ["title"]  # artists are ours: never sent to YouTube
    assert body["has_pending_changes"] is True
    assert body["remote"]["snapshot"]["title"] == "Midnight Song"  # YouTube still has the old one
    entry = LogEntry.objects.get(object_id="a1song00001", user=alice)
    assert "Midnight Song (Remastered)" in entry.change_message


def test_an_empty_patch_changes_nothing(catalogue, alice_api):
    response = patch(alice_api, {})
    assert response.status_code == 200
    assert response.json()["pending_fields"] == []
    assert not LogEntry.objects.filter(object_id="a1song00001").exists()


def test_a_patch_goes_through_the_one_swappable_edit_service(catalogue, alice_api, monkeypatch):
    import videos.api

    calls = []
    monkeypatch.setattr(videos.api, "record_video_edit", lambda **kwargs: calls.append(kwargs))
    assert patch(alice_api, {"title": "Through the service"}).status_code == 200
    assert calls and calls[0]["changes"] == {"title": "Through the service"}
    assert calls[0]["video"].pk == "a1song00001"


def test_an_integrity_error_is_a_409_in_the_error_format(catalogue, alice_api, monkeypatch):
    from django.db import IntegrityError

    import videos.api

    def conflict(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(videos.api, "record_video_edit", conflict)
    response = patch(alice_api, {"title": "x"})
    assert response.status_code == 409
    assert error_codes(response) == [(None, "conflict")]
    assert "duplicate key" not in response.content.decode()


# ----------------------------------------------------------------------------- bulk edit

BULK = "/api/v1/videos/bulk-edit/"
A_IDS = ["a1song00001", "a1live00001", "a2clip00001"]


def test_bulk_preview_saves_nothing(catalogue, alice_api):
    response = alice_api.post(BULK, {"video_ids": A_IDS, "edit": {"add_tags": ["archive"]}, "preview": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changing"] == 3 and body["updated"] is None
    assert {row["video_id"] for row in body["rows"]} == set(A_IDS)
    assert body["rows"][0]["changes"]["tags"]["new"][-1] == "archive"
    assert not any("archive" in video.tags for video in Video.objects.all())


def test_bulk_apply_saves_pending_changes_and_skips_videos_that_would_break_a_limit(catalogue, alice_api):
    Video.objects.filter(pk="a1live00001").update(title="t" * 95 + " live")  # 100 characters
    response = alice_api.post(
        BULK,
        {
            "video_ids": A_IDS,
            "edit": {"find": "live", "replace": "LIVE!", "find_in": ["title"]},
            "preview": False,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["updated"], body["invalid"], body["unchanged"]) == (0, 1, 2)  # "Live at Dawn" has no "live"
    preview = alice_api.post(
        BULK, {"video_ids": A_IDS, "edit": {"add_tags": ["archive"]}, "preview": False}
    ).json()
    assert preview["updated"] == 3
    video = Video.objects.get(pk="a1song00001")
    assert "archive" in video.tags and "tags" in video.pending_fields


def test_bulk_preview_lists_the_videos_that_would_break_a_limit_first(catalogue, alice_api):
    Video.objects.filter(pk="a2clip00001").update(title="t" * 98 + "ab")
    body = alice_api.post(
        BULK, {"video_ids": A_IDS, "edit": {"find": "t", "replace": "tt", "find_in": ["title"]}}
    ).json()
    assert body["rows"][0]["video_id"] == "a2clip00001"
    assert body["rows"][0]["errors"][0]["code"] == "too_long"
    assert body["invalid"] == 1


def test_bulk_edit_takes_at_most_the_configured_number_of_videos(catalogue, alice_api, settings):
    settings.BULK_EDIT_MAX_VIDEOS = 3
    assert alice_api.post(BULK, {"video_ids": A_IDS, "edit": {"license": "youtube"}}).status_code == 200
    response = alice_api.post(BULK, {"video_ids": A_IDS + ["b1secret001"], "edit": {"license": "youtube"}})
    assert response.status_code == 400
    assert error_codes(response) == [("video_ids", "too_many")]
    assert response.json()["errors"][0]["message"].startswith("4 video ids; one bulk edit takes at most 3.")


def test_bulk_edit_takes_10000_videos_by_default(catalogue, alice_api):
    # 10,000 well-formed ids pass the size check; these happen not to exist.
    video_ids = [f"v{n:010d}" for n in range(10_000)]
    response = alice_api.post(BULK, {"video_ids": video_ids, "edit": {"license": "youtube"}})
    assert error_codes(response) == [("video_ids", "not_found")]
    assert response.json()["errors"][0]["message"].startswith("10,000 of the videos are not found")


def test_bulk_edit_refuses_10001_videos_by_default(catalogue, alice_api):
    video_ids = [f"v{n:010d}" for n in range(10_001)]
    response = alice_api.post(BULK, {"video_ids": video_ids, "edit": {"license": "youtube"}})
    assert response.status_code == 400
    assert error_codes(response) == [("video_ids", "too_many")]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"video_ids": ["short"], "edit": {"license": "youtube"}}, [("video_ids.0", "invalid_video_id")]),
        ({"video_ids": [], "edit": {"license": "youtube"}}, [("video_ids", "empty")]),
        ({"video_ids": A_IDS, "edit": {}}, [("edit", "empty_edit")]),
        ({"video_ids": A_IDS, "edit": {"replace": "x"}}, [("edit.replace", "requires_find")]),
        (
            {"video_ids": A_IDS, "edit": {"find": "x", "find_in": ["tags"]}},
            [("edit.find_in.0", "invalid_choice")],
        ),
        ({"video_ids": A_IDS, "edit": {"view_count": 1}}, [("edit.view_count", "unknown_field")]),
        ({"video_ids": A_IDS, "edit": {"license": "youtube"}, "apply": True}, [("apply", "unknown_field")]),
        (
            {"video_ids": A_IDS, "edit": {"license": "youtube"}, "preview": "no"},
            [("preview", "invalid_type")],
        ),
        ({"edit": {"license": "youtube"}}, [("video_ids", "required")]),
    ],
)
def test_bulk_edit_request_errors(catalogue, alice_api, body, expected):
    response = alice_api.post(BULK, body)
    assert response.status_code == 400, response.content
    assert error_codes(response) == expected


def test_options_describe_the_endpoints(catalogue, alice_api):
    assert alice_api.options("/api/v1/videos/").status_code == 200
    assert alice_api.options(URL).status_code == 200
