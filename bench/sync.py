"""Push one edit per video to the YouTube emulator and count what it costs.

    .venv/bin/python bench/sync.py [--videos 5000]

Needs PostgreSQL. DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/ytcms_bench_sync, a
database of its own (created and migrated if missing; never `test`). The emulator runs in a child
process (manage.py youtube_emulator), so its work does not share this process's GIL.

Prints, per edited video: quota units (target <= 50.1; the floor is 50 for videos.update plus 1/50
for the videos.list read of its batch), API calls, and ytcms's own time: the push's wall time minus
the time spent inside the gateway's HTTP calls (ApiCall.duration_ms: the emulator's answer plus
googleapiclient's request building, so the figure is a slight under-estimate of ytcms's share).
The baseline, measured in the same run, is the naive floor computed from the same batch size.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ytcms_bench_sync"
CLIENT_ID, CLIENT_SECRET = "bench.apps.googleusercontent.com", "bench-secret"
REFRESH_TOKEN, ACCOUNT, PROJECT = "1//bench-refresh-token", "bench@example.com", "bench-project"
CHANNEL = "UC" + "bench" * 4 + "AB"  # channel ids are 24 characters
QUOTA = 10**8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if name == "test":
        sys.exit("bench/sync.py: refusing to use the database `test`.")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=5000)
    args = parser.parse_args()
    n = args.videos
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # A development run: DEBUG on gives the checkout's own generated SECRET_KEY.
    os.environ.setdefault("DEBUG", "true")
    ensure_database(os.environ["DATABASE_URL"])
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ytcms_site.settings",
        YOUTUBE_API_ENDPOINT=url + "/",
        YOUTUBE_TOKEN_URI=url + "/token",
        YOUTUBE_CLIENT_ID=CLIENT_ID,
        YOUTUBE_CLIENT_SECRET=CLIENT_SECRET,
        YOUTUBE_EMULATOR="true",
        YOUTUBE_DAILY_QUOTA=str(QUOTA),
        YOUTUBE_QUOTA_RESERVE="0",
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.db.models import Sum

    logging.getLogger("ytcms.youtube").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)

    from channels_app.models import Channel, ContentOwner
    from syncs.changesets.edits import videos_bulk_edit_in_changeset
    from syncs.changesets.push import changeset_push
    from syncs.changesets.quota_plan import push_units
    from syncs.changesets.services import changeset_queue
    from syncs.models import ApiCall, ChangeSet, QuotaLedger, YouTubeCredential
    from syncs.services.connect import youtube_connect_refresh_token
    from syncs.youtube.mapping import VIDEO_IDS_PER_CALL, video_resource_from_fields
    from videos.models import Video
    from videos.services import BulkEdit, video_create

    ids = [f"bs{i:09d}" for i in range(n)]
    fields = {
        "title": "Bench song",
        "description": "About the song",
        "tags": ["bench", "song"],
        "category_id": "10",
        "default_language": "en",
        "privacy_status": "public",
        "embeddable": True,
        "public_stats_viewable": True,
        "license": "youtube",
        "self_declared_made_for_kids": False,
        "contains_synthetic_media": False,
        "localizations": {},
        "publish_at": None,
    }
    seed = {
        "contentOwners": [{"id": "owner-bench", "displayName": "Bench"}],
        "accounts": [{"id": ACCOUNT, "contentOwners": ["owner-bench"]}],
        "oauthClients": [
            {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "project": PROJECT, "redirectUris": []}
        ],
        "refreshTokens": [{"token": REFRESH_TOKEN, "clientId": CLIENT_ID, "account": ACCOUNT}],
        "channels": [{"id": CHANNEL, "contentOwner": "owner-bench", "snippet": {"title": "Bench"}}],
        "videos": [video_resource_from_fields(video_id=i, channel_id=CHANNEL, fields=fields) for i in ids],
        "quotaLimits": {"youtube": QUOTA},
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(seed, handle)
    emulator = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "youtube_emulator",
            "--port",
            str(port),
            "--seed-file",
            handle.name,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_emulator/state", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("bench/sync.py: the emulator did not start.")

        # A clean slate of bench rows.
        ChangeSet.objects.filter(created_by__username="bench").delete()
        Video.objects.filter(channel_id=CHANNEL).delete()
        QuotaLedger.objects.all().delete()
        ApiCall.objects.all().delete()
        YouTubeCredential.objects.filter(owner_id="owner-bench").delete()
        owner, _ = ContentOwner.objects.get_or_create(id="owner-bench", defaults={"name": "Bench"})
        channel, _ = Channel.objects.get_or_create(
            id=CHANNEL, defaults={"title": "Bench", "content_owner": owner}
        )
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_staff": True})
        print(f"Seeding {n:,} videos …", flush=True)
        videos = [video_create(channel=channel, video_id=i, remote=fields, source="api") for i in ids]
        youtube_connect_refresh_token(owner=owner, refresh_token=REFRESH_TOKEN)
        videos_bulk_edit_in_changeset(
            videos=videos, edit=BulkEdit(find="Bench", replace="Benched", find_in=("title",)), user=user
        )
        changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
        changeset_queue(changeset=changeset, user=user, enqueue=False)
        ApiCall.objects.all().delete()

        started = time.perf_counter()
        result = changeset_push(changeset=changeset)
        wall = time.perf_counter() - started
    finally:
        emulator.terminate()
        emulator.wait()
        os.unlink(handle.name)

    calls = ApiCall.objects.aggregate(units=Sum("quota_units"), ms=Sum("duration_ms"))
    api_calls = ApiCall.objects.count()
    own = wall - (calls["ms"] or 0) / 1000
    edited = result.items_done
    # videos.update each, one videos.list per 50 (costs.py through the planner): 50.02.
    floor = push_units(VIDEO_IDS_PER_CALL) / VIDEO_IDS_PER_CALL
    print(result.summary())
    print(f"{'figure':<40} {'value':>12} {'baseline':>12}")
    print(
        f"{'quota units per edited video':<40} {calls['units'] / edited:>12.3f} {floor:>12.3f}  (target <= 50.1)"
    )
    print(f"{'API calls per edited video':<40} {api_calls / edited:>12.3f} {1 + 1 / 50:>12.3f}")
    print(f"{'ytcms own ms per video (excl. emulator)':<40} {own / edited * 1000:>12.2f}")
    print(f"{'wall ms per video':<40} {wall / edited * 1000:>12.2f}")
    if calls["units"] / edited > 50.1:
        sys.exit("FAIL: more than 50.1 quota units per edited video")


if __name__ == "__main__":
    main()
