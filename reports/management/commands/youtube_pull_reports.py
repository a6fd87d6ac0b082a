"""Pull new "Daily video metadata" reports from the YouTube Reporting API and queue their import.

.venv/bin/python manage.py youtube_pull_reports [--owner ID] [--dry-run] [--all]
"""

from django.core.management.base import BaseCommand, CommandError

from channels_app.models import ContentOwner
from reports.youtube_pull import youtube_reports_pull


class Command(BaseCommand):
    help = (
        "For each connected content owner (or --owner), list the Reporting API's video metadata "
        "reports and import the newest new one (older new ones are recorded as skipped; when the newest "
        "fails REPORT_PULL_MAX_ATTEMPTS times, the previous one is imported instead)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", metavar="ID", help="Only this content owner.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List and say what would happen; write nothing."
        )
        parser.add_argument(
            "--all",
            action="store_true",
            help="Import every new report, oldest first, instead of only the newest (REPORT_PULL_ONLY_NEWEST).",
        )

    def handle(self, *args, owner, dry_run, all, **options):
        try:
            result = youtube_reports_pull(
                owner_id=owner,
                dry_run=dry_run,
                only_newest=False if all else None,
                progress=self.stdout.write if options["verbosity"] >= 2 else (lambda line: None),
            )
        except ContentOwner.DoesNotExist as error:
            raise CommandError(str(error)) from None
        for pulled in result.owners:
            for report_id, why in pulled.skipped:
                self.stdout.write(f"  {'would skip' if dry_run else 'skipped'} {report_id}: {why}")
        summary = result.summary()
        if not result.ok:
            raise CommandError(summary)
        self.stdout.write(summary)
