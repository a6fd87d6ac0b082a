from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ytcms_site.backups.cli import command_errors
from ytcms_site.backups.services import backup_create, backup_verify, backups_rotate


class Command(BaseCommand):
    help = (
        "The daily operations run (for cron or a systemd timer): back up, verify the new backup, "
        "and rotate only when it verified, so a broken backup never pushes a good one out."
    )

    def handle(self, *args, **options):
        progress = self.stdout.write if options["verbosity"] >= 2 else (lambda message: None)
        with command_errors():
            backup = backup_create(progress=progress)
            self.stdout.write(f"backup {backup.key} created")
            verification = backup_verify(key=backup.key, progress=progress)
            for check in verification.checks:
                if not check.ok:
                    self.stderr.write(f"FAILED {check.name}: {check.detail}")
            if not verification.ok:
                raise CommandError(f"ops_daily: backup {backup.key} did NOT verify; rotation skipped")
            self.stdout.write(f"backup {backup.key} verified")
            rotation = backups_rotate()
        self.stdout.write(
            self.style.SUCCESS(
                f"ops_daily: {backup.key} verified; kept {len(rotation.kept)} backups "
                f"(daily {settings.BACKUP_KEEP_DAILY}, monthly {settings.BACKUP_KEEP_MONTHLY}), "
                f"deleted {len(rotation.deleted)}"
            )
        )
