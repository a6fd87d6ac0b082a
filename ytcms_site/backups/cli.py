"""What the backup commands share: errors as CommandError, sizes for people."""

import contextlib

from django.core.management.base import CommandError

from ytcms_site.backups.store import BackupError


@contextlib.contextmanager
def command_errors():
    """A BackupError ends the command with its message and exit code 1."""
    try:
        yield
    except BackupError as error:
        raise CommandError(str(error), returncode=1) from error


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover
