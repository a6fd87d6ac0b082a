"""Fan-out of live events: N websocket clients on /ws/live/, how long a published event takes to reach them.

    .venv/bin/python bench/fanout.py [--clients 1000] [--baseline 10] [--events 20] [--interval 1]

With REDIS_URL set (the production shape), uvicorn runs in a child process with the Redis channel
layer and this process publishes through Redis, as the task worker does. Without it, uvicorn runs
in a thread of this process with the in-memory layer (the embedded default; the clients then share
the server's GIL, so the figures are pessimistic).

Every client signs in as the same staff user (a viewer of one content owner, so the consumer reads
memberships and joins the owner's group as a real rights manager's page does). Each event goes
through core.live.transport.publish, the helper services call, carrying the time it was sent;
a client records the time it received it. Printed per round: connect time (handshake, session
lookup, group joins, connection_status) p50/p99 and for all clients, delivery latency p50/p99/max
over every (client, event) pair, and frames lost. The baseline round (--baseline clients) runs
first in the same run, against the same server; the ratio of the two p99s says how delivery time
grows with the audience.

DATABASE_URL defaults to a SQLite file of its own (var/bench_fanout.sqlite3), migrated at start.
Target (issue 6): p99 <= 1 s at 1,000 clients.
"""

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "sqlite:///bench_fanout.sqlite3")
os.environ.setdefault("LOG_TO_FILE", "false")
# A development run: DEBUG on gives the checkout's own generated keys (settings refuse to start without them).
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ytcms_site.settings")
warnings.filterwarnings("ignore", category=DeprecationWarning)

TARGET_P99_MS = 1000
OWNER_ID = "bench-fanout"
USERNAME = "bench-fanout-viewer"
# Handshakes in flight at once: a browser fleet reconnecting after a deploy, not a SYN flood.
CONNECT_CONCURRENCY = 100
DELIVERY_TIMEOUT_S = 30


def fail(message: str) -> None:
    print(f"fanout bench: {message}", file=sys.stderr)
    sys.exit(1)


