from django.conf import settings
from django.core.management.base import BaseCommand

from ytcms_site.backups.cli import command_errors, human_size
from ytcms_site.backups.services import backup_create, backups_rotate


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc on PostgreSQL, the online backup API on SQLite) with a "
        "manifest, into the `backups` storage. --rotate then applies BACKUP_KEEP_DAILY/MONTHLY."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", default="default", help="Database alias to back up (default: default)."
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="After the backup, delete backups outside BACKUP_KEEP_DAILY days and BACKUP_KEEP_MONTHLY months.",
        )

    def handle(self, *args, database, rotate, **options):
        progress = self.stdout.write if options["verbosity"] >= 1 else (lambda message: None)
        with command_errors():
            backup = backup_create(database_alias=database, progress=progress)
            manifest = backup.manifest
            self.stdout.write(
                self.style.SUCCESS(
                    f"backup {backup.key}: {human_size(backup.size)}, {len(manifest['row_counts'])} tables, "
                    f"{sum(manifest['row_counts'].values()):,} rows, sha256 {manifest['sha256'][:16]}…"
                )
            )
            if rotate:
                rotation = backups_rotate()
                self.stdout.write(
                    f"rotation: kept {len(rotation.kept)} (daily {settings.BACKUP_KEEP_DAILY}, monthly "
                    f"{settings.BACKUP_KEEP_MONTHLY}), deleted {len(rotation.deleted)}"
                    + (
                        f", removed {len(rotation.leftovers_deleted)} leftovers"
                        if rotation.leftovers_deleted
                        else ""
                    )
                )
