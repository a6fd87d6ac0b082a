"""Quota units per API method: the one table the quota ledger charges from.

Data API figures: https://developers.google.com/youtube/v3/determine_quota_cost ("All API requests,
including invalid requests, incur a quota cost of at least one point"). Google publishes no cost
table for the Content ID (youtubePartner) and Reporting APIs; their quotas are set by the YouTube
Partner Manager, so every one of their methods is counted as 1 unit (docs/youtube.md#quota).
"""

DATA_API_COSTS = {
    "youtube.videos.list": 1,
    "youtube.videos.update": 50,
    "youtube.channels.list": 1,
    "youtube.videoCategories.list": 1,
    "youtube.playlistItems.list": 1,
}
# "All API requests, including invalid requests, incur a quota cost of at least one point."
# [doc determine_quota_cost] The floor every request Google answers costs.
REQUEST_FLOOR_UNITS = 1
# Undocumented: one unit per call, the floor every request costs.
UNDOCUMENTED_METHOD_COST = REQUEST_FLOOR_UNITS
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


def answer_units(method: str, status: int | None) -> int:
    """What Google charges for one request of this method once its answer is known.

    The ledger books quota_units(method) before sending (the safe side while the outcome is
    unknown) and this once the answer came back. Google's table prices a method's call and gives
    one figure for any other request, the floor of one unit [doc determine_quota_cost]. A 401 (the
    credentials were refused before the method ran) and a 5xx (the backend did not serve it) are
    priced at that floor. Every other answer, and no answer at all (status None: the request may
    have reached Google), keeps the full price: a rejection by the method itself is not priced
    lower anywhere, so the full price is the safe booking. The emulator counts the same way
    (devtools/youtube_emulator/__init__.py).
    """
    full = quota_units(method)
    if status is not None and (status == 401 or status >= 500):
        return min(full, REQUEST_FLOOR_UNITS)
    return full
