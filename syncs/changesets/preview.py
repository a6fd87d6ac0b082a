"""What a change set would do: base → new per video and field, YouTube limits broken, quota and days."""

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from syncs.changesets.quota_plan import LIST_UNITS, UPDATE_UNITS, quota_remaining_today, videos_fitting
from syncs.changesets.selectors import (
    AlsoWaiting,
    changeset_also_waiting_summary,
    changeset_items_also_waiting,
    changeset_items_visible_to,
)
from syncs.models import ChangeSet, ChangeSetItem
from syncs.youtube.mapping import VIDEO_IDS_PER_CALL
from syncs.youtube.quota_clock import next_quota_reset
from videos.services import video_validate_changes
from videos.snapshot import model_value
from videos.validation import Violation


@dataclass
class PreviewRow:
    item: ChangeSetItem
    violations: list[Violation] = field(default_factory=list)
    # The same video and field waiting in another change set with another value.
    also_waiting: list[AlsoWaiting] = field(default_factory=list)


@dataclass
class ChangeSetPreview:
    changeset: ChangeSet
    rows: list[PreviewRow]
    videos: int
    update_units: int
    read_units: int
    remaining_today: int
    daily_budget: int
    content_id_calls: int = 0
    resets_at: datetime | None = None

    @property
    def videos_today(self) -> int:
        """Videos the push will write today: the ones that fit the units left (the rest wait)."""
        return min(self.videos, videos_fitting(self.remaining_today))

    @property
    def videos_deferred(self) -> int:
        """Videos the push defers up front to after the next Pacific midnight (resets_at)."""
        return self.videos - self.videos_today

    @property
    def quota_units(self) -> int:
        return self.update_units + self.read_units

    @property
    def invalid(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.violations]

    @property
    def also_waiting(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.also_waiting]

    @property
    def also_waiting_videos(self) -> int:
        return len({row.item.video_id for row in self.also_waiting})

    @property
    def also_waiting_summary(self) -> str:
        return changeset_also_waiting_summary(
            also_waiting={row.item.pk: row.also_waiting for row in self.also_waiting}
        )

    @property
    def days_needed(self) -> int:
        """Pacific days the push spans: today's remaining budget first, then whole days."""
        if self.quota_units == 0:
            return 0
        if self.quota_units <= self.remaining_today:
            return 1
        if self.daily_budget <= 0:
            return 0
        extra = self.quota_units - self.remaining_today
        return (1 if self.remaining_today else 0) + math.ceil(extra / self.daily_budget)


def changeset_preview(*, changeset: ChangeSet, user=None, now: datetime | None = None) -> ChangeSetPreview:
    """Rows, limits and quota of the items `user` may see (every item when None: the push command)."""
    unsettled = (
        ChangeSetItem.Status.PENDING,
        ChangeSetItem.Status.DEFERRED,
        ChangeSetItem.Status.PUSHING,
        ChangeSetItem.Status.CONFLICT,
    )
    items = (
        changeset.items.all() if user is None else changeset_items_visible_to(user=user, changeset=changeset)
    )
    items = list(items.select_related("video").order_by("video_id", "field"))
    by_video: dict[str, list[ChangeSetItem]] = {}
    for item in items:
        by_video.setdefault(item.video_id, []).append(item)
    also_waiting = changeset_items_also_waiting(changeset=changeset, items=items, user=user)
    rows = []
    for video_items in by_video.values():
        video = video_items[0].video
        changes = {
            item.field: model_value(item.field, item.new_value)
            for item in video_items
            if item.kind == ChangeSetItem.Kind.METADATA
        }
        violations = video_validate_changes(video=video, changes=changes) if changes else []
        for item in video_items:
            rows.append(
                PreviewRow(
                    item=item,
                    violations=[v for v in violations if v.field == item.field],
                    also_waiting=also_waiting.get(item.pk, []),
                )
            )
    to_push = {
        item.video_id
        for item in items
        if item.status in unsettled and item.kind == ChangeSetItem.Kind.METADATA
    }
    # Content ID (its own quota): a claimSearch or claims.get read, then claims.insert or claims.patch.
    claim_calls = 2 * sum(
        1 for item in items if item.status in unsettled and item.kind != ChangeSetItem.Kind.METADATA
    )
    now = now or timezone.now()
    remaining, budget = quota_remaining_today(now)
    return ChangeSetPreview(
        changeset=changeset,
        rows=rows,
        videos=len(to_push),
        update_units=UPDATE_UNITS * len(to_push),
        read_units=LIST_UNITS * math.ceil(len(to_push) / VIDEO_IDS_PER_CALL),
        remaining_today=remaining,
        daily_budget=budget,
        content_id_calls=claim_calls,
        resets_at=next_quota_reset(now),
    )
