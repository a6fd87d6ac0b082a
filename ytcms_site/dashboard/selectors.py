"""The admin dashboard's figures, scoped to what the user may see and cached per scope.

Users with the same memberships see the same numbers, so the cache key is the *scope* (the
content owners and channels of the user's memberships, or "all" for superusers), not the user:
a thousand rights managers of one label cost one set of queries per minute.

Cost on a 10^6-video catalogue: the catalogue counts are one GROUP BY per indexed column
(privacy_status, claimed_status, effective_policy) and two counts served by the partial indexes
video_pending / video_drift; they are cached for CATALOGUE_CACHE_SECONDS, so a page load never
scans the table. They are served stale-while-revalidate: a request that finds them older than
CATALOGUE_CACHE_SECONDS shows them as they are (the page says "as of HH:MM") and queues one refresh
for the scope (tasks.dashboard_refresh_task); only a scope with nothing cached is counted inline.
The activity figures (quota, planned pushes, recent imports and pushes) read small, recent slices
through indexed columns (status, created_at) and are cached for ACTIVITY_CACHE_SECONDS, so that a
refetch after a live event shows the change soon. The next scheduled pushes are not cached: a
schedule changed must show at the next fetch, and they are one bounded query.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from channels_app.selectors import membership_scope_key
from reports.models import Report
from reports.selectors import reports_visible_to
from syncs.changesets.quota_plan import quota_plan
from syncs.changesets.release import changesets_scheduled_next
from syncs.changesets.selectors import sync_records_visible_to
from syncs.models import ChangeSet, SyncRecord
from syncs.selectors import quota_today
from syncs.youtube.quota_clock import pacific_day
from videos.models import Video
from videos.selectors import videos_visible_to

logger = logging.getLogger(__name__)

CATALOGUE_CACHE_SECONDS = 60
# Figures nobody asked for in an hour are dropped and the next visitor counts them inline; this
# also bounds how old the figures shown can get while no worker runs the refreshes.
CATALOGUE_KEEP_SECONDS = 3600
# Long enough to cover a refresh waiting in the queue and running (~2 s at 10^6 videos); a refresh
# that was lost (worker killed) lets the next stale request queue another after this.
REFRESH_LOCK_SECONDS = 300
ACTIVITY_CACHE_SECONDS = 5
# Days of imports and pushes the activity charts show, and Pacific days of planned pushes.
ACTIVITY_DAYS = 14
PLANNED_DAYS = 7
# Effective policies are free-text labels; the chart shows the biggest few and sums the rest.
TOP_POLICIES = 8
CACHE_PREFIX = "ytcms:dashboard"


def dashboard_cache():
    """The "dashboard" cache when the settings define one, else "default"."""
    # The refresh runs in the task worker, so the figures must live where both it and every web
    # process read them (Redis); the per-process "default" only serves a single process well.
    return caches["dashboard" if "dashboard" in settings.CACHES else "default"]


def _catalogue_key(scope: str) -> str:
    return f"{CACHE_PREFIX}:catalogue-as-of:{scope}"


def _refresh_lock_key(scope: str) -> str:
    return f"{CACHE_PREFIX}:catalogue-refresh:{scope}"


def catalogue_refresh(*, user, scope: str, now: datetime | None = None) -> dict:
    """Count the scope's catalogue, store it with the time it was counted, release the refresh lock."""
    cache = dashboard_cache()
    try:
        # The time before counting: the figures are at least as new as this.
        entry = {"computed_at": now or timezone.now(), "counts": catalogue_counts(user=user)}
        cache.set(_catalogue_key(scope), entry, CATALOGUE_KEEP_SECONDS)
        return entry
    finally:
        # If the lock expired and another request took it meanwhile, this frees that one too: at
        # worst one refresh more, never none.
        cache.delete(_refresh_lock_key(scope))


def catalogue_is_fresh(entry: dict | None, *, now: datetime) -> bool:
    return entry is not None and now - entry["computed_at"] < timedelta(seconds=CATALOGUE_CACHE_SECONDS)


