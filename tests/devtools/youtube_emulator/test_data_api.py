"""Data API v3 through the real google-api-python-client."""

import pytest
from googleapiclient.errors import HttpError

from .conftest import (
    CHANNEL_A1,
    CHANNEL_A2,
    CHANNEL_B1,
    KEY,
    http,
    user_credentials,
    youtube,
)


def _error(excinfo) -> tuple[int, str, dict]:
    error = excinfo.value
    return error.status_code, error.error_details[0]["reason"], error.error_details[0]


def _update(server, body, part="snippet", refresh_token="1//alice", owner="owner-a"):
    client = youtube(server, user_credentials(server, refresh_token))
    return client.videos().update(part=part, body=body, onBehalfOfContentOwner=owner).execute()


def _snippet(title="Midnight Song", category="10", **extra):
    return {"title": title, "categoryId": category, **extra}


# ---------------------------------------------------------------------- replace semantics


def test_naive_snippet_update_wipes_tags_and_description(server):
    answer = _update(server, {"id": "vApublic001", "snippet": {"title": "New", "categoryId": "10"}})

    stored = server.state.video("vApublic001")
    assert stored["snippet"]["title"] == "New"
    assert "tags" not in stored["snippet"]
    assert stored["snippet"]["description"] == ""
    assert "defaultLanguage" not in stored["snippet"]
    assert answer["snippet"]["title"] == "New" and "tags" not in answer["snippet"]


def test_read_modify_write_keeps_tags_and_description(server):
    client = youtube(server)
    current = (
        client.videos().list(part="snippet", id="vApublic001", onBehalfOfContentOwner="owner-a").execute()
    )
    snippet = current["items"][0]["snippet"]
    snippet["title"] = "New"

    client.videos().update(
        part="snippet", body={"id": "vApublic001", "snippet": snippet}, onBehalfOfContentOwner="owner-a"
    ).execute()

    stored = server.state.video("vApublic001")["snippet"]
    assert stored["title"] == "New"
    assert stored["tags"] == ["night", "live session"]
    assert stored["description"] == "About the song"
    assert stored["defaultLanguage"] == "en"


def test_update_leaves_parts_not_sent_untouched(server):
    before = server.state.video("vApublic001")

    _update(server, {"id": "vApublic001", "snippet": _snippet(), "status": {"privacyStatus": "private"}})

    after = server.state.video("vApublic001")
    assert after["status"] == before["status"]
    assert after["statistics"] == before["statistics"]


def test_status_update_resets_left_out_fields_to_defaults(server):
    _update(server, {"id": "vApublic001", "status": {"embeddable": False}}, part="status")

    status = server.state.video("vApublic001")["status"]
    assert status["privacyStatus"] == "private"  # "revert to the default privacy setting"
    assert status["license"] == "youtube"  # was creativeCommon
    assert status["embeddable"] is False
    assert status["uploadStatus"] == "processed"  # read-only, kept


def test_update_ignores_fields_that_are_not_settable(server):
    body = {
        "id": "vApublic001",
        "snippet": _snippet(channelId=CHANNEL_B1, publishedAt="2001-01-01T00:00:00Z", tags=["a"]),
        "statistics": {"viewCount": "999999"},
    }

    answer = _update(server, body, part="snippet,statistics")

    stored = server.state.video("vApublic001")
    assert stored["snippet"]["channelId"] == CHANNEL_A1
    assert stored["snippet"]["publishedAt"] != "2001-01-01T00:00:00Z"
    assert stored["statistics"]["viewCount"] == "1200"
    assert set(answer) == {"kind", "etag", "id", "snippet", "statistics"}


def test_each_successful_update_changes_the_etag(server):
    first = server.state.video("vApublic001")["etag"]
    answer = _update(
        server,
        {
            "id": "vApublic001",
            "snippet": _snippet(tags=["night", "live session"], description="About the song"),
        },
    )
    second = server.state.video("vApublic001")["etag"]

    assert answer["etag"] == second != first


