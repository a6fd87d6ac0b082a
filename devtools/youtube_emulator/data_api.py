"""YouTube Data API v3: videos.list, videos.update, channels.list, videoCategories.list.

Sources: docs/youtube.md#how-youtubes-apis-behave (writes, limits, errors, categories); the videos/update
error table [doc, copy of developers.google.com/youtube/v3/docs/videos/update]; the bundled discovery
document youtube.v3.json.
"""

from __future__ import annotations

import copy
from datetime import date

from .categories import CATEGORY_CHANNEL_ID
from .clock import parse_rfc3339
from .errors import ApiError, forbidden, google_error, login_required
from .resources import CHANNEL_PARTS, OWNER_ONLY_VIDEO_PARTS, VIDEO_PARTS, etag
from .state import SCOPE_PREFIX, EmulatorState
from .wire import Caller, Request, Response, Route, page_of

TITLE_MAX_CHARS = 100  # videos#snippet.title
DESCRIPTION_MAX_BYTES = 5000  # videos#snippet.description, UTF-8 bytes
TAGS_MAX_CHARS = 500  # videos#snippet.tags[], commas count, a tag with a space counts its quotes
MAX_IDS = 50  # videos.list id: observed limit (docs/youtube.md#reading-videos)
PRIVACY_STATUSES = ("public", "unlisted", "private")
LICENSES = ("youtube", "creativeCommon")

READ_SCOPES = tuple(
    SCOPE_PREFIX + s for s in ("youtube", "youtube.force-ssl", "youtube.readonly", "youtubepartner")
)
CHANNEL_READ_SCOPES = (*READ_SCOPES, SCOPE_PREFIX + "youtubepartner-channel-audit")
WRITE_SCOPES = tuple(SCOPE_PREFIX + s for s in ("youtube", "youtube.force-ssl", "youtubepartner"))

OWNER_ONLY_MESSAGE = (
    "The request is not properly authorized to access video file or processing information. Note that the "
    "<code>fileDetails</code>, <code>processingDetails</code>, and <code>suggestions</code> parts are only "
    "available to that video's owner."
)


# ---------------------------------------------------------------------- shared helpers


def parse_parts(request: Request, allowed: tuple[str, ...]) -> list[str]:
    parts = request.list_param("part")
    if not parts:
        raise google_error(
            400, "required", "Required parameter: part", location="part", location_type="parameter"
        )
    for part in parts:
        if part not in allowed:
            raise google_error(
                400, "unknownPart", part, "youtube.part", location="part", location_type="parameter"
            )
    return list(dict.fromkeys(parts))


def acting_owner(request: Request, caller: Caller) -> str | None:
    """The content owner named by onBehalfOfContentOwner, after checking the caller is linked to it."""
    owner = request.param("onBehalfOfContentOwner")
    if not owner:
        return None
    if caller.via != "oauth":
        raise login_required()
    if owner not in caller.content_owners:
        raise forbidden()
    return owner


def channel_owner(state: EmulatorState, channel_id: str) -> str | None:
    return (state.channels.get(channel_id) or {}).get("contentOwnerDetails", {}).get("contentOwner")


def manages_channel(state: EmulatorState, caller: Caller, owner: str | None, channel_id: str) -> bool:
    """Does the caller act for this channel: its own token, or a CMS user acting for the channel's owner."""
    if caller.via != "oauth":
        return False
    if channel_id in caller.channels:
        return True
    return owner is not None and channel_owner(state, channel_id) == owner


def _incompatible(names: list[str]) -> ApiError:
    return google_error(
        400,
        "incompatibleParameters",
        f"Incompatible parameters specified in the request: {', '.join(names)}",
        "youtube.parameter",
        location="parameters.",
        location_type="other",
    )


def _no_filter(expected: str) -> ApiError:
    return google_error(
        400,
        "missingRequiredParameter",
        f"No filter selected. Expected one of: {expected}",
        "youtube.parameter",
        location="parameters.",
        location_type="other",
    )


def _list_response(
    request: Request, kind: str, items: list[dict], page_info: dict | None, **tokens
) -> Response:
    body = {"kind": kind, "etag": etag([kind, items])}
    for name, value in tokens.items():
        if value:
            body[name] = value
    if page_info is not None:
        body["pageInfo"] = page_info
    body["items"] = items
    if request.header("if-none-match") == body["etag"]:
        # 304 still costs quota (docs/youtube.md#etags).
        return Response(304, b"", {"ETag": body["etag"]})
    return Response.json(body, headers={"ETag": body["etag"]})


