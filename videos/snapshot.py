"""A video's field values as the snapshot of YouTube keeps them (JSON), and back.

Public: the change sets (syncs) compare and store values in this form too.
"""

import copy
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

# Values deepcopy would hand back as they are: skipping its dispatch for them saves a daily report
# (every field of every video goes through both functions below) a few per cent of its merge.
_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def snapshot_value(field_name: str, value):
    """A field value in the form the snapshot keeps it (JSON: times as ISO 8601 UTC)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # A copy: the snapshot must never share a list or dict with the wanted field, or an
    # in-place edit of video.tags would silently change "what YouTube has" too.
    return value if type(value) in _IMMUTABLE else copy.deepcopy(value)


def model_value(field_name: str, value):
    """A snapshot value in the form the model's field takes (snapshot_value's inverse)."""
    if field_name == "publish_at" and isinstance(value, str):
        return parse_datetime(value)
    return value if type(value) in _IMMUTABLE else copy.deepcopy(value)
