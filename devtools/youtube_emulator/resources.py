"""Resource shapes: defaults for seeded resources, ETags and IDs."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import string
from datetime import datetime

from .clock import rfc3339

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"

VIDEO_PARTS = (
    "contentDetails",
    "fileDetails",
    "id",
    "liveStreamingDetails",
    "localizations",
    "paidProductPlacementDetails",
    "player",
    "processingDetails",
    "recordingDetails",
    "snippet",
    "statistics",
    "status",
    "suggestions",
    "topicDetails",
)  # videos/list and videos/update `part` [doc]
OWNER_ONLY_VIDEO_PARTS = ("fileDetails", "processingDetails", "suggestions")  # [disc Video schema]

CHANNEL_PARTS = (
    "auditDetails",
    "brandingSettings",
    "contentDetails",
    "contentOwnerDetails",
    "id",
    "localizations",
    "snippet",
    "statistics",
    "status",
    "topicDetails",
)  # [disc Channel]


def etag(value: object) -> str:
    """A stable, opaque ETag in the current YouTube format (27 URL-safe characters)."""
    digest = hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


def new_id(length: int = 11, prefix: str = "") -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_token(prefix: str, length: int = 40) -> str:
    return prefix + secrets.token_urlsafe(length)[:length]


def public(resource: dict) -> dict:
    """A deep copy safe to hand out."""
    return copy.deepcopy(resource)


def normalize_channel(raw: dict, now: datetime) -> dict:
    """Fill a seeded channel with the fields the API always returns."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"a channel needs an id: {raw!r}")
    channel = copy.deepcopy(raw)
    channel_id = channel["id"]
    owner = channel.pop("contentOwner", None)
    channel["kind"] = "youtube#channel"
    snippet = channel.setdefault("snippet", {})
    snippet.setdefault("title", channel_id)
    snippet.setdefault("description", "")
    snippet.setdefault("publishedAt", rfc3339(now))
    snippet.setdefault(
        "thumbnails",
        {"default": {"url": f"https://yt3.ggpht.com/{channel_id}=s88", "width": 88, "height": 88}},
    )
    snippet.setdefault("localized", {"title": snippet["title"], "description": snippet["description"]})
    details = channel.setdefault("contentDetails", {})
    details.setdefault("relatedPlaylists", {"likes": "", "uploads": "UU" + channel_id[2:]})
    status = channel.setdefault("status", {})
    status.setdefault("privacyStatus", "public")
    status.setdefault("isLinked", True)
    status.setdefault("longUploadsStatus", "allowed")
    status.setdefault("madeForKids", False)
    owner_details = channel.setdefault("contentOwnerDetails", {})
    if owner and not owner_details.get("contentOwner"):
        owner_details["contentOwner"] = owner
        owner_details.setdefault("timeLinked", rfc3339(now))
    return channel


def normalize_video(raw: dict, channel: dict | None, now: datetime, default_privacy: str = "public") -> dict:
    """Fill a seeded video with what videos.list returns for an ordinary processed upload."""
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"a video needs an id: {raw!r}")
    video = copy.deepcopy(raw)
    video_id = video["id"]
    video["kind"] = "youtube#video"
    snippet = video.setdefault("snippet", {})
    if not snippet.get("channelId"):
        raise ValueError(f"video {video_id} needs snippet.channelId")
    snippet.setdefault("publishedAt", rfc3339(now))
    snippet.setdefault("title", video_id)
    snippet.setdefault("description", "")
    snippet.setdefault(
        "thumbnails",
        {"default": {"url": f"https://i.ytimg.com/vi/{video_id}/default.jpg", "width": 120, "height": 90}},
    )
    snippet.setdefault("channelTitle", (channel or {}).get("snippet", {}).get("title", ""))
    snippet.setdefault("categoryId", "22")
    snippet.setdefault("liveBroadcastContent", "none")
    if not snippet.get("tags"):
        snippet.pop("tags", None)
    if not snippet.get("defaultLanguage"):
        snippet.pop("defaultLanguage", None)
    snippet.pop("localized", None)  # computed on output
    status = video.setdefault("status", {})
    status.setdefault("uploadStatus", "processed")
    status.setdefault("privacyStatus", default_privacy)
    status.setdefault("license", "youtube")
    status.setdefault("embeddable", True)
    status.setdefault("publicStatsViewable", True)
    status.setdefault("madeForKids", bool(status.get("selfDeclaredMadeForKids", False)))
    video.setdefault(
        "contentDetails",
        {
            "duration": "PT0S",
            "dimension": "2d",
            "definition": "hd",
            "caption": "false",
            "licensedContent": False,
            "contentRating": {},
            "projection": "rectangular",
        },
    )
    video.setdefault(
        "statistics", {"viewCount": "0", "likeCount": "0", "favoriteCount": "0", "commentCount": "0"}
    )
    video.setdefault(
        "player",
        {
            "embedHtml": f'<iframe width="480" height="270" src="//www.youtube.com/embed/{video_id}" '
            'frameborder="0" allowfullscreen></iframe>'
        },
    )
    video.setdefault("processingDetails", {"processingStatus": "succeeded"})
    video.setdefault("recordingDetails", {})
    if not video.get("localizations"):
        video.pop("localizations", None)
    video.pop("etag", None)
    return video


def normalize_content_owner(raw: dict) -> dict:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"a content owner needs an id: {raw!r}")
    owner = copy.deepcopy(raw)
    owner["kind"] = "youtubePartner#contentOwner"
    owner.setdefault("displayName", owner["id"])
    return owner


def normalize_policy(raw: dict, now: datetime) -> dict:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"a policy needs an id: {raw!r}")
    policy = copy.deepcopy(raw)
    policy.pop("contentOwner", None)
    policy["kind"] = "youtubePartner#policy"
    policy.setdefault("name", policy["id"])
    policy.setdefault("rules", [])
    policy.setdefault("timeUpdated", rfc3339(now))
    return policy


def normalize_asset(raw: dict, now: datetime) -> dict:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"an asset needs an id: {raw!r}")
    asset = copy.deepcopy(raw)
    asset.pop("contentOwner", None)
    asset["kind"] = "youtubePartner#asset"
    asset.setdefault("type", "web")
    asset.setdefault("status", "active")
    asset.setdefault("timeCreated", rfc3339(now))
    asset.setdefault("metadata", {})
    return asset


def normalize_claim(raw: dict, now: datetime) -> dict:
    if not isinstance(raw, dict) or not raw.get("id"):
        raise ValueError(f"a claim needs an id: {raw!r}")
    for field in ("assetId", "videoId"):
        if not raw.get(field):
            raise ValueError(f"claim {raw['id']} needs {field}")
    claim = copy.deepcopy(raw)
    claim.pop("contentOwner", None)
    claim["kind"] = "youtubePartner#claim"
    claim.setdefault("status", "active")
    claim.setdefault("contentType", "audiovisual")
    claim.setdefault("policy", {"rules": [{"action": "track"}]})
    claim.setdefault("timeCreated", rfc3339(now))
    claim.setdefault("timeStatusLastModified", claim["timeCreated"])
    claim.setdefault("isPartnerUploaded", True)
    return claim