def catalogue_refresh_queued(*, user, scope: str) -> str:
    """Run a queued refresh of a scope, counting as the user who asked for it."""
    cache = dashboard_cache()
    # Anyone with the same memberships has the same scope and sees the same videos, so counting
    # as the asking user fills the scope correctly, unless the user changed since the request.
    if user is None or not (user.is_active and user.is_staff) or membership_scope_key(user=user) != scope:
        cache.delete(_refresh_lock_key(scope))
        return "skipped: the user no longer has this scope"
    if catalogue_is_fresh(cache.get(_catalogue_key(scope)), now=timezone.now()):
        cache.delete(_refresh_lock_key(scope))
        return "skipped: already fresh"
    catalogue_refresh(user=user, scope=scope)
    return "refreshed"


def _catalogue_figures(*, user, scope: str, now: datetime) -> tuple[dict, bool]:
    """The scope's catalogue entry and whether a refresh of it is under way."""
    from ytcms_site.dashboard.tasks import dashboard_refresh_task  # tasks.py imports this module

    cache = dashboard_cache()
    entry = cache.get(_catalogue_key(scope))
    if entry is None:
        return catalogue_refresh(user=user, scope=scope, now=now), False
    if catalogue_is_fresh(entry, now=now):
        return entry, False
    # cache.add is atomic on locmem, database and Redis caches: one request per scope wins.
    if not cache.add(_refresh_lock_key(scope), now.isoformat(), REFRESH_LOCK_SECONDS):
        return entry, True
    if isinstance(cache, LocMemCache):
        # A refresh in the task worker would fill the worker's own copy of a per-process cache,
        # which this process never reads: count here. Only the request that took the lock waits.
        return catalogue_refresh(user=user, scope=scope, now=now), False
    try:
        dashboard_refresh_task.enqueue(user_id=user.pk, scope=scope)
    except Exception:
        # Stale figures (labelled with their time) beat an error page; the next request retries.
        cache.delete(_refresh_lock_key(scope))
        logger.exception("Could not queue the dashboard refresh of scope %s", scope)
    return entry, True


def dashboard_data(*, user, now: datetime | None = None) -> dict:
    """Everything the dashboard draws, as JSON-ready data."""
    now = now or timezone.now()
    scope = membership_scope_key(user=user)
    catalogue, refreshing = _catalogue_figures(user=user, scope=scope, now=now)
    activity = dashboard_cache().get_or_set(
        f"{CACHE_PREFIX}:activity:{scope}",
        lambda: {
            "planned": planned_pushes(user=user, now=now),
            "imports": imports_by_day(user=user, now=now),
            "pushes": pushes_by_day(user=user, now=now),
            "worklist": worklist_counts(user=user),
        },
        ACTIVITY_CACHE_SECONDS,
    )
    return {
        "generated_at": now.isoformat(),
        # When the catalogue counts were taken: the only figures that may be older than a few
        # seconds. "refreshing" says newer ones are being counted (the page asks again soon).
        "computed_at": catalogue["computed_at"].isoformat(),
        "refreshing": refreshing,
        "catalogue": catalogue["counts"],
        **activity,
        # Read on every request, not cached with the activity: a (re)schedule, unschedule or push
        # must show at once (its changeset_update frame triggers the refetch), and it is one
        # bounded indexed query (the next SCHEDULED_NEXT).
        "scheduled": scheduled_pushes(user=user, now=now),
        # One small read of today's ledger rows (a handful per project): never worth caching, and
        # quota_update frames move it between refetches anyway.
        "quota": quota_usage(now=now),
    }


def _labelled(rows, choices) -> list[dict]:
    labels = dict(choices)
    return [
        {"key": key, "label": str(labels.get(key, key) or "Unknown"), "count": count}
        for key, count in sorted(rows, key=lambda row: (-row[1], str(row[0])))
    ]


def _grouped(videos, field: str) -> list[tuple[str, int]]:
    # order_by() drops Video's default ordering, which would otherwise join the GROUP BY.
    return list(videos.order_by().values_list(field).annotate(count=Count("pk")).values_list(field, "count"))


def catalogue_counts(*, user) -> dict:
    videos = videos_visible_to(user=user)
    privacy = _grouped(videos, "privacy_status")
    claimed = _grouped(videos, "claimed_status")
    policies = sorted(_grouped(videos, "effective_policy"), key=lambda row: (-row[1], row[0]))
    shown = [(label or "none", count) for label, count in policies[:TOP_POLICIES]]
    rest = sum(count for _, count in policies[TOP_POLICIES:])
    if rest:
        shown.append(("other", rest))
    return {
        "total": sum(count for _, count in privacy),
        "privacy": _labelled(privacy, Video.Privacy.choices),
        "claimed": _labelled(claimed, Video.ClaimedStatus.choices),
        "policy": [{"key": key, "label": key, "count": count} for key, count in shown],
    }


