"""The catalogue's live events: a video_update per changed video, built here, sent by the transport.

Services call `publish_videos_update` after their writes; the frames are read as committed and go
to the video's content owner and channel (core.live.transport sends them after commit).
"""

import logging
from collections.abc import Callable, Iterable, Mapping

from core.live.groups import groups_for_event
from core.live.transport import Outgoing, frame, send_after_commit
from videos.models import Video

logger = logging.getLogger("ytcms.live")

# One admin bulk edit may change up to BULK_EDIT_MAX_VIDEOS videos; a frame per video beyond a page
# or two would only flood every browser, so at most this many video_update frames go out per edit.
VIDEO_UPDATES_PER_EDIT = 1000
BATCH = 500

# What the change sets in flight say of each video ({video id: marks among "conflict", "failed",
# "pushing"}). Change sets live above videos (syncs), so syncs hands its reader in when it is ready
# (SyncsConfig.ready), as every app registers its task handlers with tasks_reaper: videos imports
# no syncs. Until then a video's status comes from its own fields alone.
ChangeSetMarks = Callable[..., Mapping[str, set[str]]]  # (*, videos: {id: Video})
_change_set_marks: ChangeSetMarks | None = None


def video_sync_marks_register(reader: ChangeSetMarks) -> None:
    """Set where video_sync_statuses reads what change sets say of each video (syncs does)."""
    global _change_set_marks
    _change_set_marks = reader


def video_sync_statuses(videos: Iterable[Video]) -> dict[str, str]:
    """Per video: in_sync, pending, pushing, drift, conflict or failed (worst first)."""
    by_id = {video.pk: video for video in videos}
    found: dict[str, set] = {pk: set() for pk in by_id}
    if _change_set_marks is not None and by_id:
        for pk, marks in _change_set_marks(videos=by_id).items():
            found[pk] |= marks
    statuses = {}
    for pk, video in by_id.items():
        marks = found[pk]
        if video.has_drift:
            marks.add("drift")
        if video.pending_fields:
            marks.add("pending")
        statuses[pk] = next(
            (name for name in ("conflict", "failed", "pushing", "drift", "pending") if name in marks),
            "in_sync",
        )
    return statuses


def video_frames(video_ids: Iterable[str]) -> Outgoing:
    ids = list(dict.fromkeys(video_ids))
    outgoing: Outgoing = []
    for start in range(0, len(ids), BATCH):
        videos = list(
            Video.objects.filter(pk__in=ids[start : start + BATCH])
            .select_related("channel")
            .only("id", "title", "channel_id", "channel__content_owner_id", "pending_fields", "has_drift")
        )
        statuses = video_sync_statuses(videos)
        for video in videos:
            owner_id = video.channel.content_owner_id if video.channel_id else None
            payload = {
                "video_id": video.pk,
                "title": video.title,
                "channel_id": video.channel_id,
                "content_owner_id": owner_id,
                "sync_status": statuses[video.pk],
                "pending_fields": list(video.pending_fields),
                "has_drift": video.has_drift,
            }
            groups = groups_for_event(content_owner_id=owner_id, channel_id=video.channel_id)
            outgoing.append((groups, frame("video_update", payload)))
    return outgoing


def publish_videos_update(video_ids: Iterable[str]) -> None:
    """video_update for each of these videos, read as committed (interactive edits and pushes)."""
    ids = list(dict.fromkeys(video_ids))
    if len(ids) > VIDEO_UPDATES_PER_EDIT:
        logger.info(
            "Live: %d videos changed at once; video_update sent for the first %d.",
            len(ids),
            VIDEO_UPDATES_PER_EDIT,
        )
        ids = ids[:VIDEO_UPDATES_PER_EDIT]
    if ids:
        send_after_commit(lambda: video_frames(ids))


def publish_video_update(video: Video) -> None:
    publish_videos_update([video.pk])
