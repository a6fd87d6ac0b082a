"""Text for people: the one way a message lists many things."""

from collections.abc import Iterable


def listed(items: Iterable, *, limit: int = 10) -> str:
    """ "a, b, c and 7 more": the first `limit` items, then how many were left out."""
    items = [str(item) for item in items]
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")
