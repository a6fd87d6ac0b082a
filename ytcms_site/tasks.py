"""Background tasks of the site itself (django.tasks, queue "default")."""

import io
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.tasks import task
from django.utils import timezone

from core.tasks_reaper import StaleTaskHandler

OPS_DAILY_TASK_PATH = "ytcms_site.tasks.ops_daily_task"


@task()
def ops_daily_task() -> str:
    """The daily operations run (backup, verify, rotate), enqueued by the scheduler."""
    out = io.StringIO()
    call_command("ops_daily", stdout=out, stderr=out)
    return out.getvalue()[-4000:]


class OpsDailyHandler(StaleTaskHandler):
    """A dump and its verification leave no heartbeat and may take hours on a big catalogue.

    The reaper's usual TASKS_STALE_AFTER_SECONDS would fail a backup that is still running; this
    one is stale only after OPS_DAILY_MAX_SECONDS.
    """

    def is_alive(self, result, *, threshold: datetime) -> bool:
        started_at = result.started_at
        return started_at is not None and started_at >= timezone.now() - timedelta(
            seconds=settings.OPS_DAILY_MAX_SECONDS
        )
