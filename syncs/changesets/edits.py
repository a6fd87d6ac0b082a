"""A person's edit of what we want, recorded in their open draft: the use cases every door calls.

videos.services changes a video (validation, pending fields, audit row, live frame) and knows
nothing of change sets; these put the edit in the user's draft as well. The admin's change form
and bulk edit, the API's PATCH and bulk edit, and the edit sheets call them.
"""

from collections.abc import Iterable, Mapping

from django.db import transaction

from syncs.changesets.services import changeset_record_edits
from videos.models import Video
from videos.services import WRITABLE_FIELDS, BulkEdit, BulkEditResult, video_update, videos_bulk_edit


@transaction.atomic
def video_edit_in_changeset(*, video: Video, changes: Mapping, user) -> list[str]:
    """Change what we want for one video and record the edit in the user's open draft; returns the
    names of the fields that changed.

    `video` is read again under its row lock first (it holds the saved values afterwards): two edits
    of different fields never undo each other, and a report import or a push writing the row
    meanwhile waits instead of having its snapshot overwritten by this save. Raises
    VideoValidationError (nothing saved) when a value breaks a YouTube limit.
    """
    video.refresh_from_db(from_queryset=Video.objects.select_for_update())
    # video_update sets new values and leaves the old ones alone: these are the edit's "old".
    before = {name: getattr(video, name) for name in WRITABLE_FIELDS}
    changed = video_update(video=video, changes=changes, user=user)
    writable = {name: (before[name], getattr(video, name)) for name in changed if name in WRITABLE_FIELDS}
    _record(user=user, edits={video: writable})
    return changed


@transaction.atomic
def videos_bulk_edit_in_changeset(*, videos: Iterable[Video], edit: BulkEdit, user) -> BulkEditResult:
    """Apply a bulk edit (videos.services.videos_bulk_edit) and record the saved edits in the
    user's open drafts, one per content owner."""
    result = videos_bulk_edit(videos=videos, edit=edit, user=user)
    _record(user=user, edits=result.edits)
    return result


def _record(*, user, edits: Mapping) -> None:
    """Extend the user's open drafts with the writable-field edits, if there are any."""
    writable = {
        video: {name: values for name, values in changed.items() if name in WRITABLE_FIELDS}
        for video, changed in edits.items()
    }
    writable = {video: changed for video, changed in writable.items() if changed}
    if writable and user is not None:
        changeset_record_edits(user=user, edits=writable)
