"""The YouTube emulator over real HTTP, seeded to match the personas' catalogue (tests/conftest.py).

`emulator` resets and seeds it, and points every YOUTUBE_* setting at it. Nothing here is autouse:
the emulator's own tests (tests/devtools/youtube_emulator/) keep their fixtures.
"""

import json
import os
import urllib.request

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from devtools.youtube_emulator import EmulatorServer
from syncs.changesets.edits import video_edit_in_changeset as video_update
from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet
from syncs.services.connect import youtube_connect_refresh_token
from tests.conftest import channel_id
from videos.models import Asset, Claim, Policy, Video

CLIENT_ID = "ytcms-test.apps.googleusercontent.com"
CLIENT_SECRET = "client-secret-never-logged-7f3a"
API_KEY = "AIza-api-key-never-logged-91c2"
REFRESH_TOKEN_A = "1//refresh-token-a-never-logged-55d1"
REFRESH_TOKEN_B = "1//refresh-token-b-never-logged-0e7b"
ACCOUNT_A = "cms-a@example.com"
ACCOUNT_B = "cms-b@example.com"
PROJECT = "ytcms-test-project"
CHANNEL_A1, CHANNEL_A2, CHANNEL_B1 = channel_id("a"), channel_id("b"), channel_id("c")
# Generated once per run: tests must not depend on a key living in the repository.
ENCRYPTION_KEY = Fernet.generate_key().decode()


def emulator_seed() -> dict:
    """YouTube's side of tests/conftest.py's catalogue; some values differ from what ytcms holds."""
    return {
        "contentOwners": [
            {"id": "owner-a", "displayName": "Label A"},
            {"id": "owner-b", "displayName": "Label B"},
        ],
        "accounts": [
            {"id": ACCOUNT_A, "contentOwners": ["owner-a"]},
            {"id": ACCOUNT_B, "contentOwners": ["owner-b"]},
        ],
        "oauthClients": [
            {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "project": PROJECT, "redirectUris": []}
        ],
        "apiKeys": [{"key": API_KEY, "project": PROJECT}],
        "refreshTokens": [
            {"token": REFRESH_TOKEN_A, "clientId": CLIENT_ID, "account": ACCOUNT_A},
            {"token": REFRESH_TOKEN_B, "clientId": CLIENT_ID, "account": ACCOUNT_B},
        ],
        "settings": {"authorizeAccount": ACCOUNT_A},
        "channels": [
            {
                "id": CHANNEL_A1,
                "contentOwner": "owner-a",
                "snippet": {"title": "A One (YouTube)", "country": "GB"},
                "statistics": {"subscriberCount": "1500", "viewCount": "90000"},
            },
            {"id": CHANNEL_A2, "contentOwner": "owner-a", "snippet": {"title": "A Two"}},
            {"id": CHANNEL_B1, "contentOwner": "owner-b", "snippet": {"title": "B One"}},
        ],
        "videos": [
            _video("a1song00001", CHANNEL_A1, title="Midnight Song", tags=["night"]),
            _video("a1live00001", CHANNEL_A1, title="Live at Dawn"),
            _video("a2clip00001", CHANNEL_A2, title="Studio Clip"),
            _video("b1secret001", CHANNEL_B1, title="Secret Midnight Demo"),
        ],
        "assets": [
            {
                "id": "A111",
                "contentOwner": "owner-a",
                "type": "music_video",
                "metadata": {"title": "Midnight Song (asset)", "isrc": "GBAAA2600001", "customId": "LBL-1"},
            }
        ],
        "policies": [
            {
                "id": "P-monetize",
                "contentOwner": "owner-a",
                "name": "Monetize",
                "rules": [{"action": "monetize"}],
            },
            {"id": "P-b", "contentOwner": "owner-b", "name": "B block", "rules": [{"action": "block"}]},
        ],
    }


def _video(video_id, channel, *, title, tags=("music", "live")) -> dict:
    """The same values as tests/conftest.remote_state, in the API's shape."""
    return {
        "id": video_id,
        "snippet": {
            "channelId": channel,
            "title": title,
            "description": "About the song",
            "tags": list(tags),
            "categoryId": "10",
            "defaultLanguage": "en",
            "publishedAt": "2024-05-01T10:00:00.000Z",
        },
        "status": {
            "privacyStatus": "public",
            "embeddable": True,
            "publicStatsViewable": True,
            "license": "youtube",
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": False,
        },
        "contentDetails": {"duration": "PT4M1S", "definition": "hd", "caption": "false"},
        "statistics": {"viewCount": "1200", "likeCount": "30", "favoriteCount": "0", "commentCount": "4"},
    }


@pytest.fixture(scope="session")
def youtube_emulator():
    with EmulatorServer() as server:
        yield server


