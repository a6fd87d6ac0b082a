"""Reads of the syncs app: today's quota, credential status (never decrypting a secret)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from channels_app.selectors import content_owners_joined_by
from syncs.models import ApiCall, CredentialStatusChange, QuotaLedger, YouTubeCredential, YouTubeReportFile
from syncs.youtube.quota_clock import next_quota_reset, pacific_day


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


# How many status changes the owner's page lists.
CREDENTIAL_CHANGES_SHOWN = 5


def credential_status_changes_of(*, owner_id: str) -> list[CredentialStatusChange]:
    """The newest changes of the owner's connection status, for its admin page."""
    return list(
        CredentialStatusChange.objects.filter(content_owner_id=owner_id).select_related("user")[
            :CREDENTIAL_CHANGES_SHOWN
        ]
    )


def api_calls_visible_to(*, user) -> QuerySet[ApiCall]:
    """The calls to Google made for the content owners the user is an owner-level member of.

    A call names its content owner but no channel (a videos.list batch mixes the owner's
    channels, a Content ID or Reporting call has none, YouTube's messages name any of them), so a
    member of one channel sees none: scoping by channel would mean guessing it from the message.
    """
    if user.is_authenticated and user.is_active and user.is_superuser:
        return ApiCall.objects.all()
    return ApiCall.objects.filter(content_owner__in=content_owners_joined_by(user=user))


def youtube_report_files_visible_to(*, user) -> QuerySet[YouTubeReportFile]:
    """The Reporting API files of the content owners the user is an owner-level member of.

    A report file spans every channel of its owner, as the CMS report it became does
    (reports_visible_to): a member of one channel sees none.
    """
    if user.is_authenticated and user.is_active and user.is_superuser:
        return YouTubeReportFile.objects.all()
    return YouTubeReportFile.objects.filter(content_owner__in=content_owners_joined_by(user=user))
