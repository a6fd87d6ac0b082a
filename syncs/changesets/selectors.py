"""Reads of change sets: who may see and act on which."""

from django.db.models import Exists, OuterRef, QuerySet

from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.selectors import videos_editable_by, videos_visible_to


def changesets_visible_to(*, user) -> QuerySet[ChangeSet]:
    """Change sets the user made or that touch a video the user may see."""
    if user.is_active and user.is_superuser:
        return ChangeSet.objects.all()
    touches = ChangeSetItem.objects.filter(changeset=OuterRef("pk"), video__in=videos_visible_to(user=user))
    return ChangeSet.objects.filter(Exists(touches)) | ChangeSet.objects.filter(created_by=user)


def changeset_may_act(*, user, changeset: ChangeSet) -> bool:
    """Approve, push or revert: the user may edit every video the change set touches."""
    if not (user.is_active and user.is_staff):
        return False
    video_ids = set(changeset.items.values_list("video_id", flat=True))
    editable = set(videos_editable_by(user=user).filter(pk__in=video_ids).values_list("pk", flat=True))
    return video_ids == editable


def sync_records_visible_to(*, user) -> QuerySet[SyncRecord]:
    if user.is_active and user.is_superuser:
        return SyncRecord.objects.all()
    return SyncRecord.objects.filter(video__in=videos_visible_to(user=user))


# How many audit rows the video's page shows; the rest are one click away in the audit trail.
VIDEO_HISTORY_ROWS = 20


def video_sync_history(*, video_id: str, limit: int = VIDEO_HISTORY_ROWS) -> tuple[list[SyncRecord], int]:
    """The video's newest push attempts (audit rows) and how many there are in all.

    The caller has already checked that the user may see the video.
    """
    records = SyncRecord.objects.filter(video_id=video_id)
    newest = list(records.select_related("user", "changeset").order_by("-created_at", "-id")[:limit])
    total = len(newest) if len(newest) < limit else records.count()
    return newest, total