# ---------------------------------------------------------------------- videos


def _visible(state: EmulatorState, video: dict, manager: bool) -> bool:
    privacy = video["status"].get("privacyStatus")
    if privacy == "public" or manager:
        return True
    return privacy == "unlisted" and bool(state.settings["unlistedVisibleToAll"])


def render_video(video: dict, parts: list[str], hl: str | None = None) -> dict:
    out = {"kind": "youtube#video", "etag": video["etag"], "id": video["id"]}
    for part in parts:
        if part != "id" and part in video:
            out[part] = copy.deepcopy(video[part])
    if "snippet" in out:
        localized = (video.get("localizations") or {}).get(hl or "") or {}
        out["snippet"]["localized"] = {
            "title": localized.get("title", video["snippet"]["title"]),
            "description": localized.get("description", video["snippet"].get("description", "")),
        }
    return out


def videos_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    parts = parse_parts(request, VIDEO_PARTS)
    owner = acting_owner(request, caller)
    ids = request.list_param("id")
    chart = request.param("chart")
    my_rating = request.param("myRating")
    chosen = [
        name for name, value in (("id", ids), ("chart", chart), ("myRating", my_rating)) if value is not None
    ]
    if not chosen:
        raise _no_filter("chart, id, myRating")
    if len(chosen) > 1:
        raise _incompatible(chosen)
    hl = request.param("hl")
    if ids is not None:
        if len(ids) > MAX_IDS:
            # Undocumented limit (docs/youtube.md#reading-videos); answered as an invalid filter.
            raise google_error(
                400,
                "invalidFilters",
                "The request specifies an invalid filter parameter.",
                "youtube.parameter",
                location="id",
                location_type="parameter",
            )
        found = []
        for video_id in dict.fromkeys(ids):
            video = state.videos.get(video_id)
            if video is None:
                continue
            manager = manages_channel(state, caller, owner, video["snippet"]["channelId"])
            if not _visible(state, video, manager):
                continue  # private videos of others are simply absent
            if not manager and any(part in OWNER_ONLY_VIDEO_PARTS for part in parts):
                raise google_error(403, "forbidden", OWNER_ONLY_MESSAGE, "youtube.video", location="part")
            found.append(video)
        items = [render_video(v, parts, hl) for v in found]
        return _list_response(
            request,
            "youtube#videoListResponse",
            items,
            {"totalResults": len(items), "resultsPerPage": len(items)},
        )
    if my_rating is not None:
        if caller.via != "oauth":
            raise login_required()
        return _list_response(
            request, "youtube#videoListResponse", [], {"totalResults": 0, "resultsPerPage": 5}
        )
    if chart != "mostPopular":
        raise google_error(
            400,
            "invalidChart",
            "The request specifies an unsupported chart.",
            "youtube.video",
            location="chart",
        )
    size = request.int_param("maxResults", minimum=1, maximum=50, default=5)
    category = request.param("videoCategoryId")
    popular = [
        v
        for v in state.videos.values()
        if v["status"].get("privacyStatus") == "public"
        and (category is None or v["snippet"].get("categoryId") == category)
    ]
    popular.sort(key=lambda v: -int(v.get("statistics", {}).get("viewCount", "0")))
    page, next_token, prev_token = page_of(popular, request, size=size)
    items = [render_video(v, parts, hl) for v in page]
    return _list_response(
        request,
        "youtube#videoListResponse",
        items,
        {"totalResults": len(popular), "resultsPerPage": size},
        nextPageToken=next_token,
        prevPageToken=prev_token,
    )


def _metadata_error(reason: str, message: str) -> ApiError:
    return google_error(400, reason, message, "youtube.video")


def invalid_title() -> ApiError:
    return _metadata_error("invalidTitle", "The request metadata specifies an invalid or empty video title.")


def invalid_metadata() -> ApiError:
    return _metadata_error("invalidVideoMetadata", "The request metadata is invalid.")


def tags_length(tags: list[str]) -> int:
    """Length YouTube counts against the 500-character limit (docs/youtube.md#metadata-limits)."""
    return sum(len(tag) + (2 if " " in tag else 0) for tag in tags) + max(len(tags) - 1, 0)


def assignable_categories(state: EmulatorState) -> set[str]:
    region = str(state.settings["regionCode"]).upper()
    rows = state.categories.get(region) or state.categories["US"]
    return {row["id"] for row in rows if row["assignable"]}