# ---------------------------------------------------------------------- 400s, 403s and 404s


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        ({"title": "", "categoryId": "10"}, "invalidTitle"),
        ({"title": "   ", "categoryId": "10"}, "invalidTitle"),
        ({"categoryId": "10"}, "invalidTitle"),
        ({"title": "x" * 101, "categoryId": "10"}, "invalidTitle"),
        ({"title": "a <b> title", "categoryId": "10"}, "invalidTitle"),
        ({"title": "ok", "categoryId": "10", "description": "é" * 2500 + "x"}, "invalidDescription"),
        ({"title": "ok", "categoryId": "10", "description": "1 < 2"}, "invalidDescription"),
        ({"title": "ok", "categoryId": "10", "tags": ["a b"] * 100}, "invalidTags"),  # 100 × 5 + 99 commas
        ({"title": "ok", "categoryId": "10", "tags": ["a b"] * 83 + ["abc"]}, "invalidTags"),  # 501
        ({"title": "ok", "categoryId": "10", "tags": ["x" * 501]}, "invalidTags"),
        ({"title": "ok", "categoryId": "18"}, "invalidCategoryId"),  # Short Movies: not assignable
        ({"title": "ok", "categoryId": "99"}, "invalidCategoryId"),
        ({"title": "ok"}, "invalidCategoryId"),
    ],
)
def test_invalid_snippet_is_rejected_with_googles_reason(server, snippet, reason):
    with pytest.raises(HttpError) as excinfo:
        _update(server, {"id": "vApublic001", "snippet": snippet})

    status, got, detail = _error(excinfo)
    assert (status, got, detail["domain"]) == (400, reason, "youtube.video")
    assert server.state.video("vApublic001")["snippet"]["title"] == "Midnight Song"


@pytest.mark.parametrize(
    "snippet",
    [
        {"title": "x" * 100, "categoryId": "10"},
        {"title": "ok", "categoryId": "10", "description": "é" * 2500},  # exactly 5000 bytes
        {"title": "ok", "categoryId": "10", "tags": ["x" * 500]},
        {"title": "ok", "categoryId": "10", "tags": ["a b"] * 83 + ["ab"]},  # 83 × 5 + 2 + 83 commas = 500
    ],
)
def test_snippet_at_the_limits_is_accepted(server, snippet):
    _update(server, {"id": "vApublic001", "snippet": snippet})

    assert server.state.video("vApublic001")["snippet"]["title"] == snippet["title"]


def test_publish_at_needs_private(server):
    body = {"id": "vAprivate01", "status": {"privacyStatus": "public", "publishAt": "2099-01-01T00:00:00Z"}}

    with pytest.raises(HttpError) as excinfo:
        _update(server, body, part="status")

    assert _error(excinfo)[:2] == (400, "invalidPublishAt")


def test_publish_at_on_a_private_never_published_video_is_accepted(server):
    body = {"id": "vAprivate01", "status": {"privacyStatus": "private", "publishAt": "2099-01-01T00:00:00Z"}}

    _update(server, body, part="status")

    assert server.state.video("vAprivate01")["status"]["publishAt"] == "2099-01-01T00:00:00Z"


def test_localizations_without_default_language_are_refused(server):
    body = {"id": "vAprivate01", "localizations": {"fr": {"title": "Démo", "description": ""}}}

    with pytest.raises(HttpError) as excinfo:
        _update(server, body, part="localizations")

    assert _error(excinfo)[:2] == (400, "defaultLanguageNotSet")


def test_snippet_that_is_not_an_object_is_invalid_metadata(server):
    with pytest.raises(HttpError) as excinfo:
        _update(server, {"id": "vApublic001", "snippet": "New title"})

    assert _error(excinfo)[:2] == (400, "invalidVideoMetadata")


def test_body_that_is_not_json_is_a_parse_error(server):
    token = server.state.issue_access_token(account="alice@example.com")["access_token"]

    status, _, body = http(
        "PUT",
        f"{server.url}/youtube/v3/videos?part=snippet&onBehalfOfContentOwner=owner-a",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        data=b'{"id": ',
    )

    assert status == 400 and body["error"]["errors"][0]["reason"] == "parseError"