class Sleeps(list):
    """The backoff waits the gateway asked for (it never really sleeps in tests)."""


@pytest.fixture
def sleeps(monkeypatch) -> Sleeps:
    waits = Sleeps()
    monkeypatch.setattr("syncs.youtube.gateway.sleep", waits.append)
    return waits


@pytest.fixture
def encryption_key(settings):
    settings.ENCRYPTION_KEYS = [ENCRYPTION_KEY]
    return ENCRYPTION_KEY


@pytest.fixture
def emulator(youtube_emulator, settings, sleeps, encryption_key):
    """A freshly seeded emulator with every YOUTUBE_* setting pointing at it."""
    youtube_emulator.state.reset()
    youtube_emulator.state.load(emulator_seed())
    url = youtube_emulator.url + "/"
    settings.YOUTUBE_API_ENDPOINT = url
    settings.YOUTUBE_PARTNER_API_ENDPOINT = url
    settings.YOUTUBE_REPORTING_API_ENDPOINT = url
    settings.YOUTUBE_TOKEN_URI = youtube_emulator.token_uri
    settings.YOUTUBE_AUTH_URI = youtube_emulator.url + "/o/oauth2/auth"
    settings.YOUTUBE_CLIENT_ID = CLIENT_ID
    settings.YOUTUBE_CLIENT_SECRET = CLIENT_SECRET
    settings.YOUTUBE_API_KEY = None
    settings.YOUTUBE_QUOTA_PROJECT = None
    settings.YOUTUBE_DAILY_QUOTA = 10000
    settings.YOUTUBE_QUOTA_RESERVE = 500
    settings.YOUTUBE_MAX_RETRIES = 4
    settings.YOUTUBE_EMULATOR = True
    settings.YOUTUBE_OAUTH_REDIRECT_URI = None
    return youtube_emulator


@pytest.fixture
def connect():
    """connect(owner, token=REFRESH_TOKEN_A): store an OAuth credential as youtube_connect would."""

    def connect(owner, refresh_token=REFRESH_TOKEN_A):
        return youtube_connect_refresh_token(owner=owner, refresh_token=refresh_token)

    return connect


def api_requests(server, operation=None) -> list[dict]:
    """The emulator's log of API requests (not the token endpoint), oldest first."""
    return [r for r in server.state.requests(operation=operation) if r["api"] != "oauth"]


def pulls_at_once(emulator, runs: int = 2, **pull_options) -> tuple[list, list]:
    """Run youtube_reports_pull in `runs` threads started together, the emulator slowed down so
    that they are in flight at the same time; returns (results, errors)."""
    import threading

    from django.db import connections

    from reports.youtube_pull import youtube_reports_pull

    emulator.state.set_faults(latency_ms=50)
    start = threading.Barrier(runs)
    results, errors = [], []

    def work():
        try:
            start.wait()
            results.append(youtube_reports_pull(**pull_options))
        except Exception as error:  # noqa: BLE001 - the caller asserts there is none
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    emulator.state.set_faults(latency_ms=0)
    return results, errors


def publish_report(emulator, report_id: str) -> dict:
    """A daily report of owner A's video-metadata job, published at the emulator's Reporting API."""
    from devtools.youtube_emulator import reporting as emulator_reporting

    return emulator_reporting.publish_report(emulator.state, {"contentOwner": "owner-a", "id": report_id})


def downloaded_reports(emulator) -> list[str]:
    """The report ids whose media was requested, in order (failed requests included)."""
    return [
        request["path"].rsplit("/", 1)[-1]
        for request in api_requests(emulator, "youtubereporting.media.download")
    ]


@pytest.fixture
def pull_ready_owner(emulator, owner_a, channel_a1, connect, settings):
    """Owner A connected for the report-pull tests: no retries (one broken download is one attempt),
    three attempts per report, only the newest report imported."""
    settings.YOUTUBE_MAX_RETRIES = 0
    settings.REPORT_PULL_MAX_ATTEMPTS = 3
    settings.REPORT_PULL_ONLY_NEWEST = True
    connect(owner_a)
    return owner_a


def studio_edit(server, video_id, **snippet_changes):
    """Someone edits the video in Studio (read-modify-write through the emulator's state API)."""
    stored = server.state.video(video_id)
    snippet = {k: v for k, v in stored["snippet"].items() if k not in ("localized", "thumbnails")}
    snippet.update(snippet_changes)
    stored["snippet"] = snippet
    server.state.load({"videos": [stored]})


def claim_c1(emulator, catalogue, owner_a) -> Claim:
    """Claim C1 of asset A111 on a1song00001 with the saved policy P-monetize, on both sides."""
    emulator.state.load(
        {
            "claims": [
                {
                    "id": "C1",
                    "contentOwner": "owner-a",
                    "assetId": "A111",
                    "videoId": "a1song00001",
                    "contentType": "audiovisual",
                    "policy": {"id": "P-monetize"},
                }
            ]
        }
    )
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    policy = Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    return Claim.objects.create(
        id="C1", video=catalogue["a1_song"], asset=asset, policy=policy, content_type="audiovisual"
    )


