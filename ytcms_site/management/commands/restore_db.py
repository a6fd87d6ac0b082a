import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from core.env import database_from_url
from ytcms_site.backups.cli import command_errors
from ytcms_site.backups.services import backup_restore, live_database_alias


def _where(target: dict) -> str:
    """The target for people: host and name, never the password."""
    if target["ENGINE"].endswith("sqlite3"):
        return f"SQLite file {target['NAME']}"
    host = target.get("HOST") or "local socket"
    port = f":{target['PORT']}" if target.get("PORT") else ""
    return f"PostgreSQL database {target['NAME']} on {host}{port}"


class Command(BaseCommand):
    help = (
        "Restore a backup into the database DATABASE_URL names. Restoring over the site's own "
        "database needs --force-live and the database's name typed on standard input."
    )
    # call_command(..., stdin=StringIO("name\n")) in tests, as createsuperuser does.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("key", help="The backup to restore, as list_backups shows it.")
        parser.add_argument(
            "--into",
            required=True,
            metavar="DATABASE_URL",
            help="postgres://user@host:port/name or sqlite:///path; a missing PostgreSQL database is created.",
        )
        parser.add_argument(
            "--force-live",
            action="store_true",
            help="Allow restoring over the database this site uses (then type its name to confirm).",
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt. A restore over the live database is then refused.",
        )

    def handle(self, *args, key, into, force_live, interactive, **options):
        try:
            target = database_from_url(into, base_dir=settings.VAR_DIR, conn_max_age=0)
        except ImproperlyConfigured as error:
            raise CommandError(f"--into: {error}") from None
        where = _where(target)
        live_alias = live_database_alias(target)
        if live_alias is not None:
            self._confirm_live(
                target, where, live_alias, force_live=force_live, interactive=interactive, **options
            )
        with command_errors():
            result = backup_restore(key=key, target=target, progress=self.stdout.write)
        for problem in result.migration_problems:
            self.stdout.write(self.style.WARNING(f"migrations: {problem}"))
        if not result.counts_ok:
            raise CommandError(
                f"{result.key} was restored into {where}, but the row counts differ from the manifest: "
                f"{result.counts_detail}"
            )
        self.stdout.write(self.style.SUCCESS(f"restored {result.key} into {where}: {result.counts_detail}"))

    def _confirm_live(self, target, where, alias, *, force_live, interactive, **options):
        name = target["NAME"]
        if not force_live:
            raise CommandError(
                f"{where} is the database this site uses (alias {alias!r}). Restoring replaces "
                f"everything in it. To do that anyway, add --force-live and type its name when asked."
            )
        if not interactive:
            raise CommandError(
                f"Refusing to restore over the live {where} without a typed confirmation; "
                f"run without --no-input and type {name!r} when asked."
            )
        stdin = options.get("stdin") or sys.stdin
        self.stdout.write(
            self.style.WARNING(
                f"This replaces the live {where} with the backup. Type its name ({name}) to go on: "
            ),
            ending="",
        )
        self.stdout.flush()
        answer = stdin.readline().strip()
        if not getattr(stdin, "isatty", lambda: False)():
            self.stdout.write("")  # a piped answer is not echoed: end the prompt's line ourselves
        if answer != name:
            raise CommandError("The name typed does not match; nothing was restored.")
