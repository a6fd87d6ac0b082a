"""A small scheduler for the daily jobs: it enqueues their tasks; the task worker runs them.

`manage.py scheduler` loops (every SCHEDULER_INTERVAL_SECONDS) and enqueues each daily job once
its UTC hour has come, once per UTC day. Several scheduler processes may run (one per machine,
for availability): a job's run for a day is a ScheduledRun row with a unique (job, day), inserted
in the same transaction that enqueues the task, so exactly one process enqueues it — on SQLite
and PostgreSQL alike. `manage.py scheduler --once` does one pass, for cron and tests.

A day whose hour passed while no scheduler ran is caught up as soon as one runs that same day;
earlier days are not (both jobs work from the current state, so one run covers the gap).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ytcms_site.models import ScheduledRun

logger = logging.getLogger("ytcms.scheduler")


@dataclass(frozen=True)
class DailyJob:
    name: str
    task_path: str  # a django.tasks Task, enqueued without arguments
    hour_setting: str  # the setting holding its UTC hour (None: the job is off)

    @property
    def hour_utc(self) -> int | None:
        return getattr(settings, self.hour_setting)

    def due(self, now: datetime) -> bool:
        hour = self.hour_utc
        return hour is not None and now.astimezone(UTC).hour >= hour


DAILY_JOBS = (
    DailyJob("reports_pull", "reports.tasks.reports_pull_from_youtube", "REPORT_PULL_HOUR_UTC"),
    DailyJob("ops_daily", "ytcms_site.tasks.ops_daily_task", "OPS_DAILY_HOUR_UTC"),
)


@dataclass
class Tick:
    day: date
    enqueued: list[ScheduledRun]
    already: list[str]  # due, but run today already (by this or another scheduler)
    not_due: list[str]

    def summary(self) -> str:
        parts = [f"enqueued {', '.join(f'{r.job} (task {r.task_id})' for r in self.enqueued) or 'nothing'}"]
        if self.already:
            parts.append(f"already run today: {', '.join(self.already)}")
        if self.not_due:
            parts.append(f"not due yet: {', '.join(self.not_due)}")
        return f"{self.day}: " + "; ".join(parts) + "."


def _claim_and_enqueue(job: DailyJob, day: date) -> ScheduledRun | None:
    """Insert the (job, day) row and enqueue the task in one transaction; None if it exists."""
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job.name, day=day, host=socket.gethostname()[:255])
            # With the database task backend the task row commits (or not) with the ScheduledRun.
            result = import_string(job.task_path).enqueue()
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
            return run
    except IntegrityError:
        return None


def scheduler_tick(*, now: datetime | None = None, jobs=DAILY_JOBS) -> Tick:
    """Enqueue every daily job that is due and has not run today."""
    now = now or timezone.now()
    day = now.astimezone(UTC).date()
    tick = Tick(day=day, enqueued=[], already=[], not_due=[])
    for job in jobs:
        if not job.due(now):
            tick.not_due.append(job.name)
            continue
        if ScheduledRun.objects.filter(job=job.name, day=day).exists():
            tick.already.append(job.name)
            continue
        run = _claim_and_enqueue(job, day)
        if run is None:
            tick.already.append(job.name)
        else:
            logger.info("Scheduler enqueued %s for %s as task %s", job.name, day, run.task_id)
            tick.enqueued.append(run)
    return tick


def scheduler_loop(
    *,
    interval: float,
    stop: threading.Event,
    on_tick: Callable[[Tick], None] = lambda tick: None,
) -> None:
    """Tick every `interval` seconds until `stop` is set; a failing tick is logged, not fatal."""
    while not stop.is_set():
        close_old_connections()  # a long-lived process must not keep a dead connection
        try:
            on_tick(scheduler_tick())
        except Exception:
            logger.exception("Scheduler tick failed; trying again in %s s", interval)
        stop.wait(interval)
    close_old_connections()
