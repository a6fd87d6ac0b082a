"""Import a CMS video report from a local file or S3, in this process, showing progress.

    manage.py import_report PATH_OR_S3_URL [--dry-run] [--content-owner ID]

Exits 0 when the report was processed (rejected rows included: see the report's row errors in
the admin) and non-zero, with the reason, when the file cannot be read at all.
"""

import os
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from channels_app.models import ContentOwner
from core.progress import progress_bar
from reports import s3
from reports.models import Report
from reports.services import report_create_from_path, report_create_from_s3, report_ingest, report_summary

PLAIN_PROGRESS_SECONDS = 5


class Command(BaseCommand):
    help = "Import a YouTube CMS video report (.csv, .csv.gz, .zip) from a local path or s3://bucket/key."

    def add_arguments(self, parser):
        parser.add_argument("source", help="A local file, or s3://bucket/key.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Parse and compare; write nothing to the catalogue."
        )
        parser.add_argument(
            "--content-owner", metavar="ID", help="Content owner the report belongs to (its id)."
        )

    def handle(self, *args, source, dry_run, content_owner, **options):
        owner = None
        if content_owner:
            owner = ContentOwner.objects.filter(pk=content_owner).first()
            if owner is None:
                raise CommandError(f"There is no content owner with id {content_owner!r}.")
        try:
            if source.startswith("s3://"):
                bucket, key = s3.parse_url(source)
                report = report_create_from_s3(
                    bucket=bucket, key=key, content_owner=owner, dry_run=dry_run, enqueue=False
                )
            else:
                if not os.path.isfile(source):
                    raise CommandError(f"{source}: no such file.")
                report = report_create_from_path(
                    path=source, content_owner=owner, dry_run=dry_run, enqueue=False
                )
        except s3.S3Error as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"{source}: {exc.strerror or exc}") from exc

        self._tty = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()
        self._last_plain = 0.0
        report = report_ingest(report_id=report.pk, on_progress=self._progress)
        if self._tty:
            self.stdout.write("\r" + " " * 100 + "\r", ending="")
        if report is None:
            raise CommandError("The report was taken by another worker.")
        if report.status != Report.Status.DONE:
            raise CommandError(f"Report #{report.pk} could not be imported: {report.message}")
        prefix = "Preview (nothing written): " if report.dry_run else ""
        self.stdout.write(f"Report #{report.pk}: {prefix}{report_summary(report)}")
        if report.rows_rejected:
            self.stdout.write(
                f"{report.rows_rejected:,} rows were rejected; their reasons are on report #{report.pk} in the admin "
                "(with a failed-rows CSV to fix and import again)."
            )

    def _progress(self, numbers: dict):
        # Called after every committed chunk (possibly from the merger thread) with the numbers the
        # live processing_update frames carry (reports.events.ReportProgress).
        percent, rate = numbers["progress"], numbers["rate"]
        line = (
            f"{percent:3d}%  {numbers['rows_read']:,} rows  {rate:,.0f} rows/s  "
            f"{numbers['rows_rejected']:,} rejected"
        )
        if self._tty:
            self.stdout.write(f"\r{progress_bar(percent)} {line}", ending="")
            self.stdout.flush()
        elif time.monotonic() - self._last_plain >= PLAIN_PROGRESS_SECONDS:
            self._last_plain = time.monotonic()
            self.stdout.write(line)
