"""Events raised in one process reach a browser on a web server that runs in another.

Two ASGI server processes on the Redis layer: an event raised in A reaches a browser on B. One
server on the embedded default (in-memory layer, what `make run` serves): an event raised by a
command in another process (as the task worker, the scheduler or a terminal would) reaches it
through the outbox its relay reads (core/live/outbox.py).

Real processes (uvicorn started as commands, not forked from pytest), a database file (or a
PostgreSQL database of this test's own) every process shares, this run's Redis database (under
xdist, this worker's: tests/workers.py) under a prefix of the test's own, and real websocket clients (the `websockets` package) sending an allowed Origin.
Without REDIS_URL only the embedded-default tests run.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import websockets
from django.conf import settings
from websockets.exceptions import InvalidStatus

ROOT = Path(__file__).resolve().parents[2]
# Real processes: `-m "not slow"` leaves them out.
pytestmark = pytest.mark.slow

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="needs REDIS_URL: two processes only share events through the Redis channel layer",
)

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from channels_app.authentication import api_token_create
from channels_app.models import Channel, ContentOwner, Membership
from videos.services import video_create

owner_a = ContentOwner.objects.create(id="owner-a", name="Label A")
owner_b = ContentOwner.objects.create(id="owner-b", name="Label B")
channel = Channel.objects.create(id="UC" + "a" * 22, title="A One", content_owner=owner_a)
video_create(channel=channel, video_id="twoproc0001", remote={"title": "Before"}, source="api")
User = get_user_model()
users = {}
for name, owner in (("alice", owner_a), ("charlie", owner_b)):
    user = User.objects.create_user(username=name, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=user, content_owner=owner, role="manager")
    client = Client()
    client.force_login(user)
    users[name] = client.cookies["sessionid"].value
_, key = api_token_create(user=User.objects.get(username="alice"), name="two processes")
print(json.dumps({"sessions": users, "token": key}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def shared_database(tmp_path_factory):
    """DATABASE_URL of a migrated database both servers use, dropped afterwards."""
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"test_ytcms_live_2proc_{uuid.uuid4().hex[:6]}"
        admin = dict(
            host=default["HOST"] or None,
            port=default["PORT"] or None,
            user=default["USER"] or None,
            password=default["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        )
        with psycopg.connect(**admin) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        source = urlparse(os.environ["DATABASE_URL"])
        url = urlunparse(source._replace(path=f"/{name}", query=""))
        yield url
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'two-processes.sqlite3'}"


@pytest.fixture(scope="module")
def server_env(shared_database, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("servers")
    env = {
        **os.environ,
        "DATABASE_URL": shared_database,
        "REDIS_PREFIX": f"ytcms-2proc-{uuid.uuid4().hex[:8]}",
        "DEBUG": "true",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "YTCMS_VAR_DIR": str(tmp_path / "var"),
        "LOG_TO_FILE": "false",
        "TASKS_BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "DJANGO_SETTINGS_MODULE": "ytcms_site.settings",
    }
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    env["_SETUP"] = manage_shell(env, SETUP)
    return env


def start_servers(env: dict, count: int, log_dir: Path):
    """Start `count` uvicorn processes; yield their ports once /healthz answers on each."""
    ports, processes = [free_port() for _ in range(count)], []
    for port in ports:
        log = open(log_dir / f"uvicorn-{port}.log", "wb")  # noqa: SIM115 (closed below)
        command = [sys.executable, "-m", "uvicorn", "ytcms_site.asgi:application"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        processes.append(
            (subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log)
        )
    try:
        for port, (process, _) in zip(ports, processes, strict=True):
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, (log_dir / f"uvicorn-{port}.log").read_text()
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"server on port {port} did not start"
                time.sleep(0.3)
        yield ports
    finally:
        for process, log in processes:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


@pytest.fixture(scope="module")
def two_servers(server_env):
    """Two processes on the Redis layer (this run's database, a prefix of their own).

    Not a database of their own (a fixed one would be another xdist worker's): the flushes of
    this worker's caches happen between tests, before the test's sockets open."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    env = {**server_env, "REDIS_URL": settings.REDIS_URL}
    yield from (
        (ports, json.loads(env["_SETUP"]))
        for ports in start_servers(env, 2, Path(env["YTCMS_VAR_DIR"]).parent)
    )


@pytest.fixture(scope="module")
def one_server(server_env):
    """One process on the in-memory layer: what `make run` serves with no REDIS_URL."""
    yield from (
        (ports[0], json.loads(server_env["_SETUP"]))
        for ports in start_servers(server_env, 1, Path(server_env["YTCMS_VAR_DIR"]).parent)
    )


def patch_title(port: int, token: str, title: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/videos/twoproc0001/",
        data=json.dumps({"title": title}).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


async def open_socket(port: int, session: str):
    client = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/live/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": f"sessionid={session}"},
        open_timeout=20,
    )
    status = json.loads(await asyncio.wait_for(client.recv(), 10))
    assert status["type"] == "connection_status"
    return client


async def next_frame(client, timeout: float):
    return json.loads(await asyncio.wait_for(client.recv(), timeout))


@needs_redis
def test_an_edit_through_server_a_reaches_a_browser_on_server_b(two_servers):
    (port_a, port_b), setup = two_servers

    async def scenario():
        alice_on_b = await open_socket(port_b, setup["sessions"]["alice"])
        charlie_on_b = await open_socket(port_b, setup["sessions"]["charlie"])
        try:
            status = await asyncio.to_thread(patch_title, port_a, setup["token"], "After, from A")
            assert status == 200
            update = await next_frame(alice_on_b, 15)
            assert update["type"] == "video_update"
            assert (update["video_id"], update["title"]) == ("twoproc0001", "After, from A")
            assert update["content_owner_id"] == "owner-a" and update["sync_status"] == "pending"
            # The other owner's manager, on the same server, hears nothing of it.
            with pytest.raises(TimeoutError):
                await next_frame(charlie_on_b, 1.5)
        finally:
            await alice_on_b.close()
            await charlie_on_b.close()

    asyncio.run(scenario())


def test_a_foreign_origin_is_refused_by_a_real_server(one_server):
    port_b, setup = one_server

    async def scenario():
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                f"ws://127.0.0.1:{port_b}/ws/live/",
                origin="http://evil.example.net",
                additional_headers={"Cookie": f"sessionid={setup['sessions']['alice']}"},
            )
        assert refused.value.response.status_code == 403

    asyncio.run(scenario())


def test_one_server_on_the_in_memory_layer_delivers_an_edit_made_through_its_api(one_server):
    port, setup = one_server

    async def scenario():
        alice = await open_socket(port, setup["sessions"]["alice"])
        try:
            assert await asyncio.to_thread(patch_title, port, setup["token"], "After, in memory") == 200
            update = await next_frame(alice, 15)
            assert (update["type"], update["title"]) == ("video_update", "After, in memory")
        finally:
            await alice.close()

    asyncio.run(scenario())


MAKE_DORA = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from channels_app.models import ContentOwner, Membership

# Run once per layer on the module's one database: a second run gives dora back what she lost.
dora, _ = get_user_model().objects.update_or_create(
    username="dora", defaults={"is_staff": True, "is_active": True}
)
Membership.objects.get_or_create(
    user=dora, content_owner=ContentOwner.objects.get(id="owner-a"), defaults={"role": "viewer"}
)
client = Client()
client.force_login(dora)
print(json.dumps(client.cookies["sessionid"].value))
"""
REVOKE_DORA = (
    "from channels_app.models import Membership; Membership.objects.filter(user__username='dora').delete()"
)
DEACTIVATE_DORA = """
from django.contrib.auth import get_user_model
dora = get_user_model().objects.get(username="dora")
dora.is_active = False
dora.save()
"""


def manage_shell(env: dict, code: str) -> str:
    """Run code in a process of its own, as an admin's write on another machine would be."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


@pytest.fixture(params=["redis", "embedded"])
def writer_and_listener(request, server_env):
    """(port written through, port listened on, setup, the env of a process of one's own) per layer."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs REDIS_URL")
        (port_a, port_b), setup = request.getfixturevalue("two_servers")
        return port_a, port_b, setup, {**server_env, "REDIS_URL": settings.REDIS_URL}
    port, setup = request.getfixturevalue("one_server")
    return port, port, setup, server_env


def test_access_revoked_in_another_process_reaches_an_open_socket(writer_and_listener):
    port_a, port_b, setup, writer_env = writer_and_listener
    dora_session = json.loads(manage_shell(writer_env, MAKE_DORA))

    async def scenario():
        dora = await open_socket(port_b, dora_session)
        alice = await open_socket(port_b, setup["sessions"]["alice"])
        try:
            await asyncio.to_thread(manage_shell, writer_env, REVOKE_DORA)
            # A title of this run's own: the same title twice is no change, and sends nothing.
            title = f"After dora left, heard on {port_b}"
            assert await asyncio.to_thread(patch_title, port_a, setup["token"], title) == 200
            update = await next_frame(alice, 15)
            assert update["title"] == title
            with pytest.raises(TimeoutError):
                await next_frame(dora, 1.5)

            await asyncio.to_thread(manage_shell, writer_env, DEACTIVATE_DORA)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await next_frame(dora, 15)
            assert closed.value.rcvd.code == 4403
        finally:
            await dora.close()
            await alice.close()

    asyncio.run(scenario())


def report_csv(path: Path, *, videos: int) -> Path:
    header = "video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n"
    rows = [f"cmd{n:08d},UC{'a' * 22},Command import {n},public,True" for n in range(videos)]
    path.write_text(header + "\n".join([*rows, "not-a-video-id,,,,"]) + "\n")
    return path


def import_report(env: dict, path: Path) -> str:
    """manage.py import_report in a process of its own, as someone would run it in a terminal."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_report", str(path), "--content-owner", "owner-a"],
        cwd=ROOT,
        env={**env, "REPORTS_CHUNK_ROWS": "5"},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout


def test_an_import_run_in_another_process_reaches_a_socket_on_the_embedded_default(
    one_server, server_env, tmp_path
):
    port, setup = one_server
    path = report_csv(tmp_path / "from-a-terminal.csv", videos=20)

    async def scenario():
        alice = await open_socket(port, setup["sessions"]["alice"])
        charlie = await open_socket(port, setup["sessions"]["charlie"])
        try:
            summary = await asyncio.to_thread(import_report, server_env, path)
            received = []
            while not received or not received[-1]["done"]:
                received.append(await next_frame(alice, 15))
            # The other owner's manager, on the same server, hears nothing of it.
            with pytest.raises(TimeoutError):
                await next_frame(charlie, 1.5)
            return summary, received
        finally:
            await alice.close()
            await charlie.close()

    summary, received = asyncio.run(scenario())

    assert "Report #" in summary
    assert {frame["type"] for frame in received} == {"processing_update"}
    first, last = received[0], received[-1]
    assert first["progress"] == 0 and not first["done"]
    assert last["report_id"] == first["report_id"] and last["content_owner_id"] == "owner-a"
    assert (last["status"], last["progress"], last["rows_read"], last["rows_rejected"]) == (
        "done",
        100,
        21,
        1,
    )
