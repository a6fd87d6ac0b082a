"""Reads of change sets the REST API needs beyond the admin's: item counts. (The user's open drafts
are changeset_open_drafts in selectors.py; what queued pushes spend per day is quota_plan.py.)

Kept apart from services.py/selectors.py (which the change-set work owns); nothing here writes.
"""

from django.db.models import Count

from syncs.changesets.selectors import changeset_items_visible_to
from syncs.models import ChangeSet, ChangeSetItem


def changeset_item_counts(*, changeset: ChangeSet, user) -> dict[str, int]:
    """{item status: number of the items the user may see}, every status present (0 when none)."""
    counts = dict.fromkeys(ChangeSetItem.Status.values, 0)
    items = changeset_items_visible_to(user=user, changeset=changeset)
    for row in items.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