def test_update_of_unknown_video_is_video_not_found(server):
    with pytest.raises(HttpError) as excinfo:
        _update(server, {"id": "nosuchvideo", "snippet": _snippet()})

    assert _error(excinfo)[:2] == (404, "videoNotFound")


def test_update_of_another_owners_video_is_forbidden(server):
    with pytest.raises(HttpError) as excinfo:
        _update(server, {"id": "vBpublic001", "snippet": _snippet()})

    assert _error(excinfo)[:2] == (403, "forbidden")
    assert server.state.video("vBpublic001")["snippet"]["title"] == "B Song"


def test_cms_user_without_on_behalf_of_content_owner_cannot_update(server):
    client = youtube(server)

    with pytest.raises(HttpError) as excinfo:
        client.videos().update(part="snippet", body={"id": "vApublic001", "snippet": _snippet()}).execute()

    assert _error(excinfo)[:2] == (403, "forbidden")


def test_on_behalf_of_an_owner_the_user_is_not_linked_to_is_forbidden(server):
    with pytest.raises(HttpError) as excinfo:
        _update(server, {"id": "vBpublic001", "snippet": _snippet()}, owner="owner-b")

    assert _error(excinfo)[:2] == (403, "forbidden")


def test_channel_token_updates_its_own_video_without_on_behalf(server):
    client = youtube(server, user_credentials(server, "1//creator"))

    client.videos().update(
        part="snippet", body={"id": "vCreator001", "snippet": _snippet("Vlog 2", "22")}
    ).execute()

    assert server.state.video("vCreator001")["snippet"]["title"] == "Vlog 2"


def test_api_key_cannot_update(server):
    client = youtube(server, key=KEY)

    with pytest.raises(HttpError) as excinfo:
        client.videos().update(part="snippet", body={"id": "vApublic001", "snippet": _snippet()}).execute()

    assert _error(excinfo)[:2] == (401, "required")


def test_unknown_part_is_refused(server):
    client = youtube(server)

    with pytest.raises(HttpError) as excinfo:
        client.videos().list(part="snippet,monetizationDetails", id="vApublic001").execute()

    status, reason, detail = _error(excinfo)
    assert (status, reason, detail["domain"]) == (400, "unknownPart", "youtube.part")


# ---------------------------------------------------------------------- videos.list


def test_list_returns_only_the_requested_parts(server):
    client = youtube(server)

    answer = client.videos().list(part=["snippet", "status"], id="vApublic001").execute()

    assert answer["kind"] == "youtube#videoListResponse"
    assert answer["pageInfo"] == {"totalResults": 1, "resultsPerPage": 1}
    item = answer["items"][0]
    assert set(item) == {"kind", "etag", "id", "snippet", "status"}
    assert item["snippet"]["localized"] == {"title": "Midnight Song", "description": "About the song"}


def test_list_accepts_repeated_and_comma_separated_ids(server):
    client = youtube(server, key=KEY)

    repeated = client.videos().list(part="id", id=["vApublic001", "vBpublic001"]).execute()
    status, _, comma = http(
        "GET", f"{server.url}/youtube/v3/videos?part=id&id=vApublic001,vBpublic001&key={KEY}"
    )

    assert [i["id"] for i in repeated["items"]] == ["vApublic001", "vBpublic001"]
    assert status == 200 and [i["id"] for i in comma["items"]] == ["vApublic001", "vBpublic001"]


def test_missing_videos_are_simply_absent(server):
    answer = youtube(server, key=KEY).videos().list(part="id", id="vApublic001,nosuchvideo").execute()

    assert [item["id"] for item in answer["items"]] == ["vApublic001"]


def test_more_than_fifty_ids_is_a_bad_request(server):
    client = youtube(server, key=KEY)

    client.videos().list(part="id", id=[f"v{n:010d}" for n in range(50)]).execute()
    with pytest.raises(HttpError) as excinfo:
        client.videos().list(part="id", id=[f"v{n:010d}" for n in range(51)]).execute()

    assert _error(excinfo)[0] == 400


def test_api_key_sees_public_data_only(server):
    answer = youtube(server, key=KEY).videos().list(part="snippet", id="vApublic001,vAprivate01").execute()

    assert [item["id"] for item in answer["items"]] == ["vApublic001"]


