import json

from django.core.management.base import BaseCommand

from ytcms_site.backups.cli import command_errors, human_size
from ytcms_site.backups.services import backups_list
from ytcms_site.backups.store import backup_storage, describe


class Command(BaseCommand):
    help = "List complete backups (those with a manifest), newest first, with their verification state."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="One JSON array instead of a table.")

    def handle(self, *args, **options):
        with command_errors():
            backups = backups_list(with_storage_class=True)
        if options["json"]:
            rows = [
                {
                    "key": backup.key,
                    "size": backup.size,
                    "created_at": backup.manifest["created_at"],
                    "storage_class": backup.storage_class,
                    "database_vendor": backup.vendor,
                    "verified": backup.verification.get("ok") if backup.verification else None,
                    "verified_at": backup.verification.get("verified_at") if backup.verification else None,
                }
                for backup in backups
            ]
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not backups:
            self.stdout.write(f"no backups in {describe(backup_storage())}")
            return
        header = ("key", "size", "created (UTC)", "class", "verified")
        rows = [
            (
                backup.key,
                human_size(backup.size),
                backup.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                backup.storage_class,
                backup.verified_label,
            )
            for backup in backups
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        self.stdout.write(f"{len(backups)} backup(s) in {describe(backup_storage())}")
