"""Does ytcms scale out? Ingest with 1 vs 2 workers, list API with 1 vs 2 web processes.

    .venv/bin/python bench/cluster.py [--videos 50000] [--seconds 15] [--concurrency 32]

Needs PostgreSQL. DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/ytcms_bench_cluster,
a database of its own: dropped, created and migrated at every run (never `test`).

- Ingest: two generated a4 reports (--videos each, different seeds) are queued at once, with 1 and
  then 2 `db_worker` processes already running; the time runs from the enqueue until both are
  done. Rows/s = rows of both files / that time. The catalogue is flushed between the two runs.
- List API: GET /api/v1/videos/?page_size=50 with an API token, at concurrency 32 from an asyncio
  client (keep-alive connections), against 1 and then 2 uvicorn processes on their own ports; the
  client spreads its connections over them as a load balancer would.

The figures are printed with their ratios. On a 2-core machine the client, PostgreSQL and the
processes measured share the same two cores, so near-linear gains are not expected; docs/deploy.md
explains what the ratios show.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
GENERATOR = ROOT / "tests" / "reports" / "generators" / "gen_a4_report.py"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ytcms_bench_cluster"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
sys.path.insert(0, str(ROOT))


def fail(message: str) -> None:
    print(f"cluster bench: {message}", file=sys.stderr)
    sys.exit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        fail("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if name in ("", "test", "postgres") or name.startswith("test_"):
        fail(f"refusing to drop the database {name!r}; give the bench a database of its own")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def child_env(var_dir: Path, **extra) -> dict:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", ""),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "LOG_TO_FILE": "false",
        "YTCMS_VAR_DIR": str(var_dir),
        "API_THROTTLE_USER": "100000000/hour",
        "API_THROTTLE_TOKEN": "100000000/hour",
        "PYTHONPATH": str(ROOT),
    }
    env.update(extra)
    return env


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as handle:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# ---------------------------------------------------------------------------------- ingest


def generate(videos: int, seed: int, out_dir: Path) -> tuple[Path, int]:
    path = out_dir / f"bench-cluster-{videos}-{seed}.csv"
    stats = out_dir / f"bench-cluster-{videos}-{seed}.json"
    if not (path.exists() and stats.exists()):
        subprocess.run(
            [sys.executable, str(GENERATOR), "--videos", str(videos), "--seed", str(seed)]
            + ["--out", str(path), "--stats", str(stats)],
            check=True,
            capture_output=True,
        )
    return path, json.loads(stats.read_text())["rows"]


def fresh_catalogue():
    """An empty catalogue with one content owner and one superuser (returned)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from channels_app.models import ContentOwner

    call_command("flush", interactive=False, verbosity=0)
    ContentOwner.objects.create(id="bench-owner", name="Bench label")
    return get_user_model().objects.create_superuser(
        username="bench", email="", password=secrets.token_hex(16)
    )


def ingest(workers: int, files: list[Path], rows: int, var_dir: Path, logs: Path) -> dict:
    from channels_app.models import ContentOwner
    from reports.models import Report
    from reports.services import report_create_from_path

    user = fresh_catalogue()
    owner = ContentOwner.objects.get()
    env = child_env(var_dir)
    processes = []
    try:
        for n in range(workers):
            log = logs / f"ingest-{workers}-w{n + 1}.log"
            log.unlink(missing_ok=True)
            processes.append(
                start(
                    [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.2"]
                    + ["--no-reload", "--no-startup-delay", "--worker-id", f"bench-w{n + 1}"],
                    {**env, "LOG_LEVEL": "INFO"},
                    log,
                )
            )
        # Time the imports, not Python starting: wait until every worker polls the queue.
        deadline = time.monotonic() + 120
        while not all(
            "Starting worker" in (logs / f"ingest-{workers}-w{n + 1}.log").read_text() for n in range(workers)
        ):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                fail(f"workers did not start; see {logs}")
            time.sleep(0.2)
        started = time.perf_counter()
        reports = [report_create_from_path(path=str(path), user=user, content_owner=owner) for path in files]
        ids = [report.pk for report in reports]
        while True:
            states = list(Report.objects.filter(pk__in=ids).values_list("status", flat=True))
            if all(state in ("done", "failed") for state in states):
                break
            if any(p.poll() is not None for p in processes):
                fail(f"a worker died; see {logs}")
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        stop(processes)
    done = Report.objects.filter(pk__in=ids)
    if any(r.status != "done" for r in done):
        fail("an import failed: " + "; ".join(f"#{r.pk} {r.status}: {r.message[:200]}" for r in done))
    read = sum(r.rows_read for r in done)
    if read != rows:
        fail(f"the imports read {read} rows, the files hold {rows}")
    return {"workers": workers, "seconds": elapsed, "rows": read, "rows_per_s": read / elapsed}


# -------------------------------------------------------------------------------- list API


async def _client(ports: list[int], path: str, key: str, concurrency: int, seconds: float) -> dict:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        "Accept: application/json\r\nConnection: keep-alive\r\n\r\n"
    ).encode()
    stop_at = time.monotonic() + seconds
    statuses: dict[int, int] = {}
    latencies: list[float] = []

    async def one(port: int):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.monotonic() < stop_at:
                sent = time.perf_counter()
                writer.write(request)
                await writer.drain()
                status_line = await reader.readline()
                status = int(status_line.split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - sent) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(ports[n % len(ports)]) for n in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] if latencies else 0,
        "p95": latencies[int(len(latencies) * 0.95)] if latencies else 0,
        "requests": len(latencies),
        "statuses": statuses,
    }


