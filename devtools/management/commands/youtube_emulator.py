"""Serve the YouTube emulator (Data API, Content ID, Reporting, OAuth) in the foreground."""

import json
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.youtube_emulator import EmulatorServer
from devtools.youtube_emulator_seed import emulator_seed_from_db


class Command(BaseCommand):
    help = (
        "Serve a local YouTube emulator until Ctrl-C or SIGTERM. Point YOUTUBE_API_ENDPOINT at the printed URL "
        "and YOUTUBE_TOKEN_URI at <URL>/token; seed and inspect it through <URL>/_emulator/."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--port", type=int, default=8765, help="Port to listen on (default 8765; 0 picks one)."
        )
        parser.add_argument(
            "--seed-file",
            help="JSON file with the initial world (the seed format of devtools.youtube_emulator).",
        )
        parser.add_argument(
            "--seed-from-db",
            action="store_true",
            help=(
                "Seed from the catalogue (owners, channels, videos as YouTube has them, Content ID), "
                "with YOUTUBE_CLIENT_ID/SECRET as the OAuth client; applied before --seed-file."
            ),
        )
        parser.add_argument("--verbose", action="store_true", help="Log every HTTP request.")

    def handle(self, *args, **options):
        seeds = []
        if options["seed_from_db"]:
            if not settings.YOUTUBE_CLIENT_ID or not settings.YOUTUBE_CLIENT_SECRET:
                raise CommandError("--seed-from-db needs YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET.")
            seeds.append(
                emulator_seed_from_db(
                    client_id=settings.YOUTUBE_CLIENT_ID, client_secret=settings.YOUTUBE_CLIENT_SECRET
                )
            )
        if options["seed_file"]:
            try:
                with open(options["seed_file"], encoding="utf-8") as handle:
                    seeds.append(json.load(handle))
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read the seed file {options['seed_file']}: {error}") from error
        try:
            server = EmulatorServer(options["host"], options["port"], verbose=options["verbose"])
            for seed in seeds:
                server.state.load(seed)
        except OSError as error:
            raise CommandError(f"Cannot listen on {options['host']}:{options['port']}: {error}") from error
        except ValueError as error:
            raise CommandError(f"Bad seed: {error}") from error

        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        server.start()
        counts = {
            name: len(getattr(server.state, name)) for name in ("channels", "videos", "claims", "reports")
        }
        self.stdout.write(
            f"YouTube emulator serving at {server.url} (token URI {server.token_uri}); "
            f"seeded {', '.join(f'{n} {k}' for k, n in counts.items())}. Ctrl-C to stop.",
        )
        self.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
        self.stdout.write("YouTube emulator stopped.")
