"""Who may see which reports, and import into which content owners.

A report spans every channel of its content owner (and its row errors quote any of them), so
access goes with a membership of the content owner itself, not of one of its channels.
"""

from django.conf import settings
from django.db.models import QuerySet

from channels_app.models import EDITING_ROLES, ContentOwner, Membership
from reports.models import Report, ReportsPullOutcome


def reports_visible_to(*, user) -> QuerySet[Report]:
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    if user.is_superuser:
        return Report.objects.all()
    owners = Membership.objects.filter(user=user, content_owner__isnull=False).values("content_owner_id")
    return Report.objects.filter(content_owner_id__in=owners)


def reports_of_owner_visible_to(*, user, owner_id: str) -> bool:
    """Whether the user sees this owner's reports and its Reporting API pulls (reports_visible_to's rule)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or Membership.objects.filter(user=user, content_owner_id=owner_id).exists()


def reports_pull_outcome_of(*, owner_id: str) -> ReportsPullOutcome | None:
    """What the owner's last Reporting API pull found; None when it was never pulled."""
    return ReportsPullOutcome.objects.filter(content_owner_id=owner_id).first()


def report_owners_importable_by(*, user) -> QuerySet[ContentOwner]:
    """Content owners the user may import reports into: an editing role on the owner itself."""
    if not user.is_authenticated or not user.is_active:
        return ContentOwner.objects.none()
    if user.is_superuser:
        return ContentOwner.objects.all()
    owners = Membership.objects.filter(user=user, content_owner__isnull=False, role__in=EDITING_ROLES).values(
        "content_owner_id"
    )
    return ContentOwner.objects.filter(pk__in=owners)


def report_s3_folders(*, user) -> list[str]:
    """The S3 folders (key prefixes in S3_BUCKET_NAME) the user may import reports from.

    Superusers and operators (user None: manage.py import_report) have all of S3_REPORTS_PREFIX;
    anyone else only <prefix><content owner id>/ of the owners they may import into: a shared
    bucket's file names can say whose reports they are.
    """
    prefix = settings.S3_REPORTS_PREFIX
    if user is None or user.is_superuser:
        return [prefix]
    owners = report_owners_importable_by(user=user).order_by("pk").values_list("pk", flat=True)
    return [f"{prefix}{owner_id}/" for owner_id in owners]


def report_is_editable_by(*, user, report: Report) -> bool:
    """May the user re-run, preview or import this report?"""
    if user.is_superuser:
        return True
    if report.content_owner_id is None:
        return False
    return report_owners_importable_by(user=user).filter(pk=report.content_owner_id).exists()