@pytest.fixture
def claimed(emulator, catalogue, owner_a):
    return claim_c1(emulator, catalogue, owner_a)


def subprocess_database_url(tmp_path) -> str:
    """A DATABASE_URL for manage.py subprocesses holding what the test committed: the test database
    on PostgreSQL; on SQLite (whose test database lives in memory) a file copy made with VACUUM INTO."""
    database = connection.settings_dict
    if connection.vendor == "postgresql":
        host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
        password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
        return f"postgres://{database['USER']}{password}@{host}:{port}/{database['NAME']}"
    if connection.vendor == "sqlite":
        path = tmp_path / "push.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(path)])
        return f"sqlite:///{path}"
    pytest.skip(f"no subprocess set-up for {connection.vendor}")


def subprocess_env(tmp_path, database_url, emulator) -> dict:
    """The environment of a manage.py subprocess that uses `database_url` and the emulator."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "TASKS_REQUEUE_ON_STALE": "syncs.tasks.changeset_push_task",
        "YTCMS_VAR_DIR": str(tmp_path),
        "DB_CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
        "LOG_TO_FILE": "false",
        "YOUTUBE_API_ENDPOINT": emulator.url + "/",
        "YOUTUBE_TOKEN_URI": emulator.token_uri,
        "YOUTUBE_CLIENT_ID": CLIENT_ID,
        "YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "YOUTUBE_DAILY_QUOTA": "10000",
        "YOUTUBE_QUOTA_RESERVE": "500",
        "YOUTUBE_EMULATOR": "true",
    }
    for name in ("TEST_DATABASE_NAME", "REDIS_URL", "YOUTUBE_API_KEY", "YOUTUBE_QUOTA_PROJECT",
                 "YOUTUBE_PARTNER_API_ENDPOINT", "YOUTUBE_REPORTING_API_ENDPOINT"):  # fmt: skip
        env.pop(name, None)
    return env


def studio_claim_policy(server, claim_id: str, policy: dict) -> dict:
    """Someone changes the claim's policy in Studio: the emulator's control, over HTTP as another
    process would call it (POST /_emulator/claims/<id>/studio-policy)."""
    request = urllib.request.Request(
        f"{server.url}/_emulator/claims/{claim_id}/studio-policy",
        method="POST",
        data=json.dumps({"policy": policy}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


class MovedClock:
    """ytcms's clock (django.utils.timezone.now: the services, the quota ledger, the task worker's
    run_after) and the emulator's (Google's quota day), frozen together at the instant set."""

    def __init__(self, server, monkeypatch):
        self.server, self.monkeypatch = server, monkeypatch

    def set(self, when) -> None:
        from django.utils import timezone

        self.monkeypatch.setattr(timezone, "now", lambda: when)
        self.server.state.clock.set(when, freeze=True)


@pytest.fixture
def clock(emulator, monkeypatch) -> MovedClock:
    return MovedClock(emulator, monkeypatch)


DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports", "syncs"]}
}


def run_task_worker() -> str:
    """`manage.py db_worker --batch` as cron or CI runs it: every task due by the clock, then exit.

    In this process, so it reads the moved clock; the test needs django_db(transaction=True), as
    the worker commits its own transactions. Its signal handlers are put back afterwards.
    """
    import io
    import signal

    from django.core.management import call_command

    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    saved = {number: signal.getsignal(number) for number in handled}
    out = io.StringIO()
    try:
        call_command(
            "db_worker", "--queue-name", "*", "--batch", "--no-reload", "--no-startup-delay", "--interval",
            "0", stdout=out, stderr=out,
        )  # fmt: skip
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    return out.getvalue()


# ---------------------------------------------------------------------- change sets in conflict


@pytest.fixture
def conflicted(emulator, catalogue, owner_a, alice, connect) -> ChangeSet:
    """alice retitled two A1 videos; both were retitled in Studio before the push read them."""
    connect(owner_a)
    video_update(video=catalogue["a1_song"], changes={"title": "Ours song"}, user=alice)
    video_update(video=catalogue["a1_live"], changes={"title": "Ours live"}, user=alice)
    studio_edit(emulator, "a1song00001", title="Theirs song")
    studio_edit(emulator, "a1live00001", title="Theirs live")
    changeset = ChangeSet.objects.get()
    changeset_queue(changeset=changeset, user=alice, enqueue=False)
    changeset_push(changeset=changeset)
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.HAS_CONFLICTS
    assert Video.objects.get(pk="a1song00001").drifted_fields == ["title"]
    return changeset
