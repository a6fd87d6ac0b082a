"""Enqueue the daily jobs when they are due (see ytcms_site.scheduler).

.venv/bin/python manage.py scheduler            # a long-running process, beside db_worker
.venv/bin/python manage.py scheduler --once     # one pass (cron, tests)
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from ytcms_site.scheduler import DAILY_JOBS, scheduler_loop, scheduler_tick


class Command(BaseCommand):
    help = (
        "Enqueue the daily jobs (Reporting API pull at REPORT_PULL_HOUR_UTC, ops_daily at "
        "OPS_DAILY_HOUR_UTC) once per UTC day, cluster-wide; the task worker runs them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="One pass, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            metavar="SECONDS",
            help="Seconds between passes (default SCHEDULER_INTERVAL_SECONDS).",
        )

    def handle(self, *args, once, interval, **options):
        if once:
            self.stdout.write(scheduler_tick().summary())
            return
        interval = interval or settings.SCHEDULER_INTERVAL_SECONDS
        jobs = ", ".join(
            f"{job.name} at {job.hour_utc:02d}:00 UTC" if job.hour_utc is not None else f"{job.name} off"
            for job in DAILY_JOBS
        )
        self.stdout.write(f"scheduler: {jobs}; checking every {interval:g} s (Ctrl-C or SIGTERM stops)")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())

        def report(tick):
            if tick.enqueued:
                self.stdout.write(tick.summary())

        scheduler_loop(interval=interval, stop=stop, on_tick=report)
        self.stdout.write("scheduler: stopped")
