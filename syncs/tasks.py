"""Background work of the syncs app (django.tasks; `manage.py db_worker --queue-name '*'`)."""

from django.contrib.auth import get_user_model
from django.tasks import task

from syncs.services.pull import videos_pull
from syncs.youtube.errors import QuotaExhausted
from videos.selectors import videos_editable_by


@task(queue_name="syncs")
def videos_refresh(*, video_ids: list[str], user_id: int) -> str:
    """Refresh a big admin selection from YouTube; parked until the quota resets if it runs out."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "Nothing refreshed: the user who asked is gone or inactive."
    # Access is checked again: memberships may have changed while the task waited.
    allowed = list(
        videos_editable_by(user=user).filter(pk__in=video_ids).order_by("pk").values_list("pk", flat=True)
    )
    try:
        return videos_pull(video_ids=allowed).summary()
    except QuotaExhausted as error:
        if not videos_refresh.get_backend().supports_defer:
            raise
        videos_refresh.using(run_after=error.reset_at).enqueue(video_ids=allowed, user_id=user_id)
        return f"{error.message} Parked until then."


@task(queue_name="syncs")
def changeset_push_task(*, changeset_id: int) -> str:
    """Push a queued change set; scheduled again for when deferred items come due (quota reset, retries)."""
    from syncs.changesets.push import changeset_push
    from syncs.changesets.release import changeset_release_refusal
    from syncs.changesets.scheduling import changeset_schedule_push
    from syncs.changesets.services import ChangeSetError
    from syncs.models import ChangeSet

    changeset = ChangeSet.objects.filter(pk=changeset_id).first()
    if changeset is None:
        return f"Change set {changeset_id} is gone."
    # A scheduled change set (#19): not before its moment, and only once approved.
    if (refusal := changeset_release_refusal(changeset=changeset)) is not None:
        return refusal
    try:
        result = changeset_push(changeset=changeset)
    except ChangeSetError as error:
        # Pushed by hand (youtube_push) before this scheduled run came due, or reverted: not a failure.
        return f"Nothing pushed: {error}"
    if result.next_run_at is not None:
        changeset_schedule_push(changeset=changeset, at=result.next_run_at)
    return result.summary()
