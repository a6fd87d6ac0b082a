"""The stale-task reaper: background tasks whose worker died are requeued or failed.

django_tasks_db marks a task RUNNING when a worker claims it and only changes that when the
worker finishes it. A worker killed with SIGKILL (or by the OOM killer, or a lost machine)
leaves its task RUNNING forever, and no other worker will ever pick it up. The reaper finds
RUNNING task results started more than TASKS_STALE_AFTER_SECONDS ago and

- marks each FAILED with a StaleTaskError message that says what happened, then
- enqueues the same task again with the same arguments, priority and queue when its path is in
  TASKS_REQUEUE_ON_STALE (tasks safe to run again) and it was requeued fewer than
  TASKS_MAX_REQUEUES times; other stale tasks stay failed.

Apps may register a handler for a task path: it can say a long task is still alive (report
imports heartbeat on their Report row), and hear about requeues and failures to update their
own state (a Report goes back from running to queued). Handlers may also return orphans: their
own objects stuck "running" without any running task (e.g. a killed `import_report` command).

Run it every few minutes from cron:

    */5 * * * *  cd /srv/ytcms && .venv/bin/python manage.py reap_stale_tasks
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

STALE_ERROR_PATH = "core.tasks_reaper.StaleTaskError"


class StaleTaskError(Exception):
    """Recorded on a task result the reaper failed: its worker stopped without finishing it."""


class StaleTaskHandler:
    """What an app tells the reaper about its own tasks. Every method is optional."""

    def is_alive(self, result: DBTaskResult, *, threshold: datetime) -> bool:
        """True when the task shows progress after `threshold`, however long ago it started."""
        return False

    def requeued(self, old: DBTaskResult, new_id: str) -> None:
        """The stale task was failed and enqueued again as new_id (same transaction)."""

    def failed(self, old: DBTaskResult, message: str) -> None:
        """The stale task was failed for good (same transaction)."""

    def orphans(self, *, threshold: datetime) -> list[str]:
        """Describe and requeue the app's own work stuck 'running' without a running task."""
        return []


_handlers: dict[str, StaleTaskHandler] = {}


def register(task_path: str, handler: StaleTaskHandler) -> None:
    _handlers[task_path] = handler


@dataclass
class ReapResult:
    requeued: list[tuple[str, str, str]] = field(default_factory=list)  # (old id, new id, task path)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id, task path)
    alive: list[tuple[str, str]] = field(default_factory=list)  # (id, task path)
    orphans: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.requeued)} stale task(s) requeued, {len(self.failed)} failed, "
            f"{len(self.alive)} long-running but alive, {len(self.orphans)} orphaned job(s) requeued."
        )


def _previous_requeues(result: DBTaskResult) -> int:
    """How many earlier results of the same task and arguments the reaper already failed."""
    earlier = (
        DBTaskResult.objects.filter(task_path=result.task_path, exception_class_path=STALE_ERROR_PATH)
        .exclude(pk=result.pk)
        .values_list("args_kwargs", flat=True)[:1000]
    )
    return sum(1 for args_kwargs in earlier if args_kwargs == result.args_kwargs)


def _stale_message(result: DBTaskResult, now: datetime, *, requeued: bool) -> str:
    minutes = (now - result.started_at).total_seconds() / 60 if result.started_at else 0
    workers = ", ".join(result.worker_ids or []) or "unknown"
    outcome = "It was enqueued again with the same arguments." if requeued else "It was not retried."
    return (
        f"StaleTaskError: the task was RUNNING for {minutes:.0f} minutes without finishing; its worker "
        f"({workers}) was most likely killed (SIGKILL, out of memory, machine lost). {outcome}"
    )


def reap_stale_tasks(
    *, stale_after: int | None = None, now: datetime | None = None, dry_run: bool = False
) -> ReapResult:
    """Requeue or fail every task result RUNNING for longer than `stale_after` seconds."""
    now = now or timezone.now()
    stale_after = settings.TASKS_STALE_AFTER_SECONDS if stale_after is None else stale_after
    threshold = now - timedelta(seconds=stale_after)
    result = ReapResult()
    candidate_ids = list(
        DBTaskResult.objects.running()
        .filter(started_at__lt=threshold)
        .order_by("started_at")
        .values_list("pk", flat=True)
    )
    for task_id in candidate_ids:
        with transaction.atomic():
            stale = (
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(pk=task_id, status="RUNNING")
                .first()
            )
            if stale is None:
                continue  # finished meanwhile, or another reaper has it
            handler = _handlers.get(stale.task_path, StaleTaskHandler())
            if handler.is_alive(stale, threshold=threshold):
                result.alive.append((str(stale.pk), stale.task_path))
                continue
            requeue = (
                stale.task_path in settings.TASKS_REQUEUE_ON_STALE
                and _previous_requeues(stale) < settings.TASKS_MAX_REQUEUES
            )
            if dry_run:
                (result.requeued if requeue else result.failed).append(
                    (str(stale.pk), "", stale.task_path) if requeue else (str(stale.pk), stale.task_path)
                )
                transaction.set_rollback(True)
                continue
            message = _stale_message(stale, now, requeued=requeue)
            stale.status = "FAILED"
            stale.finished_at = now
            stale.exception_class_path = STALE_ERROR_PATH
            stale.traceback = message
            stale.return_value = None
            stale.save(
                update_fields=["status", "finished_at", "exception_class_path", "traceback", "return_value"]
            )
            if requeue:
                try:
                    new = stale.task.enqueue(*stale.args_kwargs["args"], **stale.args_kwargs["kwargs"])
                except Exception as exc:  # the task's code is gone or its queue no longer exists
                    logger.warning("Stale task %s cannot be enqueued again: %s", stale.pk, exc)
                    handler.failed(stale, f"{message} Enqueuing it again failed: {exc}")
                    result.failed.append((str(stale.pk), stale.task_path))
                    continue
                handler.requeued(stale, str(new.id))
                result.requeued.append((str(stale.pk), str(new.id), stale.task_path))
                logger.warning("Stale task %s (%s) requeued as %s.", stale.pk, stale.task_path, new.id)
            else:
                handler.failed(stale, message)
                result.failed.append((str(stale.pk), stale.task_path))
                logger.warning("Stale task %s (%s) failed.", stale.pk, stale.task_path)
    if not dry_run:
        for handler in _handlers.values():
            result.orphans.extend(handler.orphans(threshold=threshold))
    return result
