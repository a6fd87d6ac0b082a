"""YouTube sync's live events: change sets, their items' sync status, the quota, the credentials.

Built here from syncs' models and sent by the transport (core.live.transport) after commit.
"""

from collections.abc import Iterable, Mapping
from datetime import date

from django.db import transaction
from django.db.models import Count

from core.live.groups import QUOTA_GROUP, groups_for_event
from core.live.transport import (
    PROGRESS_SECONDS,
    Frame,
    Outgoing,
    Throttle,
    TrailingSender,
    frame,
    publish,
    send_after_commit,
)
from syncs.models import ChangeSet, ChangeSetItem, QuotaLedger, YouTubeCredential
from videos.models import Video

QUOTA_SECONDS = 1.0


# ------------------------------------------------------------------------------ sync_status_update


def publish_sync_status(items: Iterable, *, worded: Mapping[int, dict] | None = None) -> None:
    """sync_status_update per video (and status) of these change set items, after commit.

    `worded` ({item pk: {"base", "theirs", "ours"}}, from the app that owns the items) gives a
    conflict's values as a person reads them: the page shows those, the raw values are for scripts.
    """
    groups_of: dict[tuple, list] = {}
    for item in items:
        groups_of.setdefault((item.video_id, item.changeset_id, item.status), []).append(item)
    if not groups_of:
        return
    snapshot = [
        (
            video_id,
            changeset_id,
            status,
            [item.pk for item in settled],
            next((item.error_message for item in settled if item.error_message), ""),
            [
                {
                    "field": item.field,
                    "base": item.base_value,
                    "theirs": item.theirs_value,
                    "ours": item.new_value,
                    "worded": (worded or {}).get(item.pk),
                }
                for item in settled
                if status == "conflict"
            ],
        )
        for (video_id, changeset_id, status), settled in groups_of.items()
    ]

    def build() -> Outgoing:
        video_ids = {row[0] for row in snapshot}
        scopes = dict(
            (pk, (owner_id, channel_id))
            for pk, owner_id, channel_id in Video.objects.filter(pk__in=video_ids).values_list(
                "pk", "channel__content_owner_id", "channel_id"
            )
        )
        outgoing = []
        for video_id, changeset_id, status, item_ids, error, conflicts in snapshot:
            if video_id not in scopes:
                continue
            owner_id, channel_id = scopes[video_id]
            payload = {
                "video_id": video_id,
                "changeset_id": changeset_id,
                "item_ids": item_ids,
                "status": status,
                "error": error,
                "conflict": conflicts[0] if conflicts else None,
                "conflicts": conflicts,
            }
            outgoing.append(
                (
                    groups_for_event(content_owner_id=owner_id, channel_id=channel_id),
                    frame("sync_status_update", payload),
                )
            )
        return outgoing

    send_after_commit(build)


# ------------------------------------------------------------------------------ changeset_update

_changeset_throttle = Throttle(PROGRESS_SECONDS)
SETTLED_ITEM_STATUSES = ("done", "failed", "conflict", "skipped")


def changeset_numbers(changeset_id: int) -> dict:
    """counts per item status and progress 0-100: the live frame and `youtube_push` show these."""
    counts = dict(
        ChangeSetItem.objects.filter(changeset_id=changeset_id)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    total = sum(counts.values())
    settled = sum(counts.get(status, 0) for status in SETTLED_ITEM_STATUSES)
    return {"counts": counts, "total": total, "progress": int(100 * settled / total) if total else 100}


def changeset_frames(changeset_id: int) -> Outgoing:
    changeset = (
        ChangeSet.objects.filter(pk=changeset_id)
        .only("id", "title", "status", "scheduled_for", "scheduled_tz")
        .first()
    )
    if changeset is None:
        return []
    numbers = changeset_numbers(changeset_id)
    payload = {
        "changeset_id": changeset.pk,
        "status": changeset.status,
        "counts": numbers["counts"],
        "progress": numbers["progress"],
        "title": str(changeset),
        # Release day (#19): the page counts down to it; None when not scheduled.
        "scheduled_for": changeset.scheduled_for.isoformat() if changeset.scheduled_for else None,
        "scheduled_tz": changeset.scheduled_tz,
    }
    # Whoever sees one video of a change set sees the change set (changesets_visible_to).
    scopes = (
        Video.objects.filter(changeset_items__changeset_id=changeset_id)
        .order_by()
        .values_list("channel__content_owner_id", "channel_id")
        .distinct()
    )
    groups: list[str] = []
    for owner_id, channel_id in scopes:
        groups += groups_for_event(content_owner_id=owner_id, channel_id=channel_id)
    if not groups:
        groups = groups_for_event()
    return [(list(dict.fromkeys(groups)), frame("changeset_update", payload))]


def publish_changeset_update(changeset: ChangeSet, *, throttle: bool = False) -> None:
    """changeset_update after commit; `throttle` for progress during a push (state changes always go)."""
    if throttle and not _changeset_throttle.ready(changeset.pk):
        return
    changeset_id = changeset.pk
    send_after_commit(lambda: changeset_frames(changeset_id))


# ------------------------------------------------------------------------------ quota_update

# The quota dashboard's frames: at most one a second per project/API/day, and the last one always.
_quota_sender = TrailingSender(QUOTA_SECONDS)


def quota_frame(*, project: str, api: str, day) -> Frame | None:
    row = QuotaLedger.objects.filter(project=project, api=api, day=day).first()
    if row is None:
        return None
    return frame(
        "quota_update",
        {
            "project": project,
            "api": api,
            "day": day.isoformat() if isinstance(day, date) else str(day),
            "used": row.units_used,
            "budget": row.budget,
            "reserve": row.reserve,
            "remaining": row.remaining,
            "exhausted": row.exhausted_at is not None,
        },
    )


def publish_quota_update(project: str, api: str, day) -> None:
    """quota_update after commit: at most one a second per project/API/day, and the last one always.

    A frame inside the second is kept and sent when the second is over (a timer thread holding the
    frame, never a database connection), so the dashboard always ends on the final count.
    """
    key = (project, api, str(day))

    def run():
        built = quota_frame(project=project, api=api, day=day)
        if built is not None:
            _quota_sender.send(key, [([QUOTA_GROUP], built)])

    transaction.on_commit(run, robust=True)


# ------------------------------------------------------------------------------ credential_update


def publish_credential_update(*, owner_id: str, old_status: str, new_status: str, message: str) -> None:
    """credential_update after commit: an owner's connection to YouTube changed status."""
    publish(
        "credential_update",
        {
            "content_owner_id": owner_id,
            "old_status": old_status,
            "status": new_status,
            "status_display": YouTubeCredential.Status(new_status).label,
            "message": message,
        },
        content_owner_id=owner_id,
    )
