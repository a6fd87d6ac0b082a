"""manage.py load_demo: load the Northwind Records demo catalogue (see devtools/demo.py)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from devtools.demo import (
    DemoCatalogueError,
    demo_catalogue_delete,
    demo_catalogue_load,
    demo_catalogue_video_count,
    demo_users_ensure,
    demo_users_exist,
)

# Above this many videos the load takes long enough to deserve progress lines.
PROGRESS_FROM_VIDEOS = 10_000


class Command(BaseCommand):
    help = (
        "Load a deterministic demo catalogue (1 content owner, 5 channels, videos, rights, "
        "pending changes) so the site opens on a living catalogue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--videos", type=int, default=3000, help="How many videos to generate (default 3000)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed; the same seed gives the same catalogue."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Remove the demo content owner and everything under it first, then load again; "
                "existing demo users get their memberships back."
            ),
        )
        parser.add_argument(
            "--with-users",
            action="store_true",
            help="Also create demo-manager and demo-viewer (staff) with their memberships.",
        )

    def handle(self, *, videos, seed, reset, with_users, verbosity, **options):
        if videos < 0:
            raise CommandError(f"--videos must be 0 or more, not {videos}.")
        try:
            self._load(videos=videos, seed=seed, reset=reset, verbosity=verbosity)
            # A reset drops the memberships with the channels; give existing demo users them back.
            if with_users or (reset and demo_users_exist()):
                self._write_users(demo_users_ensure())
        except DemoCatalogueError as error:
            raise CommandError(str(error)) from error

    def _load(self, *, videos, seed, reset, verbosity) -> None:
        started = time.perf_counter()
        progress = self._progress if verbosity >= 2 or videos >= PROGRESS_FROM_VIDEOS else None
        # One transaction: a failed reload leaves the previous demo catalogue in place.
        with transaction.atomic():
            existing = demo_catalogue_video_count()
            if existing is not None and not reset:
                self.stdout.write(f"Demo catalogue already loaded ({existing:,} videos)")
                return
            if existing is not None:
                removed = demo_catalogue_delete()
                if verbosity >= 1:
                    self.stdout.write(f"Removed the demo catalogue ({removed:,} videos)")
            result = demo_catalogue_load(
                seed=seed, video_count=videos, today=timezone.now().date(), progress=progress
            )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded demo catalogue: 1 content owner, {result.channels:,} channels, "
                f"{result.videos:,} videos ({result.pending:,} with pending changes), "
                f"{result.claims:,} claims on {result.assets:,} assets in {elapsed:.1f} s "
                f"(imported from report #{result.report_id}, {result.report_rows:,} rows)"
            )
        )

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"  {done:,} / {total:,} videos", style_func=str)

    def _write_users(self, users) -> None:
        for user in users:
            if user.password:
                self.stdout.write(
                    f"Created {user.username} ({user.role} of {user.scope}), password: {user.password}"
                    " (shown only now)"
                )
            else:
                self.stdout.write(
                    f"{user.username} already exists ({user.role} of {user.scope}); password unchanged"
                )