def list_api(web: int, key: str, var_dir: Path, logs: Path, *, concurrency: int, seconds: float) -> dict:
    import requests

    ports = [free_port() for _ in range(web)]
    env = child_env(var_dir, DB_POOL="1")
    processes = [
        start(
            [sys.executable, "-m", "uvicorn", "ytcms_site.asgi:application", "--host", "127.0.0.1"]
            + ["--port", str(port), "--no-access-log", "--log-level", "warning"],
            env,
            logs / f"web-{web}-{port}.log",
        )
        for port in ports
    ]
    path = "/api/v1/videos/?page_size=50"
    try:
        for port, process in zip(ports, processes, strict=True):
            deadline = time.monotonic() + 90
            while True:
                try:
                    answer = requests.get(
                        f"http://127.0.0.1:{port}{path}",
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=5,
                    )
                    if answer.status_code != 200:
                        fail(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
                    break
                except requests.ConnectionError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        fail(f"uvicorn on {port} did not start; see {logs}")
                    time.sleep(0.3)
        asyncio.run(_client(ports, path, key, concurrency, 2))  # warm-up: connections, pools, caches
        result = asyncio.run(_client(ports, path, key, concurrency, seconds))
    finally:
        stop(processes)
    if set(result["statuses"]) != {200}:
        fail(f"non-200 answers under load: {result['statuses']}")
    return {"web": web, **result}


# ------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=50_000, help="videos per report (default 50,000)")
    parser.add_argument("--seconds", type=float, default=15, help="seconds of API load per run (default 15)")
    parser.add_argument("--concurrency", type=int, default=32, help="API client connections (default 32)")
    parser.add_argument("--skip-ingest", action="store_true", help="only the list API")
    args = parser.parse_args()

    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ["SECRET_KEY"] = os.environ["BENCH_SECRET_KEY"]
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("LOG_TO_FILE", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    recreate_database(os.environ["DATABASE_URL"])
    var_dir = Path(os.environ.get("BENCH_VAR_DIR", "/tmp/ytcms-bench-cluster"))
    logs = var_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    os.environ["YTCMS_VAR_DIR"] = str(var_dir)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}; {os.cpu_count()} CPUs; logs in {logs}")

    ingest_rows = []
    if not args.skip_ingest:
        files = [generate(args.videos, seed, var_dir) for seed in (11, 12)]
        rows = sum(count for _, count in files)
        print(f"\ningest: two a4 reports of {args.videos:,} videos ({rows:,} rows together), queued at once")
        for workers in (1, 2):
            result = ingest(workers, [path for path, _ in files], rows, var_dir, logs)
            ingest_rows.append(result)
            print(
                f"  {workers} worker(s): {result['seconds']:6.1f} s  {result['rows_per_s']:9,.0f} rows/s"
                f"  ({result['rows_per_s'] / workers:,.0f} rows/s per worker)"
            )
        print(
            f"  ratio 2 workers / 1 worker: {ingest_rows[1]['rows_per_s'] / ingest_rows[0]['rows_per_s']:.2f}x"
        )
    else:
        fresh_catalogue()

    from django.contrib.auth import get_user_model

    from channels_app.authentication import api_token_create
    from videos.models import Video

    if not Video.objects.exists():
        seed_path, _ = generate(min(args.videos, 20_000), 13, var_dir)
        from channels_app.models import ContentOwner
        from reports.services import report_create_from_path, report_ingest

        report = report_create_from_path(
            path=str(seed_path),
            user=get_user_model().objects.get(),
            content_owner=ContentOwner.objects.get(),
            enqueue=False,
        )
        report_ingest(report_id=report.pk)
    _, key = api_token_create(user=get_user_model().objects.get(), name="bench")
    print(
        f"\nlist API: GET /api/v1/videos/?page_size=50 on {Video.objects.count():,} videos, "
        f"{args.concurrency} connections, {args.seconds:.0f} s each"
    )
    api_rows = []
    for web in (1, 2):
        result = list_api(web, key, var_dir, logs, concurrency=args.concurrency, seconds=args.seconds)
        api_rows.append(result)
        print(
            f"  {web} web process(es): {result['rps']:7.1f} req/s  p50 {result['p50']:6.0f} ms"
            f"  p95 {result['p95']:6.0f} ms  ({result['requests']:,} requests)"
        )
    print(f"  ratio 2 web / 1 web: {api_rows[1]['rps'] / api_rows[0]['rps']:.2f}x")


if __name__ == "__main__":
    main()
