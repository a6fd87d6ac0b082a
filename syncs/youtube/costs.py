"""Quota units per API method: the one table the quota ledger charges from.

Data API figures: https://developers.google.com/youtube/v3/determine_quota_cost ("All API requests,
including invalid requests, incur a quota cost of at least one point"). Google publishes no cost
table for the Content ID (youtubePartner) and Reporting APIs; their quotas are set by the YouTube
Partner Manager, so every one of their methods is counted as 1 unit (docs/youtube-api.md §1.5, §4.2).
"""

DATA_API_COSTS = {
    "youtube.videos.list": 1,
    "youtube.videos.update": 50,
    "youtube.channels.list": 1,
    "youtube.videoCategories.list": 1,
    "youtube.playlistItems.list": 1,
}
# Undocumented: one unit per call, the floor every request costs.
UNDOCUMENTED_METHOD_COST = 1
# The APIs whose quotas Google counts separately (the ledger keeps one row per API and day).
QUOTA_APIS = ("youtube", "youtubePartner", "youtubereporting")


def quota_api(method: str) -> str:
    """The API a method id belongs to: "youtube.videos.list" → "youtube"."""
    api = method.split(".", 1)[0]
    if api not in QUOTA_APIS:
        raise ValueError(f"{method!r} is not a method of {', '.join(QUOTA_APIS)}")
    return api


def quota_units(method: str) -> int:
    """What one request of this method costs, charged before it is sent."""
    api = quota_api(method)
    if api == "youtube":
        try:
            return DATA_API_COSTS[method]
        except KeyError:
            raise ValueError(
                f"No quota cost known for {method}; add it to syncs/youtube/costs.py from "
                "developers.google.com/youtube/v3/determine_quota_cost before calling it."
            ) from None
    return UNDOCUMENTED_METHOD_COST
