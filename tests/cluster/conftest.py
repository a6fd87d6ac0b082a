"""A whole ytcms cluster on one machine: two uvicorn web servers and two db_workers.

They share nothing but the services a real cluster shares: a PostgreSQL database of their own
(ytcms_cluster_<pid>, created, migrated and dropped here), Redis (the channel layer, under a key
prefix of this run), moto S3 (ThreadedMotoServer on 127.0.0.1) and the YouTube emulator
(in-thread, so the tests can read its request log). Each process has its own YTCMS_VAR_DIR, so a
file one process writes on local disk is invisible to the others, as on separate machines.

Needs DATABASE_URL pointing at PostgreSQL and REDIS_URL (CI's second pass); skipped elsewhere.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.cluster import actions

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
BUCKET = "ytcms-cluster"
CLIENT_ID = "ytcms-cluster.apps.googleusercontent.com"
CLIENT_SECRET = "cluster-client-secret-4c1e"
ACCOUNT = "cms-cluster@example.com"


def skip_reason() -> str | None:
    """Why the cluster tests cannot run here (None: they can)."""
    if urlsplit(os.environ.get("DATABASE_URL", "")).scheme not in ("postgres", "postgresql", "pgsql"):
        return "cluster tests need PostgreSQL: set DATABASE_URL=postgres://… (and REDIS_URL), as CI's second pass does"
    if not os.environ.get("REDIS_URL"):
        return "cluster tests need Redis for the channel layer between processes: set REDIS_URL"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def emulator_seed(videos: int) -> dict:
    return {
        "contentOwners": [{"id": actions.OWNER_ID, "displayName": "Cluster label"}],
        "accounts": [{"id": ACCOUNT, "contentOwners": [actions.OWNER_ID]}],
        "oauthClients": [
            {
                "clientId": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
                "project": "ytcms-cluster",
                "redirectUris": [],
            }
        ],
        "refreshTokens": [{"token": actions.REFRESH_TOKEN, "clientId": CLIENT_ID, "account": ACCOUNT}],
        # 500 videos.update cost 25,000 units: more than a real project's default day.
        "quotaLimits": {"youtube": 100_000_000},
        "channels": [
            {
                "id": actions.CHANNEL_ID,
                "contentOwner": actions.OWNER_ID,
                "snippet": {"title": "Cluster channel"},
            }
        ],
        "videos": [
            {
                "id": video_id,
                "snippet": {
                    "channelId": actions.CHANNEL_ID,
                    "title": video_id,
                    "description": "Cluster video",
                    "tags": ["cluster"],
                    "categoryId": "10",
                    "defaultLanguage": "en",
                },
                "status": {
                    "privacyStatus": "public",
                    "embeddable": True,
                    "publicStatsViewable": True,
                    "license": "youtube",
                    "selfDeclaredMadeForKids": False,
                    "containsSyntheticMedia": False,
                },
            }
            for video_id in actions.video_ids(videos)
        ],
    }


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"---- {self.name} ({self.log})\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    root: Path
    env: dict
    database_url: str
    emulator: object
    s3: object
    web: list[str] = field(default_factory=list)
    processes: dict[str, Process] = field(default_factory=dict)

    def process_env(self, name: str, **extra) -> dict:
        var = self.root / name / "var"
        var.mkdir(parents=True, exist_ok=True)
        return {**self.env, "YTCMS_VAR_DIR": str(var), **extra}

    def manage(self, *args: str, name: str = "manage", timeout: int = 180, input: str | None = None) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.process_env(name),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def action(self, name: str, **arguments) -> dict:
        done = subprocess.run(
            [PYTHON, "-m", "tests.cluster.actions", name, json.dumps(arguments)],
            cwd=ROOT,
            env=self.process_env("actions"),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode:
            raise AssertionError(f"action {name} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start(self, name: str, command: list[str], **extra_env) -> Process:
        log = self.root / f"{name}.log"
        handle = log.open("ab")
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.process_env(name, **extra_env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a kill -9 of it never reaches pytest
        )
        handle.close()
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def start_web(self, name: str) -> str:
        port = free_port()
        self.start(
            name,
            [
                PYTHON,
                "-m",
                "uvicorn",
                "ytcms_site.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-config",
                str(ROOT / "ytcms_site" / "uvicorn_logging.json"),
            ],
            DB_POOL="1",
        )
        url = f"http://127.0.0.1:{port}"
        self.wait_http(url + "/healthz", name)
        self.web.append(url)
        return url

    def start_worker(self, worker_id: str) -> Process:
        return self.start(
            worker_id,
            [
                PYTHON,
                "manage.py",
                "db_worker",
                "--queue-name",
                "*",
                "--interval",
                "0.2",
                "--no-reload",
                "--no-startup-delay",
                "--worker-id",
                worker_id,
            ],
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.kill(process.popen.pid, signal.SIGKILL)
        process.popen.wait(timeout=10)

    def wait_http(self, url: str, name: str, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].popen.poll() is not None:
                raise AssertionError(f"{name} exited at start-up:\n{self.processes[name].tail()}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"{name} did not answer {url} within {timeout} s:\n{self.processes[name].tail()}"
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def logs(self) -> str:
        return "\n".join(process.tail() for process in self.processes.values())

    def stop(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=5)


def _database_url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + name))


def _psycopg_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql", query=""))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    import boto3
    import psycopg
    from cryptography.fernet import Fernet
    from moto.server import ThreadedMotoServer

    from devtools.youtube_emulator import EmulatorServer

    videos = 500
    name = f"ytcms_cluster_{os.getpid()}"
    admin_url = _psycopg_url(_database_url("postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    moto_host, moto_port = moto.get_host_and_port()
    moto_url = f"http://{moto_host}:{moto_port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="cluster",
        aws_secret_access_key="cluster-secret",
    )
    s3.create_bucket(Bucket=BUCKET)
    emulator = EmulatorServer(host="127.0.0.1", port=0, seed=emulator_seed(videos)).start()

    database_url = _database_url(name)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("YOUTUBE_", "AWS_", "S3_", "DJANGO_", "PYTEST", "DB_POOL", "TEST_DATABASE"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "REDIS_URL": os.environ["REDIS_URL"],
            "REDIS_PREFIX": f"ytcms-cluster-{os.getpid()}",
            "DEBUG": "true",
            "SECRET_KEY": "cluster-" + "k" * 60,
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "LOG_TO_FILE": "false",
            # The tests read the workers' INFO lines (one per YouTube call) in plain format.
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "plain",
            "S3_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": moto_url,
            "AWS_S3_ADDRESSING_STYLE": "path",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster-secret",
            "YOUTUBE_API_ENDPOINT": emulator.url + "/",
            "YOUTUBE_PARTNER_API_ENDPOINT": emulator.url + "/",
            "YOUTUBE_REPORTING_API_ENDPOINT": emulator.url + "/",
            "YOUTUBE_TOKEN_URI": emulator.token_uri,
            "YOUTUBE_AUTH_URI": emulator.url + "/o/oauth2/auth",
            "YOUTUBE_CLIENT_ID": CLIENT_ID,
            "YOUTUBE_CLIENT_SECRET": CLIENT_SECRET,
            "YOUTUBE_EMULATOR": "1",
            "YOUTUBE_DAILY_QUOTA": "100000000",
            # The reaper treats a task as stale after 2 s without progress (900 s in production),
            # and a push may be run again: every push re-reads before it writes.
            "TASKS_STALE_AFTER_SECONDS": "2",
            "TASKS_REQUEUE_ON_STALE": "reports.tasks.report_ingest_task,syncs.tasks.changeset_push_task",
            "REPORTS_CHUNK_ROWS": "1000",
        }
    )
    cluster = Cluster(
        root=tmp_path_factory.mktemp("cluster"),
        env=env,
        database_url=_psycopg_url(database_url),
        emulator=emulator,
        s3=s3,
    )
    try:
        cluster.manage("migrate", "--noinput")
        cluster.action("setup", videos=videos)
        cluster.start_web("web-a")
        cluster.start_web("web-b")
        cluster.start_worker("w1")
        cluster.start_worker("w2")
        cluster.videos = videos
        yield cluster
    finally:
        cluster.stop()
        emulator.stop()
        moto.stop()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