def _apply_snippet(state: EmulatorState, video: dict, sent) -> None:
    if sent is None:
        sent = {}
    if not isinstance(sent, dict):
        raise invalid_metadata()
    title = sent.get("title")
    if (
        not isinstance(title, str)
        or not title.strip()
        or len(title) > TITLE_MAX_CHARS
        or "<" in title
        or ">" in title
    ):
        raise invalid_title()
    description = sent.get("description")
    if description is None:
        description = ""
    if (
        not isinstance(description, str)
        or len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES
        or "<" in description
        or ">" in description
    ):
        raise _metadata_error(
            "invalidDescription", "The request metadata specifies an invalid video description."
        )
    tags = sent.get("tags")
    if tags is None:
        tags = []
    if (
        not isinstance(tags, list)
        or not all(isinstance(t, str) for t in tags)
        or tags_length(tags) > TAGS_MAX_CHARS
    ):
        raise _metadata_error("invalidTags", "The request metadata specifies invalid video keywords.")
    category = sent.get("categoryId")
    if isinstance(category, int) and not isinstance(category, bool):
        category = str(category)
    if not isinstance(category, str) or category not in assignable_categories(state):
        raise _metadata_error(
            "invalidCategoryId",
            "The snippet.categoryId property specifies an invalid category ID. Use the videoCategories.list "
            "method to retrieve supported categories.",
        )
    language = sent.get("defaultLanguage")
    if language is not None and not isinstance(language, str):
        raise invalid_metadata()
    snippet = video["snippet"]
    snippet["title"] = title
    snippet["description"] = description
    snippet["categoryId"] = category
    # Settable fields left out of the body are deleted, as the docs say.
    if tags:
        snippet["tags"] = list(tags)
    else:
        snippet.pop("tags", None)
    if language:
        snippet["defaultLanguage"] = language
    else:
        snippet.pop("defaultLanguage", None)


def _optional_bool(value, default):
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_metadata()
    return value


def _apply_status(state: EmulatorState, video: dict, sent, ever_public: bool) -> None:
    if sent is None:
        sent = {}
    if not isinstance(sent, dict):
        raise invalid_metadata()
    privacy = sent.get("privacyStatus")
    if privacy is None:
        privacy = state.settings["defaultPrivacyStatus"]
    if privacy not in PRIVACY_STATUSES:
        raise google_error(
            403,
            "forbiddenPrivacySetting",
            "The request attempts to set an invalid privacy setting for the video.",
            "youtube.video",
        )
    license_ = sent.get("license")
    if license_ is None:
        license_ = "youtube"
    if license_ not in LICENSES:
        raise google_error(
            403,
            "forbiddenLicenseSetting",
            "The request attempts to set an invalid license for the video.",
            "youtube.video",
        )
    embeddable = _optional_bool(sent.get("embeddable"), True)
    stats_viewable = _optional_bool(sent.get("publicStatsViewable"), True)
    made_for_kids = _optional_bool(sent.get("selfDeclaredMadeForKids"), None)
    synthetic = _optional_bool(sent.get("containsSyntheticMedia"), None)
    publish_at = sent.get("publishAt")
    if publish_at is not None:
        invalid_publish_at = _metadata_error(
            "invalidPublishAt", "The request metadata specifies an invalid scheduled publishing time."
        )
        # publishAt "can only be set if privacy status is private and video has never been published".
        if privacy != "private" or ever_public:
            raise invalid_publish_at
        try:
            when = parse_rfc3339(publish_at)
        except ValueError:
            raise invalid_publish_at from None
        if when <= state.clock.now():
            raise invalid_publish_at
    status = video["status"]
    status["privacyStatus"] = privacy
    status["license"] = license_
    status["embeddable"] = embeddable
    status["publicStatsViewable"] = stats_viewable
    for name, value in (
        ("selfDeclaredMadeForKids", made_for_kids),
        ("containsSyntheticMedia", synthetic),
        ("publishAt", publish_at),
    ):
        if value is None:
            status.pop(name, None)
        else:
            status[name] = value
    if made_for_kids is not None:
        status["madeForKids"] = made_for_kids


def _apply_recording_details(video: dict, sent) -> None:
    if sent is None:
        sent = {}
    if not isinstance(sent, dict):
        raise invalid_metadata()
    recording_date = sent.get("recordingDate")
    details = video.setdefault("recordingDetails", {})
    if recording_date is None:
        details.pop("recordingDate", None)
        return
    try:
        if isinstance(recording_date, str) and "T" in recording_date:
            parse_rfc3339(recording_date)
        else:
            date.fromisoformat(recording_date)
    except (TypeError, ValueError):
        raise _metadata_error(
            "invalidRecordingDate", "The request metadata specifies an invalid recording date."
        ) from None
    details["recordingDate"] = recording_date


