"""Reads of change sets the REST API needs beyond the admin's: the user's open drafts, item counts.
(What queued pushes spend per Pacific day is syncs/changesets/quota_plan.py.)

Kept apart from services.py/selectors.py (which the change-set work owns); nothing here writes.
"""

from django.db.models import Count

from syncs.changesets.selectors import changeset_items_visible_to
from syncs.models import ChangeSet, ChangeSetItem


def changeset_open_drafts_of(*, user, content_owner_ids) -> list[ChangeSet]:
    """The drafts that edits of this user to these owners' videos extend (changeset_open_draft's
    choice, one per owner), without creating any."""
    drafts = ChangeSet.objects.filter(
        created_by=user, status=ChangeSet.Status.DRAFT, revert_of__isnull=True
    ).order_by("pk")
    chosen: dict = {}
    for owner_id in content_owner_ids:
        draft = drafts.filter(content_owner_id=owner_id).first()
        if draft is not None:
            chosen[draft.pk] = draft
    return sorted(chosen.values(), key=lambda draft: draft.pk)


def changeset_item_counts(*, changeset: ChangeSet, user) -> dict[str, int]:
    """{item status: number of the items the user may see}, every status present (0 when none)."""
    counts = dict.fromkeys(ChangeSetItem.Status.values, 0)
    items = changeset_items_visible_to(user=user, changeset=changeset)
    for row in items.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
