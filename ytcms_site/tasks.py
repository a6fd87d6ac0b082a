"""Background tasks of the site itself (django.tasks, queue "default")."""

import io

from django.core.management import call_command
from django.tasks import task


@task()
def ops_daily_task() -> str:
    """The daily operations run (backup, verify, rotate), enqueued by the scheduler."""
    out = io.StringIO()
    call_command("ops_daily", stdout=out, stderr=out)
    return out.getvalue()[-4000:]
