"""manage.py youtube_pull: read what YouTube has into the catalogue (snapshots, never edits)."""

import time

from django.core.management.base import BaseCommand, CommandError

from channels_app.models import Channel, ContentOwner
from syncs.services.pull import WAITS_SAID_AT_THE_END, PullResult, owner_pull, videos_pull
from syncs.youtube.errors import NeedsReauthorisation, NotConnected, YouTubeError
from videos.arguments import add_video_id_arguments, video_ids_from_options
from videos.models import Video


class Command(BaseCommand):
    help = (
        "Read from YouTube: for --owner its channels (managedByMe), policies, claimed assets and "
        "videos; for --channel, --video and --videos-file those videos (50 per videos.list call; "
        "an id starting with '-' is written --video=-ID). Updates what "
        "YouTube has (snapshot and etag), never a pending edit; marks drift."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", action="append", default=[], help="Content owner id (repeatable).")
        parser.add_argument("--channel", action="append", default=[], help="Channel id (repeatable).")
        add_video_id_arguments(parser)

    def handle(self, *, owner, channel, verbosity, **options):
        video = video_ids_from_options(options)
        if not (owner or channel or video):
            raise CommandError(
                "Say what to pull: --owner ID, --channel ID, --video ID … or --videos-file PATH."
            )
        started = time.perf_counter()
        progress = self.stdout.write if verbosity >= 1 else (lambda line: None)
        result = PullResult()
        try:
            for owner_id in owner:
                content_owner = ContentOwner.objects.filter(pk=owner_id).first()
                if content_owner is None:
                    raise CommandError(f"No content owner {owner_id!r}.")
                try:
                    owner_pull(owner=content_owner, progress=progress, result=result)
                except (NotConnected, NeedsReauthorisation) as error:
                    result.owners_waiting[owner_id] = error.message
                    progress(f"{owner_id}: skipped, {WAITS_SAID_AT_THE_END}")
            video_ids = list(video)
            for channel_id in channel:
                if not Channel.objects.filter(pk=channel_id).exists():
                    raise CommandError(f"No channel {channel_id!r}.")
                video_ids += (
                    Video.objects.filter(channel_id=channel_id).order_by("pk").values_list("pk", flat=True)
                )
            if video:
                unknown = sorted(
                    set(video) - set(Video.objects.filter(pk__in=video).values_list("pk", flat=True))
                )
                if unknown:
                    progress(f"Not in the catalogue, skipped: {', '.join(unknown)}")
            if video_ids:
                videos_pull(video_ids=list(dict.fromkeys(video_ids)), progress=progress, result=result)
        except YouTubeError as error:
            raise CommandError(f"{error.message}\nSo far: {result.summary()}") from None
        elapsed = time.perf_counter() - started
        if result.owners_waiting:
            # One line, what to do first: the reasons can be long, and were not repeated before it.
            raise CommandError(
                f"{result.waits().strip()} So far: {result.summary(waits=False)} ({elapsed:.1f} s)"
            )
        self.stdout.write(self.style.SUCCESS(f"{result.summary()} ({elapsed:.1f} s)"))