def _apply_localizations(video: dict, sent) -> None:
    if sent is None:
        sent = {}
    if not isinstance(sent, dict):
        raise invalid_metadata()
    for language, localization in sent.items():
        if not isinstance(localization, dict):
            raise invalid_metadata()
        title = localization.get("title")
        description = localization.get("description", "")
        if title is not None and (
            not isinstance(title, str) or len(title) > TITLE_MAX_CHARS or "<" in title or ">" in title
        ):
            raise invalid_title()
        if not isinstance(description, str) or len(description.encode()) > DESCRIPTION_MAX_BYTES:
            raise _metadata_error(
                "invalidDescription", "The request metadata specifies an invalid video description."
            )
        if not isinstance(language, str) or not language:
            raise invalid_metadata()
    if sent:
        video["localizations"] = copy.deepcopy(sent)
    else:
        video.pop("localizations", None)


def videos_update(state: EmulatorState, request: Request, caller: Caller) -> Response:
    parts = parse_parts(request, VIDEO_PARTS)
    owner = acting_owner(request, caller)
    body = request.json()
    if not isinstance(body, dict):
        raise invalid_metadata()
    video_id = body.get("id")
    if not video_id or not isinstance(video_id, str):
        raise google_error(400, "required", "Required", location="body.id", location_type="other")
    stored = state.videos.get(video_id)
    if stored is None:
        raise google_error(
            404,
            "videoNotFound",
            "The video that you are trying to update cannot be found. Check the value of the request body's id "
            "property to ensure that it is correct.",
            "youtube.video",
            location="body.id",
            location_type="other",
        )
    if not manages_channel(state, caller, owner, stored["snippet"]["channelId"]):
        raise forbidden(
            "The request is not properly authorized to update the video metadata.", "youtube.video"
        )
    updated = copy.deepcopy(stored)
    ever_public = state.video_meta.get(video_id, {}).get("everPublic", False)
    # Each part sent replaces every settable field of that part; parts without settable fields are echoed.
    if "snippet" in parts:
        _apply_snippet(state, updated, body.get("snippet"))
    if "status" in parts:
        _apply_status(state, updated, body.get("status"), ever_public)
    if "recordingDetails" in parts:
        _apply_recording_details(updated, body.get("recordingDetails"))
    if "localizations" in parts:
        _apply_localizations(updated, body.get("localizations"))
    if updated.get("localizations") and not updated["snippet"].get("defaultLanguage"):
        raise _metadata_error(
            "defaultLanguageNotSet",
            "The API request is trying to add localized video details without specifying the default language "
            "of the video details.",
        )
    state.store_video(updated, ever_public=updated["status"].get("privacyStatus") == "public")
    return Response.json(render_video(state.videos[video_id], parts))


# ---------------------------------------------------------------------- channels


def render_channel(state: EmulatorState, channel: dict, parts: list[str], manager: bool) -> dict:
    out = {"kind": "youtube#channel", "etag": etag(channel), "id": channel["id"]}
    for part in parts:
        if part == "id":
            continue
        if part == "contentOwnerDetails":
            # Only the linked content owner sees which owner the channel belongs to.
            out[part] = copy.deepcopy(channel.get(part, {})) if manager else {}
        elif part == "statistics":
            stats = copy.deepcopy(channel.get("statistics", {}))
            stats.setdefault("viewCount", "0")
            stats.setdefault("subscriberCount", "0")
            stats.setdefault("hiddenSubscriberCount", False)
            stats.setdefault(
                "videoCount",
                str(sum(1 for v in state.videos.values() if v["snippet"]["channelId"] == channel["id"])),
            )
            out[part] = stats
        elif part in channel:
            out[part] = copy.deepcopy(channel[part])
    return out


