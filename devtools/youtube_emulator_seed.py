"""The emulator's world built from the catalogue, so `make run` starts on a YouTube that matches it.

The emulator package stays free of Django; this module reads the tables and writes its seed format
(see devtools/youtube_emulator/__init__.py). Videos carry what YouTube has (the snapshot), so pending edits
stay pending and a first refresh marks no drift.
"""

from channels_app.models import Channel, ContentOwner
from syncs.changesets.services import claim_base_policy
from syncs.youtube.auth import SCOPES
from syncs.youtube.mapping import format_time, video_resource_from_fields
from videos.models import Asset, Claim, Policy, Video
from videos.services import WRITABLE_FIELDS

# The one account that consents in the emulator's OAuth screen; it manages every owner.
EMULATOR_ACCOUNT = "rights-manager@ytcms.emulator"
READ_ONLY_FIELDS = (
    "published_at",
    "duration_seconds",
    "definition",
    "caption",
    "view_count",
    "like_count",
    "comment_count",
    "made_for_kids",
    "upload_status",
)


# YouTube knows every owner's claims; ytcms only knows that a video is "claimed by other owners".
# The emulator gets one such owner, with a claim on each of those videos, so its reports say so.
OTHER_OWNER = {"id": "ytcms-emulator-other-owner", "displayName": "Another content owner"}


def emulator_refresh_token(owner_id: str) -> str:
    """The refresh token the seeded emulator knows for an owner (bin/run connects the demo with it)."""
    return f"1//ytcms-emulator-{owner_id}"


def _video_fields(video: Video) -> dict:
    fields = {name: getattr(video, name) for name in READ_ONLY_FIELDS}
    fields.update({name: getattr(video, name) for name in WRITABLE_FIELDS})
    fields.update(video.remote_snapshot or {})
    return fields


def _other_owners_claims() -> tuple[list[dict], list[dict]]:
    """An asset and an active claim of OTHER_OWNER on each video ytcms holds as claimed by others."""
    video_ids = list(
        Video.objects.filter(claimed_status=Video.ClaimedStatus.CLAIMED_BY_OTHERS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assets = [
        {
            "id": f"other-{video_id}",
            "contentOwner": OTHER_OWNER["id"],
            "type": "composition",
            "metadata": {"title": f"Claimed by another owner ({video_id})"},
        }
        for video_id in video_ids
    ]
    claims = [
        {
            "id": f"other-{video_id}",
            "contentOwner": OTHER_OWNER["id"],
            "assetId": f"other-{video_id}",
            "videoId": video_id,
            "contentType": "audio",
            "status": "active",
            "isPartnerUploaded": False,
            "origin": {"source": "Audio match"},
            "policy": {"rules": [{"action": "monetize"}]},
        }
        for video_id in video_ids
    ]
    return assets, claims


def emulator_seed_from_db(*, client_id: str, client_secret: str) -> dict:
    owners = list(ContentOwner.objects.order_by("pk"))
    channels = list(Channel.objects.order_by("pk"))
    other_assets, other_claims = _other_owners_claims()
    seed = {
        "contentOwners": [{"id": owner.pk, "displayName": owner.name} for owner in owners] + [OTHER_OWNER],
        "accounts": [{"id": EMULATOR_ACCOUNT, "contentOwners": [owner.pk for owner in owners]}],
        # No redirect URIs listed: the emulator then accepts any (the site's host and port vary).
        "oauthClients": [{"clientId": client_id, "clientSecret": client_secret, "redirectUris": []}],
        "refreshTokens": [
            {
                "token": emulator_refresh_token(owner.pk),
                "clientId": client_id,
                "account": EMULATOR_ACCOUNT,
                "scopes": SCOPES,
            }
            for owner in owners
        ],
        "settings": {"authorizeAccount": EMULATOR_ACCOUNT},
        "channels": [
            {
                "id": channel.pk,
                "contentOwner": channel.content_owner_id,
                "snippet": {
                    "title": channel.title,
                    "description": channel.description,
                    **({"country": channel.country} if channel.country else {}),
                    **({"publishedAt": format_time(channel.published_at)} if channel.published_at else {}),
                },
                "statistics": {
                    "subscriberCount": str(channel.subscriber_count or 0),
                    "viewCount": str(channel.view_count or 0),
                },
                "status": {
                    "privacyStatus": channel.privacy_status or "public",
                    "isLinked": channel.is_linked,
                },
            }
            for channel in channels
        ],
        "videos": [
            video_resource_from_fields(
                video_id=video.pk, channel_id=video.channel_id, fields=_video_fields(video)
            )
            for video in Video.objects.order_by("pk").iterator(chunk_size=2000)
        ],
        "policies": [
            {
                "id": policy.pk,
                "contentOwner": policy.content_owner_id,
                "name": policy.name,
                "description": policy.description,
                "rules": policy.rules,
            }
            for policy in Policy.objects.exclude(content_owner=None).order_by("pk")
        ],
        "assets": [
            {
                "id": asset.pk,
                "contentOwner": asset.content_owner_id,
                "type": asset.asset_type,
                "metadata": {
                    **asset.metadata,
                    "title": asset.title,
                    **({"isrc": asset.isrc} if asset.isrc else {}),
                    **({"customId": asset.custom_id} if asset.custom_id else {}),
                },
            }
            for asset in Asset.objects.exclude(content_owner=None).order_by("pk")
        ]
        + other_assets,
        "claims": [
            {
                "id": claim.pk,
                "contentOwner": claim.asset.content_owner_id,
                "assetId": claim.asset_id,
                "videoId": claim.video_id,
                "contentType": claim.content_type,
                "status": claim.status,
                "isPartnerUploaded": claim.is_partner_uploaded,
                # Reports name a claim's origin as Studio does (claim_origin); ytcms keeps that text.
                **({"origin": {"source": claim.origin}} if claim.origin else {}),
                # YouTube's policy as ytcms last read it (rules too), else the saved policy it names.
                **({"policy": policy} if (policy := claim_base_policy(claim=claim)) else {}),
            }
            for claim in Claim.objects.select_related("asset")
            .exclude(asset__content_owner=None)
            .order_by("pk")
        ]
        + other_claims,
    }
    return seed