def percentile(samples: list[float], share: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django_and_session() -> str:
    """Migrate, make the bench owner and viewer, and return a session cookie for them."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from channels_app.models import ContentOwner, Membership, Role

    if settings.DATABASES["default"]["NAME"] == "test":
        fail("refusing to use the database `test`.")
    call_command("migrate", verbosity=0)
    owner, _ = ContentOwner.objects.get_or_create(id=OWNER_ID, defaults={"name": "Fan-out bench"})
    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"is_staff": True})
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    Membership.objects.get_or_create(user=user, content_owner=owner, defaults={"role": Role.VIEWER})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


class ThreadServer:
    """uvicorn in a thread of this process: the in-memory layer only reaches consumers here."""

    def __init__(self, port: int):
        import uvicorn

        from ytcms_site.asgi import application

        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.loop = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        async def serve():
            self.loop = asyncio.get_running_loop()
            await self.server.serve()

        asyncio.run(serve())

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                fail("uvicorn did not start")
            time.sleep(0.05)

    async def publish(self, payload: dict) -> None:
        # On the server's loop: the in-memory layer's queues belong to it.
        from asgiref.sync import sync_to_async

        from core.live.transport import publish

        future = asyncio.run_coroutine_threadsafe(
            sync_to_async(publish)("video_update", payload, content_owner_id=OWNER_ID), self.loop
        )
        await asyncio.wrap_future(future)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


class ChildServer:
    """uvicorn in a child process with the Redis layer; events go through Redis from here."""

    def __init__(self, port: int):
        self.port = port
        self.process = None

    def start(self):
        command = [
            sys.executable, "-m", "uvicorn", "ytcms_site.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--ws", "websockets-sansio", "--lifespan", "off", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                fail(f"uvicorn exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    fail("uvicorn did not start within 30 s")
                time.sleep(0.1)

    async def publish(self, payload: dict) -> None:
        from asgiref.sync import sync_to_async

        from core.live.transport import publish

        await sync_to_async(publish, thread_sensitive=False)(
            "video_update", payload, content_owner_id=OWNER_ID
        )

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def run_round(
    server, *, url: str, origin: str, cookie: str, clients: int, events: int, interval: float
):
    from websockets.asyncio.client import connect

    run_id = uuid.uuid4().hex
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    connect_ms: list[float] = []
    latencies_ms: list[float] = []
    expected = clients * events
    all_delivered = asyncio.Event()

    async def open_client():
        async with gate:
            started = time.monotonic()
            ws = await connect(
                url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=60, ping_interval=None
            )
            hello = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if hello.get("type") != "connection_status" or hello.get("status") != "connected":
                fail(f"the consumer answered {hello!r} instead of connection_status")
            connect_ms.append((time.monotonic() - started) * 1000)
            return ws

    async def read(ws):
        async for message in ws:
            received = time.monotonic()
            frame = json.loads(message)
            if frame.get("bench_run") != run_id:
                continue
            latencies_ms.append((received - frame["bench_sent"]) * 1000)
            if len(latencies_ms) == expected:
                all_delivered.set()

    wall = time.monotonic()
    sockets = await asyncio.gather(*(open_client() for _ in range(clients)))
    connect_all_s = time.monotonic() - wall
    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    await asyncio.sleep(0.5)  # every group_add has landed before the first event
    for seq in range(events):
        await server.publish(
            {"video_id": f"bench{seq:06d}", "title": f"event {seq}", "bench_run": run_id,
             "bench_seq": seq, "bench_sent": time.monotonic()}
        )  # fmt: skip
        await asyncio.sleep(interval)
    try:
        await asyncio.wait_for(all_delivered.wait(), DELIVERY_TIMEOUT_S)
    except TimeoutError:
        pass
    for ws in sockets:
        await ws.close()
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {
        "clients": clients,
        "connect_p50": statistics.median(connect_ms),
        "connect_p99": percentile(connect_ms, 0.99),
        "connect_all_s": connect_all_s,
        "p50": statistics.median(latencies_ms) if latencies_ms else float("nan"),
        "p99": percentile(latencies_ms, 0.99),
        "max": max(latencies_ms, default=float("nan")),
        "delivered": len(latencies_ms),
        "expected": expected,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="websocket clients (default 1000)")
    parser.add_argument("--baseline", type=int, default=10, help="clients of the baseline round (default 10)")
    parser.add_argument("--events", type=int, default=20, help="events published per round (default 20)")
    # One a second: the rate at which one import or push sends progress (the live contract's cap).
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events (default 1)")
    args = parser.parse_args()
    if args.clients < 1 or args.baseline < 1 or args.events < 1:
        fail("--clients, --baseline and --events must be at least 1")

    # Every client is a socket here and (in-process) a socket of the server too.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * (args.clients + args.baseline) + 200
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        if min(wanted, hard) < wanted:
            fail(f"needs {wanted} open files; the hard limit is {hard} (ulimit -n)")

    cookie = setup_django_and_session()
    from django.conf import settings

    redis = bool(settings.REDIS_URL)
    port = free_port()
    server = ChildServer(port) if redis else ThreadServer(port)
    layer = "Redis (server in a child process)" if redis else "in-memory (server in this process)"
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(
        f"fan-out: uvicorn 1 worker, channel layer {layer}, {database}; {args.events} events "
        f"{args.interval:g} s apart per round",
        flush=True,
    )
    server.start()
    url, origin = f"ws://127.0.0.1:{port}/ws/live/", f"http://127.0.0.1:{port}"
    rounds = []
    try:
        for clients in (args.baseline, args.clients):
            print(f"round: {clients:,} clients ...", flush=True)
            rounds.append(
                asyncio.run(
                    run_round(
                        server,
                        url=url,
                        origin=origin,
                        cookie=cookie,
                        clients=clients,
                        events=args.events,
                        interval=args.interval,
                    )
                )
            )
    finally:
        server.stop()

    print()
    print(
        f"{'clients':>8} {'connect p50':>12} {'connect p99':>12} {'all connected':>14} "
        f"{'delivery p50':>13} {'p99':>9} {'max':>9} {'delivered':>16}"
    )
    for row in rounds:
        print(
            f"{row['clients']:>8,} {row['connect_p50']:>10.1f}ms {row['connect_p99']:>10.1f}ms "
            f"{row['connect_all_s']:>13.2f}s {row['p50']:>11.1f}ms {row['p99']:>7.1f}ms {row['max']:>7.1f}ms "
            f"{row['delivered']:>7,}/{row['expected']:<8,}"
        )
    baseline, full = rounds
    print()
    print(
        f"p99 at {full['clients']:,} clients vs the {baseline['clients']:,}-client baseline: "
        f"{full['p99'] / baseline['p99']:.1f}x; p50: {full['p50'] / baseline['p50']:.1f}x"
    )
    met = full["p99"] <= TARGET_P99_MS and full["delivered"] == full["expected"]
    print(
        f"target p99 <= {TARGET_P99_MS} ms at {full['clients']:,} clients, nothing lost: "
        f"{'met' if met else 'NOT met'} ({full['p99']:.0f} ms, {full['expected'] - full['delivered']:,} lost)"
    )


if __name__ == "__main__":
    main()
