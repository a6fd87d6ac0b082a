"""Reads of change sets the REST API needs beyond the admin's: the user's open draft, item counts,
and the quota that pushes already queued will spend on later Pacific days.

Kept apart from services.py/selectors.py (which the change-set work owns); nothing here writes.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, QuerySet
from django.utils import timezone

from syncs.changesets.preview import LIST_UNITS, UPDATE_UNITS
from syncs.changesets.selectors import changeset_items_visible_to
from syncs.models import ChangeSet, ChangeSetItem
from syncs.youtube.mapping import VIDEO_IDS_PER_CALL
from syncs.youtube.quota_clock import pacific_day

# Change sets whose unsettled items a worker will push without anyone pressing a button again.
PUSH_PENDING_STATUSES = (
    ChangeSet.Status.APPROVED,
    ChangeSet.Status.QUEUED,
    ChangeSet.Status.PUSHING,
)
WAITING_ITEM_STATUSES = (
    ChangeSetItem.Status.PENDING,
    ChangeSetItem.Status.PUSHING,
    ChangeSetItem.Status.DEFERRED,
)


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


@dataclass(frozen=True)
class QueuedQuotaDay:
    """Data API work already queued for one Pacific day (today: what is due now)."""

    day: date
    changesets: int
    videos: int
    items: int
    quota_units: int  # videos.update per video plus one videos.list per 50 videos
    content_id_calls: int  # claims reads and writes: Content ID's own quota


def quota_queued_by_day(*, user, now: datetime | None = None) -> list[QueuedQuotaDay]:
    """Per Pacific day, what the queued pushes of change sets the user may see will spend.

    An item deferred until a time (the quota reset, a retry) counts on that time's Pacific day;
    any other waiting item is due now, so it counts today. Quota units are estimated as the
    preview does (UPDATE_UNITS per video, LIST_UNITS per 50 videos).
    """
    today = pacific_day(now or timezone.now())
    items: QuerySet = (
        changeset_items_visible_to(user=user)
        .filter(
            status__in=WAITING_ITEM_STATUSES,
            changeset__status__in=PUSH_PENDING_STATUSES,
        )
        .values_list("changeset_id", "video_id", "kind", "deferred_until")
    )
    videos: dict[date, set] = defaultdict(set)
    changesets: dict[date, set] = defaultdict(set)
    item_counts: dict[date, int] = defaultdict(int)
    claim_calls: dict[date, int] = defaultdict(int)
    for changeset_id, video_id, kind, deferred_until in items.iterator(chunk_size=2000):
        day = max(pacific_day(deferred_until), today) if deferred_until else today
        changesets[day].add(changeset_id)
        item_counts[day] += 1
        if kind == ChangeSetItem.Kind.METADATA:
            videos[day].add(video_id)
        else:
            claim_calls[day] += 2  # a read (claimSearch or claims.get), then the write
    return [
        QueuedQuotaDay(
            day=day,
            changesets=len(changesets[day]),
            videos=len(videos[day]),
            items=item_counts[day],
            quota_units=UPDATE_UNITS * len(videos[day])
            + LIST_UNITS * math.ceil(len(videos[day]) / VIDEO_IDS_PER_CALL),
            content_id_calls=claim_calls[day],
        )
        for day in sorted(item_counts)
    ]