def worklist_counts(*, user) -> dict:
    """Pending changes and drift, kept fresher than the rest: they are what people act on.

    Both counts are served by the partial indexes video_pending and video_drift.
    """
    videos = videos_visible_to(user=user)
    return {
        "pending": videos.filter(has_pending_changes=True).count(),
        "drifted": videos.filter(has_drift=True).count(),
    }


def quota_usage(*, now: datetime) -> dict:
    return {
        "day": pacific_day(now).isoformat(),
        # What a project that made no call yet today may spend (the budget minus the reserve).
        "default_spendable": max(settings.YOUTUBE_DAILY_QUOTA - settings.YOUTUBE_QUOTA_RESERVE, 0),
        "rows": [
            {
                "project": row.project,
                "api": row.api,
                "used": row.units_used,
                "budget": row.budget,
                "spendable": max(row.budget - row.reserve, 0),
                "remaining": row.remaining,
                "exhausted": row.exhausted,
            }
            for row in quota_today(now=now)
        ],
    }


def planned_pushes(*, user, now: datetime) -> dict:
    """Videos and Data API units the visible change sets will push on each coming Pacific day.

    The quota planner's answer (syncs/changesets/quota_plan.py), the one the API's /quota/ and the
    push use: waiting items start on the Pacific day they are due, each day takes what its budget
    pays for (today: what is left of it), the rest moves to the next day.
    """
    plan = quota_plan(user=user, now=now, days=PLANNED_DAYS)
    return {
        "days": [
            {"day": day.day.isoformat(), "videos": day.videos, "units": day.quota_units} for day in plan.days
        ],
        "later_videos": plan.later_videos,
    }


def scheduled_pushes(*, user, now: datetime) -> list[dict]:
    """The next scheduled change sets the user may see (release day, #19): when, how many videos,
    the units reserved, approved or what they still need. Bounded (the next 10), so cheap."""
    return [
        {
            "changeset_id": shown.changeset.pk,
            "title": str(shown.changeset),
            "url": reverse("admin:syncs_changeset_change", args=[shown.changeset.pk]),
            "scheduled_for": shown.changeset.scheduled_for.isoformat(),
            "local": shown.local,
            "pacific": shown.pacific,
            "quota_day": pacific_day(shown.changeset.scheduled_for).isoformat(),
            "videos": shown.videos,
            "units": shown.units,
            "status": shown.changeset.status,
            "approved": shown.changeset.status == ChangeSet.Status.APPROVED,
            "approval": shown.approval,
        }
        for shown in changesets_scheduled_next(user=user, now=now)
    ]


def _by_day(rows, statuses: list[str], *, now: datetime) -> dict:
    first = (now - timedelta(days=ACTIVITY_DAYS - 1)).date()
    days = [first + timedelta(days=n) for n in range(ACTIVITY_DAYS)]
    series = {status: [0] * ACTIVITY_DAYS for status in statuses}
    for day, status, count in rows:
        index = (day - first).days
        if 0 <= index < ACTIVITY_DAYS and status in series:
            series[status][index] += count
    return {"days": [day.isoformat() for day in days], "series": series}


def imports_by_day(*, user, now: datetime) -> dict:
    since = now - timedelta(days=ACTIVITY_DAYS)
    rows = (
        reports_visible_to(user=user)
        .filter(created_at__gte=since)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(count=Count("pk"))
    )
    return _by_day(rows, [s.value for s in Report.Status], now=now)


def pushes_by_day(*, user, now: datetime) -> dict:
    since = now - timedelta(days=ACTIVITY_DAYS)
    rows = (
        sync_records_visible_to(user=user)
        .filter(created_at__gte=since)
        .order_by()
        .annotate(day=TruncDate("created_at"))
        .values_list("day", "status")
        .annotate(count=Count("pk"))
    )
    return _by_day(rows, [s.value for s in SyncRecord.Status], now=now)
