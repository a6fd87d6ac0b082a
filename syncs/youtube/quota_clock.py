"""The quota clock: Google's quota day is the calendar day in America/Los_Angeles.

It lives in the Google door (beside costs.py) because it is a fact of Google's, and the door's own
errors (QuotaExhausted's reset_at) need it; everything above (the ledger, the planner, the API,
the dashboard, the push) reads the day and the next reset from here.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

# "Daily quotas reset at midnight Pacific Time." [doc determine_quota_cost]
PACIFIC = ZoneInfo("America/Los_Angeles")


def next_quota_reset(now: datetime | None = None) -> datetime:
    """The next midnight in America/Los_Angeles, as an aware UTC datetime."""
    # timezone.now, the clock every other part of ytcms (and the task worker's run_after) reads.
    local = (now or timezone.now()).astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC)
    return midnight.astimezone(UTC)


def pacific_day(now: datetime | None = None) -> date:
    """The quota day: today's date in America/Los_Angeles."""
    return (now or timezone.now()).astimezone(PACIFIC).date()