def channels_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    parts = parse_parts(request, CHANNEL_PARTS)
    owner = acting_owner(request, caller)
    ids = request.list_param("id")
    filters = {
        "id": ids,
        "mine": request.bool_param("mine") or None,
        "managedByMe": request.bool_param("managedByMe") or None,
        "forHandle": request.param("forHandle"),
        "forUsername": request.param("forUsername"),
        "categoryId": request.param("categoryId"),
        "mySubscribers": request.bool_param("mySubscribers") or None,
    }
    chosen = [name for name, value in filters.items() if value is not None]
    if not chosen:
        raise _no_filter("forUsername, managedByMe, categoryId, mine, mySubscribers, id, forHandle")
    if len(chosen) > 1:
        raise _incompatible(chosen)
    size = request.int_param("maxResults", minimum=0, maximum=50, default=5)
    name = chosen[0]
    if name == "id":
        if len(ids) > MAX_IDS:
            raise google_error(
                400,
                "invalidFilters",
                "The request specifies an invalid filter parameter.",
                "youtube.parameter",
                location="id",
            )
        matches = [state.channels[i] for i in dict.fromkeys(ids) if i in state.channels]
        paginate = False
    elif name in ("mine", "managedByMe", "mySubscribers"):
        if caller.via != "oauth":
            raise login_required()
        if name == "mine":
            matches = [state.channels[i] for i in caller.channels if i in state.channels]
        elif name == "managedByMe":
            if owner is None:
                # Undocumented wording: managedByMe only makes sense for a CMS user acting for an owner.
                raise google_error(
                    400,
                    "missingRequiredParameter",
                    "The managedByMe parameter can only be used with the onBehalfOfContentOwner parameter.",
                    "youtube.parameter",
                    location="onBehalfOfContentOwner",
                )
            matches = sorted(
                (
                    c
                    for c in state.channels.values()
                    if c.get("contentOwnerDetails", {}).get("contentOwner") == owner
                ),
                key=lambda c: c["id"],
            )
        else:
            matches = []
        paginate = True
    elif name in ("forHandle", "forUsername"):
        wanted = filters[name].lower().lstrip("@")
        matches = [
            c
            for c in state.channels.values()
            if (c["snippet"].get("customUrl") or "").lower().lstrip("@") == wanted
            or c.get("username") == filters[name]
        ]
        paginate = False
    else:
        matches, paginate = [], True
    next_token = prev_token = None
    if paginate:
        page, next_token, prev_token = page_of(matches, request, size=size)
    else:
        page = matches
    items = [render_channel(state, c, parts, manages_channel(state, caller, owner, c["id"])) for c in page]
    return _list_response(
        request,
        "youtube#channelListResponse",
        items,
        {"totalResults": len(matches), "resultsPerPage": size if paginate else len(items)},
        nextPageToken=next_token,
        prevPageToken=prev_token,
    )


# ---------------------------------------------------------------------- videoCategories


def video_categories_list(state: EmulatorState, request: Request, caller: Caller) -> Response:
    parts = parse_parts(request, ("id", "snippet"))
    ids = request.list_param("id")
    region = request.param("regionCode")
    chosen = [name for name, value in (("id", ids), ("regionCode", region)) if value is not None]
    if not chosen:
        raise _no_filter("id, regionCode")
    if len(chosen) > 1:
        raise _incompatible(chosen)
    if region is not None:
        if len(region) != 2 or not region.isalpha():
            raise google_error(
                400,
                "invalidRegionCode",
                "The regionCode parameter specifies an invalid region code.",
                "youtube.parameter",
                location="regionCode",
            )
        # Only the US table ships with the emulator; other regions answer with it unless seeded.
        rows = state.categories.get(region.upper()) or state.categories["US"]
    else:
        table = state.categories.get(str(state.settings["regionCode"]).upper()) or state.categories["US"]
        rows = [row for row in table if row["id"] in ids]
    items = []
    for row in rows:
        item = {"kind": "youtube#videoCategory", "etag": etag(row), "id": row["id"]}
        if "snippet" in parts:
            item["snippet"] = {
                "title": row["title"],
                "assignable": row["assignable"],
                "channelId": CATEGORY_CHANNEL_ID,
            }
        items.append(item)
    return _list_response(request, "youtube#videoCategoryListResponse", items, None)


ROUTES = [
    Route(
        "GET",
        r"/youtube/v3/videos",
        "youtube.videos.list",
        "youtube",
        videos_list,
        1,
        READ_SCOPES,
        "key_or_oauth",
    ),
    Route("PUT", r"/youtube/v3/videos", "youtube.videos.update", "youtube", videos_update, 50, WRITE_SCOPES),
    Route(
        "GET",
        r"/youtube/v3/channels",
        "youtube.channels.list",
        "youtube",
        channels_list,
        1,
        CHANNEL_READ_SCOPES,
        "key_or_oauth",
    ),
    Route(
        "GET",
        r"/youtube/v3/videoCategories",
        "youtube.videoCategories.list",
        "youtube",
        video_categories_list,
        1,
        READ_SCOPES,
        "key_or_oauth",
    ),
]
