"""When a change set's push runs: the one place that schedules the push task of a change set.

Every path that defers items asks changeset_schedule_push for the time the first of them comes
due: the push task itself, `manage.py youtube_push`, the Push button and the API (through
changeset_queue) and the reaper. Items parked for a broken credential have no such time: they are
scheduled when their owner is connected again (changesets_schedule_parked).

At most one push task waits per change set, so a second press of Push, a push by hand on the same
day or two workers deferring at once leave one task, which runs when the earliest deferred item
comes due.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max

from syncs.models import ChangeSet, ChangeSetItem

PUSH_TASK_PATH = "syncs.tasks.changeset_push_task"


@dataclass(frozen=True)
class ScheduledPush:
    task_id: str
    run_after: datetime | None  # None: as soon as a worker is free
    created: bool  # False: a push task of the change set was already waiting (perhaps moved earlier)
    moved: bool = False  # True: that waiting task was moved earlier, to run_after


def changeset_id_of_task(result) -> int | None:
    """The change set a stored push task (a DBTaskResult) pushes."""
    kwargs = (result.args_kwargs or {}).get("kwargs") or {}
    args = (result.args_kwargs or {}).get("args") or []
    return kwargs.get("changeset_id", args[0] if args else None)


def _run_after(row: DBTaskResult) -> datetime | None:
    return None if row.run_after == get_date_max() else row.run_after


def changeset_schedule_push(*, changeset: ChangeSet, at: datetime | None = None) -> ScheduledPush | None:
    """Have the push task run for this change set at `at` (now when None), once.

    A push task of the change set already waiting to run by then is kept; one waiting for later is
    moved to `at`. None when the task backend cannot run a task later (the caller says what to
    run, and when).
    """
    from syncs.tasks import changeset_push_task

    backend = changeset_push_task.get_backend()
    task = changeset_push_task.using(run_after=at) if at is not None else changeset_push_task
    if not isinstance(backend, DatabaseBackend):
        # Only the database backend is supported (docs/deploy.md); elsewhere nothing to look up.
        if at is not None and not backend.supports_defer:
            return None
        return ScheduledPush(str(task.enqueue(changeset_id=changeset.pk).id), at, True)
    when = at or timezone.now()
    with transaction.atomic():
        # Serialises schedulers of one change set (PostgreSQL; SQLite's writers queue anyway).
        list(ChangeSet.objects.select_for_update().filter(pk=changeset.pk).values_list("pk"))
        waiting = sorted(
            (
                row
                for row in DBTaskResult.objects.filter(
                    task_path=PUSH_TASK_PATH, status=TaskResultStatus.READY, backend_name=backend.alias
                )
                if changeset_id_of_task(row) == changeset.pk
            ),
            key=lambda row: (_run_after(row) is not None, row.run_after),  # "now" first
        )
        if waiting and (_run_after(waiting[0]) is None or waiting[0].run_after <= when):
            return ScheduledPush(str(waiting[0].id), _run_after(waiting[0]), False)
        if waiting:
            moved = DBTaskResult.objects.filter(pk=waiting[0].pk, status=TaskResultStatus.READY).update(
                run_after=at or get_date_max()
            )
            if moved:
                return ScheduledPush(str(waiting[0].id), at, False, moved=True)
        return ScheduledPush(str(task.enqueue(changeset_id=changeset.pk).id), at, True)


def changeset_push_waiting(*, changeset: ChangeSet) -> bool:
    """Whether a push task of the change set waits to run or is running (one will send its items).

    Only the database backend stores tasks to look up; elsewhere (the immediate backend of tests)
    a task has run by the time anyone asks.
    """
    from syncs.tasks import changeset_push_task

    backend = changeset_push_task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return False
    return any(
        changeset_id_of_task(row) == changeset.pk
        for row in DBTaskResult.objects.filter(
            task_path=PUSH_TASK_PATH,
            status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
            backend_name=backend.alias,
        )
    )


def changesets_schedule_parked(*, content_owner) -> list[ScheduledPush]:
    """The owner is connected again: push now what waited for its credential (no time to wait for)."""
    from syncs.changesets.services import OPEN_FOR_PUSH

    parked = ChangeSet.objects.filter(
        status__in=OPEN_FOR_PUSH,
        items__status=ChangeSetItem.Status.DEFERRED,
        items__deferred_until__isnull=True,
        items__video__channel__content_owner=content_owner,
    ).distinct()
    return [scheduled for changeset in parked if (scheduled := changeset_schedule_push(changeset=changeset))]


def changeset_cancel_waiting_push(*, changeset: ChangeSet) -> int:
    """Drop the push tasks of the change set still waiting to run (its schedule was moved or dropped).

    Only for a change set not queued by hand (a draft or approved one): a queued one's waiting task
    is its push. A task already running is left alone. Returns how many were dropped.
    """
    from syncs.tasks import changeset_push_task

    backend = changeset_push_task.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return 0
    waiting = [
        row.pk
        for row in DBTaskResult.objects.filter(
            task_path=PUSH_TASK_PATH, status=TaskResultStatus.READY, backend_name=backend.alias
        )
        if changeset_id_of_task(row) == changeset.pk
    ]
    return DBTaskResult.objects.filter(pk__in=waiting, status=TaskResultStatus.READY).delete()[0]
