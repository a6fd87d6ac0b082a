from django.core.management.base import BaseCommand, CommandError

from ytcms_site.backups.cli import command_errors
from ytcms_site.backups.services import backup_verify


class Command(BaseCommand):
    help = (
        "Restore a backup (default: the newest) into a scratch database and check it: sha256, "
        "restore, migrations, row counts. Exit 0 only if every check passes."
    )

    def add_arguments(self, parser):
        parser.add_argument("key", nargs="?", help="The backup to verify (default: the newest).")

    def handle(self, *args, key, **options):
        with command_errors():
            verification = backup_verify(key=key, progress=self.stdout.write)
        for check in verification.checks:
            mark = self.style.SUCCESS("ok    ") if check.ok else self.style.ERROR("FAILED")
            self.stdout.write(f"{mark} {check.name}: {check.detail}")
        if not verification.ok:
            raise CommandError(f"verification of {verification.key} FAILED")
        self.stdout.write(self.style.SUCCESS(f"verified {verification.key}"))
