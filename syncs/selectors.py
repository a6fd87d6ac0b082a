"""Reads of the syncs app: today's quota, credential status (never decrypting a secret)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from syncs.models import QuotaLedger, YouTubeCredential
from syncs.youtube.errors import next_quota_reset, pacific_day


@dataclass(frozen=True)
class QuotaDay:
    project: str
    api: str
    day: date
    units_used: int
    budget: int
    reserve: int
    remaining: int
    exhausted: bool
    resets_at: datetime


def quota_today(*, now: datetime | None = None) -> list[QuotaDay]:
    """Every project's and API's use of the current Pacific day (for the API and the dashboard)."""
    now = now or timezone.now()
    resets_at = next_quota_reset(now)
    return [
        QuotaDay(
            project=row.project,
            api=row.api,
            day=row.day,
            units_used=row.units_used,
            budget=row.budget,
            reserve=row.reserve,
            remaining=row.remaining,
            exhausted=row.exhausted_at is not None or row.remaining == 0,
            resets_at=resets_at,
        )
        for row in QuotaLedger.objects.filter(day=pacific_day(now)).order_by("project", "api")
    ]


def credential_status_of(*, owner_id: str) -> YouTubeCredential | None:
    """The owner's credential without its secrets (kind, status, last success, last error)."""
    return YouTubeCredential.objects.filter(owner_id=owner_id).defer(*YouTubeCredential.SECRET_FIELDS).first()
