"""manage.py youtube_connect: connect a content owner without a browser (refresh token or key file)."""

import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from channels_app.models import ContentOwner
from syncs.services.connect import (
    youtube_connect_refresh_token,
    youtube_connect_service_account,
    youtube_connect_verify,
)
from syncs.youtube.errors import YouTubeError


def _read_secret(path: str) -> str:
    """A secret comes from a file or stdin ("-"), never from the command line (ps, shell history)."""
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None


class Command(BaseCommand):
    help = (
        "Store a content owner's YouTube credential (encrypted) and check it with one cheap call "
        "(channels.list managedByMe, 1 quota unit). The secret is read from a file or stdin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="Content owner id (as in the admin).")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--refresh-token-file",
            metavar="PATH",
            help="File holding a refresh token issued to YOUTUBE_CLIENT_ID ('-' reads stdin).",
        )
        source.add_argument(
            "--service-account-file",
            metavar="PATH",
            help="A service account's JSON key file ('-' reads stdin).",
        )

    def handle(self, *, owner, refresh_token_file, service_account_file, **options):
        content_owner = ContentOwner.objects.filter(pk=owner).first()
        if content_owner is None:
            raise CommandError(f"No content owner {owner!r}; create it in the admin first.")
        try:
            if refresh_token_file:
                credential = youtube_connect_refresh_token(
                    owner=content_owner, refresh_token=_read_secret(refresh_token_file)
                )
            else:
                credential = youtube_connect_service_account(
                    owner=content_owner, key_json=_read_secret(service_account_file)
                )
        except (ValueError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Stored the {credential.get_kind_display()} credential of {owner} (encrypted).")
        try:
            channels = youtube_connect_verify(owner=content_owner)
        except YouTubeError as error:
            raise CommandError(f"Stored, but the test call failed: {error.message}") from None
        self.stdout.write(
            self.style.SUCCESS(f"Connected {owner}: Google lists {channels} channels managed for it.")
        )
