"""Report column names: every known spelling -> one canonical name, and what each one feeds.

Canonical names are the Reporting API's (content_owner_video_metadata_a4, docs/youtube.md#report-files),
plus three the API does not have but the seed layout does: tags, description and claimed_status.
"""

from . import values

# Reporting API a4 "Daily video metadata", v1.4 field list.
A4_COLUMNS = (
    "video_id channel_id claim_id asset_id custom_id category channel_display_name claim_origin "
    "claimed_by_this_owner comments comments_allowed content_type display_ads_enabled effective_policy eidr "
    "embedding_allowed engaged_views in_video_ads_enabled is_made_for_kids_effective_setting "
    "is_made_for_kids_modifiable is_made_for_kids_user_selection isrc long_nonskippable_video_ads_enabled "
    "midrolls_enabled nonskippable_video_ads_enabled offweb_syndicatable other_owners_claiming "
    "overlay_ads_enabled postrolls_enabled prerolls_enabled ratings_allowed skippable_video_ads_enabled "
    "sponsored_cards_enabled third_party_ads_enabled third_party_video_id time_published time_uploaded "
    "upload_source video_length video_privacy_status video_title video_url views"
).split()

# Older versions (a2) and the Studio "Videos" download; claimed_by_another_owner is what Studio
# tells users to filter on (support.google.com/youtube/answer/9049701).
OLDER_COLUMNS = ["claimed_by_another_owner"]

SEED_ONLY_COLUMNS = ["tags", "description", "claimed_status"]

# Other spellings, already normalised (see normalise_header). The seed's Title-Case headers
# normalise to their canonical names except those listed here.
ALIASES = {
    # seed layout ("Channel name", "Privacy status", "Video duration", ...)
    "channel_name": "channel_display_name",
    "privacy_status": "video_privacy_status",
    "video_duration": "video_length",
    "category_id": "category",
    # Studio Claims report and the 2012-era CMS report (§5.2), and plain English
    "videoid": "video_id",
    "channelid": "channel_id",
    "channel_title": "channel_display_name",
    "title": "video_title",
    "privacy": "video_privacy_status",
    "length": "video_length",
    "duration": "video_length",
    "view_count": "views",
    "comment_count": "comments",
    "policy": "effective_policy",
    "published_at": "time_published",
    "origin": "claim_origin",
    "embeddable": "embedding_allowed",
    "made_for_kids": "is_made_for_kids_effective_setting",
    "self_declared_made_for_kids": "is_made_for_kids_user_selection",
    "video_tags": "tags",
    "video_description": "description",
}

CANONICAL = frozenset(A4_COLUMNS) | frozenset(OLDER_COLUMNS) | frozenset(SEED_ONLY_COLUMNS)

# The extra column write_failed_rows adds: known, ignored, and it marks a failed-rows file.
FAILED_ROWS_ERROR_COLUMN = "error"

# Columns that hold yes/no values in every layout: their spelling tells the API from Studio.
BOOLEAN_COLUMNS = frozenset(
    c for c in CANONICAL if c.endswith(("_enabled", "_allowed", "_owner")) or c.startswith("is_made_for_kids")
) | {"offweb_syndicatable"}

# The documented primary key of the a4 report: one row per (video, claim).
PRIMARY_KEY = ("video_id", "channel_id", "claim_id", "asset_id", "custom_id")


def normalise_header(cell: str) -> str:
    """'\ufeffVideo ID ' -> 'video_id': strip, lower-case, spaces and dashes -> one underscore."""
    return "_".join(cell.replace("\ufeff", "").lower().replace("-", " ").replace("_", " ").split())


def canonical(normalised: str) -> str | None:
    if normalised in CANONICAL:
        return normalised
    return ALIASES.get(normalised)


def remote_fields(layout: str) -> dict:
    """Canonical column -> (Video field, converter) for the values that land in ReportRow.remote."""
    return {
        "video_title": ("title", values.max_chars(values.TITLE_DB_MAX_CHARS)),
        "video_privacy_status": ("privacy_status", values.parse_privacy),
        # The Reporting API documents category as an id; the seed layout writes names.
        "category": ("category_id", values.parse_category if layout == "seed" else values.parse_category_id),
        "embedding_allowed": ("embeddable", values.parse_bool),
        "time_published": ("published_at", values.parse_time),
        "video_length": ("duration_seconds", values.parse_seconds),
        "views": ("view_count", values.parse_count),
        "comments": ("comment_count", values.parse_count),
        "is_made_for_kids_effective_setting": ("made_for_kids", values.parse_bool),
        "is_made_for_kids_user_selection": ("self_declared_made_for_kids", values.parse_bool),
        "claimed_status": ("claimed_status", values.parse_claimed_status),
        "effective_policy": ("effective_policy", values.max_chars(values.POLICY_DB_MAX_CHARS)),
        "tags": ("tags", values.parse_list),
        "description": ("description", values.keep_text),
    }
