"""The quota planner: on which Pacific day the queued pushes send each video, and what that costs.

One answer for the push (how many videos today's units pay for), the API's /quota/ and the
dashboard's planned pushes: before, the API counted work on the day it fell due and the dashboard
filled days with its own per-video estimate, so the two could disagree with each other and with
the push.
"""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from syncs.changesets.selectors import changeset_items_visible_to
from syncs.models import ChangeSet, ChangeSetItem
from syncs.selectors import quota_today
from syncs.youtube.costs import quota_units
from syncs.youtube.mapping import VIDEO_IDS_PER_CALL
from syncs.youtube.quota_clock import PACIFIC, pacific_day

UPDATE_UNITS = quota_units("youtube.videos.update")
LIST_UNITS = quota_units("youtube.videos.list")  # whatever the parts, for up to VIDEO_IDS_PER_CALL ids
# A plan without a horizon stops here: a backlog beyond a year is reported as later_videos.
PLAN_MAX_DAYS = 366

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
# Scheduled change sets (#19) that wait for their moment: a draft to be approved before it, or
# approved. Both reserve their units on their Pacific day, so the day's budget is planned ahead.
SCHEDULED_STATUSES = (ChangeSet.Status.DRAFT, ChangeSet.Status.APPROVED)


def pacific_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Pacific quota day, in UTC (23 or 25 hours on the DST change days)."""
    start = datetime.combine(day, time(0), tzinfo=PACIFIC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return start.astimezone(UTC), end.astimezone(UTC)


def changeset_push_videos(*, changeset_id: int) -> int:
    """Videos a push of the change set would write now: those with a metadata item not settled."""
    return (
        ChangeSetItem.objects.filter(
            changeset_id=changeset_id, kind=ChangeSetItem.Kind.METADATA, status__in=WAITING_ITEM_STATUSES
        )
        .values("video_id")
        .distinct()
        .count()
    )


def scheduled_units_on(*, day: date, now: datetime | None = None, exclude_id: int | None = None) -> int:
    """Units reserved on a Pacific day by change sets scheduled for a moment still ahead.

    Every content owner's: the daily budget is the Google Cloud project's, shared by all of them.
    Each change set is its own push (its own videos.list calls), so units are summed per change set.
    """
    now = now or timezone.now()
    start, end = pacific_day_bounds(day)
    scheduled = ChangeSet.objects.filter(
        status__in=SCHEDULED_STATUSES,
        scheduled_for__gte=start,
        scheduled_for__lt=end,
        scheduled_for__gt=now,  # from its moment on, its push spends them
    )
    if exclude_id is not None:
        scheduled = scheduled.exclude(pk=exclude_id)
    return sum(
        push_units(videos)
        for changeset_id in scheduled.values_list("pk", flat=True)
        if (videos := changeset_push_videos(changeset_id=changeset_id))
    )


def push_units(videos: int) -> int:
    """Data API units a push of `videos` videos spends: a videos.update each, a videos.list per 50."""
    return UPDATE_UNITS * videos + LIST_UNITS * math.ceil(videos / VIDEO_IDS_PER_CALL)


def videos_fitting(units: int) -> int:
    """How many videos a push can write with `units`: 50 each plus one videos.list per 50."""
    if units <= 0:
        return 0
    count = units // UPDATE_UNITS
    while count and push_units(count) > units:
        count -= 1
    return count


def quota_remaining_today(now: datetime | None = None) -> tuple[int, int]:
    """(units left today for the Data API, spendable units of a whole day).

    Left today = YOUTUBE_DAILY_QUOTA − YOUTUBE_QUOTA_RESERVE − units the ledger booked today − units
    reserved for change sets scheduled later today (so an ad-hoc push cannot spend them); with
    several projects in the ledger, the least any of them has left (one push may use any).
    """
    now = now or timezone.now()
    spendable = max(settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE, 0)
    reserved = scheduled_units_on(day=pacific_day(now), now=now)
    rows = [row for row in quota_today(now=now) if row.api == "youtube"]
    if not rows:
        return max(spendable - reserved, 0), spendable
    # As quota_charge decides: today's settings against the units booked; nothing once Google refused.
    return min(
        0 if row.exhausted else max(spendable - row.units_used - reserved, 0) for row in rows
    ), spendable


def videos_fitting_today(now: datetime | None = None) -> int:
    """How many videos the push may still write today: what the plan puts on today."""
    return videos_fitting(quota_remaining_today(now)[0])


@dataclass(frozen=True)
class QuotaPlanDay:
    """What the queued pushes send on one Pacific day (today: with what is left of today)."""

    day: date
    changesets: int
    videos: int
    items: int
    quota_units: int  # videos.update per video plus one videos.list per 50 videos
    content_id_calls: int  # claims reads and writes: Content ID's own quota, not planned by budget


@dataclass(frozen=True)
class QuotaPlan:
    days: list[QuotaPlanDay]
    later_videos: int  # videos the plan's days cannot place (beyond the horizon, or never paid for)


def quota_plan(*, user, now: datetime | None = None, days: int | None = None) -> QuotaPlan:
    """Per Pacific day from today, what the queued pushes of the items `user` may see will send.

    A video waits from the Pacific day its earliest waiting item is due (an item deferred until a
    time, the quota reset or a retry, is due on that time's day; any other now) and is pushed once,
    with all its fields. Each day then takes the videos its budget pays for, as the push decides
    (videos_fitting: today what is left of today, later days the whole spendable budget); the rest
    move to the next day, first due first. Content ID calls count on the day they are due.

    `days`: plan exactly that many days (the dashboard's chart); None plans until every video is
    placed, at most PLAN_MAX_DAYS days (the API).
    """
    now = now or timezone.now()
    today = pacific_day(now)
    items = (
        changeset_items_visible_to(user=user)
        .filter(status__in=WAITING_ITEM_STATUSES, changeset__status__in=PUSH_PENDING_STATUSES)
        .order_by()
        .values_list("changeset_id", "video_id", "kind", "deferred_until", "changeset__scheduled_for")
    )
    start_of: dict[str, date] = {}
    changesets_of: dict[str, list[int]] = defaultdict(list)
    claims_due: dict[date, list[int]] = defaultdict(list)
    for changeset_id, video_id, kind, deferred_until, scheduled_for in items.iterator(chunk_size=2000):
        due = max(pacific_day(deferred_until), today) if deferred_until else today
        if scheduled_for is not None and scheduled_for > now:
            due = max(due, pacific_day(scheduled_for))  # a scheduled change set waits for its day
        if kind == ChangeSetItem.Kind.METADATA:
            start_of[video_id] = min(due, start_of.get(video_id, due))
            changesets_of[video_id].append(changeset_id)
        else:
            claims_due[due].append(changeset_id)
    # First due first; by id within a day, as the push claims them.
    queue = sorted(start_of, key=lambda video_id: (start_of[video_id], video_id))
    last_due = max([*start_of.values(), *claims_due], default=today)
    remaining_today, spendable = quota_remaining_today(now)
    horizon = days if days is not None else PLAN_MAX_DAYS
    planned: list[QuotaPlanDay] = []
    taken = 0
    for offset in range(horizon):
        day = today + timedelta(days=offset)
        fit = videos_fitting(remaining_today if offset == 0 else spendable)
        chosen = []
        while len(chosen) < fit and taken < len(queue) and start_of[queue[taken]] <= day:
            chosen.append(queue[taken])
            taken += 1
        claims = claims_due.get(day, [])
        changesets = {changeset_id for video_id in chosen for changeset_id in changesets_of[video_id]}
        planned.append(
            QuotaPlanDay(
                day=day,
                changesets=len(changesets | set(claims)),
                videos=len(chosen),
                items=sum(len(changesets_of[video_id]) for video_id in chosen) + len(claims),
                quota_units=push_units(len(chosen)),
                content_id_calls=2 * len(claims),  # a read (claimSearch or claims.get), then the write
            )
        )
        if days is None and day >= last_due and (taken == len(queue) or spendable < push_units(1)):
            break  # everything is placed, or no later day can pay for a video
    return QuotaPlan(days=planned, later_videos=len(queue) - taken)
