"""How the stale-task reaper treats change-set pushes (registered in SyncsConfig.ready).

A push re-reads every video before it writes, so running it again after its worker died never
writes twice: a value YouTube already shows is marked done. What the reaper must do is free the
dead worker's leases (they would otherwise hold the items for LEASE_SECONDS) and, when the task is
not run again, put the change set back to queued so it can be pushed by hand.
Add the task path to TASKS_REQUEUE_ON_STALE to have the reaper run it again by itself.
"""

from django.utils import timezone

from core.tasks_reaper import StaleTaskHandler
from syncs.changesets.scheduling import PUSH_TASK_PATH, changeset_id_of_task, changeset_schedule_push
from syncs.models import ChangeSet, ChangeSetItem


def _release_leases(changeset_id: int) -> int:
    """The dead worker's items become claimable now (a push takes PUSHING items whose lease ended)."""
    now = timezone.now()
    return ChangeSetItem.objects.filter(
        changeset_id=changeset_id, status=ChangeSetItem.Status.PUSHING, leased_until__gt=now
    ).update(leased_until=now, updated_at=now)


class ChangeSetPushHandler(StaleTaskHandler):
    def is_alive(self, result, *, threshold) -> bool:
        # A push of thousands of videos runs longer than TASKS_STALE_AFTER_SECONDS; while its items
        # keep being claimed and settled, its worker lives.
        changeset_id = changeset_id_of_task(result)
        return bool(
            changeset_id
            and ChangeSetItem.objects.filter(changeset_id=changeset_id, updated_at__gt=threshold).exists()
        )

    def requeued(self, old, new_id: str) -> None:
        changeset_id = changeset_id_of_task(old)
        if changeset_id:
            _release_leases(changeset_id)

    def failed(self, old, message: str) -> None:
        from syncs.changesets.push import changeset_settle_status

        changeset_id = changeset_id_of_task(old)
        changeset = ChangeSet.objects.filter(pk=changeset_id).first() if changeset_id else None
        if changeset is None:
            return
        _release_leases(changeset.pk)
        if changeset.status == ChangeSet.Status.PUSHING:
            # Not pushing any more: back to queued (or settled), so the Push button shows again.
            changeset_settle_status(changeset=changeset)

    def orphans(self, *, threshold) -> list[str]:
        """Change sets left pushing by a killed `youtube_push` command (no task to reap): push again."""
        from django_tasks_db.models import DBTaskResult

        waiting = {
            changeset_id_of_task(result)
            for result in DBTaskResult.objects.filter(
                task_path=PUSH_TASK_PATH, status__in=("READY", "RUNNING")
            )
        }
        stuck = (
            ChangeSet.objects.filter(status=ChangeSet.Status.PUSHING, updated_at__lt=threshold)
            .exclude(items__updated_at__gt=threshold)
            .exclude(pk__in=[pk for pk in waiting if pk])
        )
        described = []
        for changeset in stuck:
            _release_leases(changeset.pk)
            changeset_schedule_push(changeset=changeset)
            described.append(f"change set {changeset.pk} ({changeset}): left pushing, pushed again")
        return described
