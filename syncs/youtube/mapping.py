"""API resources ↔ catalogue field names. Pure functions: no HTTP, no database."""

import json
import re
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

# What a pull reads: the parts holding every field the catalogue keeps (videos.list costs 1 unit
# whatever the parts).
VIDEO_PARTS = ("snippet", "status", "contentDetails", "statistics", "localizations")
# videos.list `id`: at most 50 per call (observed limit, docs/youtube.md#reading-videos).
VIDEO_IDS_PER_CALL = 50
CHANNEL_PARTS = ("snippet", "statistics", "status", "contentOwnerDetails")

# contentDetails.duration is ISO 8601 (PT15M51S; it can carry D and, for long videos, W).
_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_ASSET_TYPES = {
    "art_track_video",
    "composition",
    "episode",
    "general",
    "movie",
    "music_video",
    "season",
    "show",
    "sound_recording",
    "video_game",
    "web",
}


def parse_duration(value: str | None) -> int | None:
    """Seconds in an ISO 8601 duration ("PT4M1S" → 241); None when absent or not a duration."""
    match = _DURATION.match(value or "")
    if not value or not match:
        return None
    parts = {name: float(number) for name, number in match.groupdict().items() if number}
    return int(
        parts.get("weeks", 0) * 604800
        + parts.get("days", 0) * 86400
        + parts.get("hours", 0) * 3600
        + parts.get("minutes", 0) * 60
        + parts.get("seconds", 0)
    )


def format_duration(seconds: int | None) -> str:
    seconds = int(seconds or 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{seconds}S" if seconds or text == "PT" else "")


def parse_time(value: str | None) -> datetime | None:
    """RFC 3339 ("2012-06-20T22:45:24.000Z") → aware datetime, whole seconds (as snapshots keep it)."""
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0)