def test_owner_sees_private_video_on_behalf_of_content_owner(server):
    client = youtube(server)

    without = client.videos().list(part="status", id="vAprivate01").execute()
    with_owner = (
        client.videos().list(part="status", id="vAprivate01", onBehalfOfContentOwner="owner-a").execute()
    )

    assert without["items"] == []
    assert with_owner["items"][0]["status"]["privacyStatus"] == "private"


def test_another_owner_does_not_see_a_private_video(server):
    client = youtube(server, user_credentials(server, "1//charlie"))

    answer = client.videos().list(part="status", id="vAprivate01", onBehalfOfContentOwner="owner-b").execute()

    assert answer["items"] == []


def test_owner_only_parts_are_forbidden_to_others(server):
    client = youtube(server, key=KEY)

    with pytest.raises(HttpError) as excinfo:
        client.videos().list(part="fileDetails", id="vApublic001").execute()

    assert _error(excinfo)[:2] == (403, "forbidden")


def test_no_credentials_at_all_is_refused(server):
    status, _, body = http("GET", f"{server.url}/youtube/v3/videos?part=id&id=vApublic001")

    assert status == 403 and body["error"]["errors"][0]["reason"] == "forbidden"


def test_list_without_part_is_a_bad_request(server):
    status, _, body = http("GET", f"{server.url}/youtube/v3/videos?id=vApublic001&key={KEY}")

    assert status == 400 and body["error"]["errors"][0]["reason"] == "required"


# ---------------------------------------------------------------------- channels and categories


def test_channels_managed_by_me_are_paginated(server):
    client = youtube(server)

    first = (
        client.channels()
        .list(
            part="snippet,contentOwnerDetails",
            managedByMe=True,
            onBehalfOfContentOwner="owner-a",
            maxResults=1,
        )
        .execute()
    )
    second = (
        client.channels()
        .list(
            part="snippet",
            managedByMe=True,
            onBehalfOfContentOwner="owner-a",
            maxResults=1,
            pageToken=first["nextPageToken"],
        )
        .execute()
    )

    assert first["pageInfo"] == {"totalResults": 2, "resultsPerPage": 1}
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [CHANNEL_A1, CHANNEL_A2]
    assert first["items"][0]["contentOwnerDetails"]["contentOwner"] == "owner-a"
    assert "nextPageToken" not in second and second["prevPageToken"]


def test_channel_owner_details_are_hidden_from_others(server):
    answer = (
        youtube(server, key=KEY)
        .channels()
        .list(part="contentOwnerDetails,statistics", id=CHANNEL_A1)
        .execute()
    )

    assert answer["items"][0]["contentOwnerDetails"] == {}
    assert answer["items"][0]["statistics"]["videoCount"] == "2"


def test_channels_mine_needs_oauth(server):
    mine = (
        youtube(server, user_credentials(server, "1//creator"))
        .channels()
        .list(part="id", mine=True)
        .execute()
    )

    with pytest.raises(HttpError) as excinfo:
        youtube(server, key=KEY).channels().list(part="id", mine=True).execute()

    assert [c["id"] for c in mine["items"]] == ["UCcreatorxxxxxxxxxxxxxxx"]
    assert _error(excinfo)[:2] == (401, "required")


def test_video_categories_for_us(server):
    answer = youtube(server, key=KEY).videoCategories().list(part="snippet", regionCode="US").execute()

    by_id = {item["id"]: item["snippet"] for item in answer["items"]}
    assert len(by_id) == 32
    assert by_id["10"] == {"title": "Music", "assignable": True, "channelId": "UCBR8-60-B28hp2BmDPdntcQ"}
    assert by_id["18"]["assignable"] is False


@pytest.mark.parametrize("params", [{}, {"id": "10", "regionCode": "US"}])
def test_video_categories_need_exactly_one_filter(server, params):
    with pytest.raises(HttpError) as excinfo:
        youtube(server, key=KEY).videoCategories().list(part="snippet", **params).execute()

    assert _error(excinfo)[0] == 400
