"""Requeue or fail background tasks whose worker was killed (see core.tasks_reaper).

*/5 * * * *  cd /srv/ytcms && .venv/bin/python manage.py reap_stale_tasks
"""

from django.core.management.base import BaseCommand

from core.tasks_reaper import reap_stale_tasks


class Command(BaseCommand):
    help = "Requeue or fail tasks left RUNNING by a killed worker (older than TASKS_STALE_AFTER_SECONDS)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after", type=int, metavar="SECONDS", help="Override TASKS_STALE_AFTER_SECONDS."
        )
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be done.")

    def handle(self, *args, stale_after, dry_run, **options):
        result = reap_stale_tasks(stale_after=stale_after, dry_run=dry_run)
        for old, new, path in result.requeued:
            self.stdout.write(f"requeued {path} {old}" + (f" as {new}" if new else ""))
        for old, path in result.failed:
            self.stdout.write(f"failed   {path} {old}")
        for old, path in result.alive:
            self.stdout.write(f"alive    {path} {old} (recent progress)")
        for line in result.orphans:
            self.stdout.write(f"orphan   {line}")
        self.stdout.write(("Dry run: " if dry_run else "") + result.summary())