def format_time(value: datetime | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_time(value)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(statistics: dict, name: str) -> int | None:
    value = statistics.get(name)
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def video_fields_from_api(item: dict, *, parts=VIDEO_PARTS, as_owner: bool = True) -> dict:
    """A videos.list item → Video field names, for video_apply_remote_state.

    A settable property YouTube leaves out has no value (tags, description, defaultLanguage,
    publishAt, localizations), except where only the owner sees it: selfDeclaredMadeForKids and
    containsSyntheticMedia are kept out of anonymous (API key) reads rather than read as "unset".
    """
    fields: dict = {}
    snippet = item.get("snippet")
    if snippet is not None:
        fields.update(
            title=snippet.get("title", ""),
            description=snippet.get("description") or "",
            tags=list(snippet.get("tags") or []),
            category_id=str(snippet.get("categoryId") or ""),
            default_language=snippet.get("defaultLanguage") or "",
            published_at=parse_time(snippet.get("publishedAt")),
        )
    status = item.get("status")
    if status is not None:
        fields.update(
            privacy_status=status.get("privacyStatus", "public"),
            embeddable=bool(status.get("embeddable", True)),
            public_stats_viewable=bool(status.get("publicStatsViewable", True)),
            license=status.get("license", "youtube"),
            publish_at=parse_time(status.get("publishAt")),
            made_for_kids=status.get("madeForKids"),
            upload_status=status.get("uploadStatus", ""),
        )
        if as_owner:
            fields["self_declared_made_for_kids"] = status.get("selfDeclaredMadeForKids")
            fields["contains_synthetic_media"] = status.get("containsSyntheticMedia")
    if "localizations" in parts:
        # YouTube leaves the part out of the item when the video has no localizations.
        fields["localizations"] = dict(item.get("localizations") or {})
    details = item.get("contentDetails")
    if details is not None:
        fields.update(
            duration_seconds=parse_duration(details.get("duration")),
            definition=details.get("definition", "")[:2],
            caption={"true": True, "false": False}.get(str(details.get("caption")).lower()),
        )
    statistics = item.get("statistics")
    if statistics is not None:
        fields.update(
            view_count=_count(statistics, "viewCount"),
            like_count=_count(statistics, "likeCount"),
            comment_count=_count(statistics, "commentCount"),
        )
    return fields


def video_resource_from_fields(*, video_id: str, channel_id: str, fields: dict) -> dict:
    """The reverse of video_fields_from_api: a videos resource (used to seed the emulator)."""
    snippet = {
        "channelId": channel_id,
        "title": fields.get("title", ""),
        "description": fields.get("description", ""),
        "tags": list(fields.get("tags") or []),
        "categoryId": fields.get("category_id") or "22",
    }
    if fields.get("default_language"):
        snippet["defaultLanguage"] = fields["default_language"]
    if fields.get("published_at"):
        snippet["publishedAt"] = format_time(fields["published_at"])
    status = {
        "privacyStatus": fields.get("privacy_status", "public"),
        "embeddable": fields.get("embeddable", True),
        "publicStatsViewable": fields.get("public_stats_viewable", True),
        "license": fields.get("license", "youtube"),
        "uploadStatus": fields.get("upload_status") or "processed",
    }
    for name, key in (
        ("self_declared_made_for_kids", "selfDeclaredMadeForKids"),
        ("contains_synthetic_media", "containsSyntheticMedia"),
        ("made_for_kids", "madeForKids"),
    ):
        if fields.get(name) is not None:
            status[key] = fields[name]
    if fields.get("publish_at"):
        status["publishAt"] = format_time(fields["publish_at"])
    resource = {
        "id": video_id,
        "snippet": snippet,
        "status": status,
        "contentDetails": {
            "duration": format_duration(fields.get("duration_seconds")),
            "dimension": "2d",
            "definition": fields.get("definition") or "hd",
            "caption": "true" if fields.get("caption") else "false",
            "licensedContent": True,
            "contentRating": {},
            "projection": "rectangular",
        },
        "statistics": {
            "viewCount": str(fields.get("view_count") or 0),
            "likeCount": str(fields.get("like_count") or 0),
            "favoriteCount": "0",
            "commentCount": str(fields.get("comment_count") or 0),
        },
    }
    if fields.get("localizations"):
        resource["localizations"] = fields["localizations"]
    return resource


def channel_fields_from_api(item: dict) -> dict:
    snippet = item.get("snippet") or {}
    statistics = item.get("statistics") or {}
    status = item.get("status") or {}
    return {
        "title": snippet.get("title", "")[:255],
        "description": snippet.get("description", ""),
        "country": (snippet.get("country") or "")[:2],
        "published_at": parse_time(snippet.get("publishedAt")),
        "subscriber_count": _count(statistics, "subscriberCount"),
        "video_count": _count(statistics, "videoCount"),
        "view_count": _count(statistics, "viewCount"),
        "privacy_status": status.get("privacyStatus", ""),
        "is_linked": bool(status.get("isLinked", False)),
    }


def policy_fields_from_api(item: dict) -> dict:
    return {
        "name": (item.get("name") or item.get("id", ""))[:255],
        "description": item.get("description", ""),
        "rules": list(item.get("rules") or []),
    }


def asset_fields_from_api(item: dict) -> dict:
    metadata = item.get("metadataMine") or item.get("metadataEffective") or item.get("metadata") or {}
    asset_type = item.get("type", "web")
    return {
        "title": (metadata.get("title") or "")[:255],
        "asset_type": asset_type if asset_type in _ASSET_TYPES else "web",
        "isrc": (metadata.get("isrc") or "")[:12],
        "custom_id": (metadata.get("customId") or "")[:255],
        "metadata": metadata,
    }


def claim_policy_canonical(policy: dict | None) -> dict | None:
    """A claim's policy in the one form ytcms keeps and compares: {"id": …}, {"rules": […]} or None.

    A saved policy is its id alone (claims name it by id; its rules live on the policy). Rules
    compare as a set: a policy's rules "collectively determine" the action [doc
    support.google.com/youtube/answer/107383] and Policy.rules documents no precedence by position
    [disc youtubePartner v1 Policy.rules], so rules and every list inside them (territories,
    contentMatchType, subaction, intervals) are kept sorted, keys in sorted order, empty values and
    output-only fields (kind, name, timeUpdated) dropped, and 30.0 kept as 30. Applying it twice
    changes nothing, so values kept before this form existed compare the same once passed through.
    """
    if not isinstance(policy, dict):
        return None
    if policy.get("id"):
        return {"id": str(policy["id"])}
    rules = _canonical(policy.get("rules") or [])
    return {"rules": rules} if rules else None


def claim_policy_from_api(claim: dict) -> dict | None:
    """A claims resource's policy (claims.get/insert/patch answers) in claim_policy_canonical form."""
    return claim_policy_canonical(claim.get("policy"))


def _canonical(value):
    if isinstance(value, dict):
        kept = {key: _canonical(value[key]) for key in sorted(value)}
        return {key: part for key, part in kept.items() if part not in (None, "", [], {})}
    if isinstance(value, list):
        parts = [_canonical(part) for part in value]
        return sorted(
            (part for part in parts if part not in (None, "", [], {})),
            key=lambda part: json.dumps(part, sort_keys=True),
        )
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
