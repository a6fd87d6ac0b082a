"""Time the video API on a big catalogue, against baselines taken in the same run.

    .venv/bin/python bench/api.py [--videos 1000000] [--requests 30] [--duration 15] [--reseed]

Needs PostgreSQL. DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/ytcms_bench_api, a
database of its own (created and migrated if missing; never `test`). The catalogue is seeded by
bench/admin_changelist.py's COPY seeder (skipped when the table already holds N bench videos).

Measured as a rights manager whose access comes through a Membership and who sends an API token,
so token lookup, the role check, throttles and the scoping subqueries are in every request:

- p50/p95 of filtered first pages, of searches, and of cursor page 10,000: the cursor after row
  499,950 is saved once by walking the list with next links (page_size=500), checked against an
  OFFSET query, then page 10,000 (page_size=50) is timed against page 1;
- requests/s at concurrency 16 for the list: uvicorn (2 workers, as on this 2-core machine)
  started here on 127.0.0.1, 16 threads with keep-alive connections, against the same load on
  /api/v1/ (authentication and throttling, no catalogue query) as the baseline.

Targets (issue 7): filtered first page p50 <= 100 ms; cursor page 10,000 p50 within 1.5x of page 1.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ytcms_bench_api"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
# A development run: DEBUG on gives the checkout's own generated keys (settings refuse to start without them).
os.environ.setdefault("DEBUG", "true")
os.environ["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
warnings.filterwarnings("ignore", message="No directory at")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH_DIR))

# The seeder of the admin benchmark: same catalogue shape, same bench owner and user.
import admin_changelist as seeding  # noqa: E402  (runs django.setup())
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from rest_framework.utils.urls import replace_query_param  # noqa: E402

from channels_app.authentication import api_token_create  # noqa: E402
from channels_app.models import Channel  # noqa: E402
from videos.selectors import videos_visible_to  # noqa: E402

FILTERED_TARGET_MS = 100
DEEP_PAGE_TARGET_RATIO = 1.5
DEEP_PAGE = 10_000
PAGE_SIZE = 50
WALK_PAGE_SIZE = 500
LIST_URL = "/api/v1/videos/"


def fail(message: str) -> None:
    print(f"api bench: {message}", file=sys.stderr)
    sys.exit(1)


def percentile(samples: list[float], share: float) -> float:
    return seeding.percentile(samples, share)


class DatabaseTimer:
    """Time spent in the database, and the number of queries, during one request."""

    def __init__(self):
        self.ms = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000
            self.queries += 1


class Api:
    def __init__(self, key: str):
        self.client = APIClient(SERVER_NAME="127.0.0.1")
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    def get(self, url: str) -> dict:
        response = self.client.get(url)
        if response.status_code != 200:
            fail(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return response.json()

    def timed(self, url: str, repeat: int) -> tuple[list[float], list[float], int, int]:
        """Request times, database times, queries per request, rows on the page."""
        for _ in range(2):  # warm: plans, buffers, the permission and category caches
            body = self.get(url)
        request_ms, db_ms = [], []
        timer = DatabaseTimer()
        for _ in range(repeat):
            timer = DatabaseTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                self.get(url)
                request_ms.append((time.perf_counter() - started) * 1000)
            db_ms.append(timer.ms)
        return request_ms, db_ms, timer.queries, len(body["results"])


def row(name: str, url: str, api: Api, repeat: int, target: float | None) -> dict:
    print(f"measuring {name} ...", flush=True)
    request_ms, db_ms, queries, rows = api.timed(url, repeat)
    p50 = statistics.median(request_ms)
    return {
        "name": name,
        "p50": p50,
        "p95": percentile(request_ms, 0.95),
        "db": statistics.median(db_ms),
        "queries": queries,
        "rows": rows,
        "target": target,
        "passed": None if target is None else p50 <= target,
    }


def print_rows(rows: list[dict], round_trip_ms: float) -> None:
    header = f"{'scenario':<46} {'p50 ms':>8} {'p95 ms':>8} {'DB ms':>7} {'queries':>7} {'rows':>5} {'xRTT':>7} {'target':>7}  result"
    print(header)
    print("-" * len(header))
    for r in rows:
        target = "-" if r["target"] is None else f"{r['target']:g}"
        result = "info" if r["passed"] is None else ("pass" if r["passed"] else "FAIL")
        print(
            f"{r['name']:<46} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['db']:>7.1f} {r['queries']:>7} "
            f"{r['rows']:>5} {r['p50'] / round_trip_ms:>7.0f} {target:>7}  {result}"
        )
    print("-" * len(header))
    print("p50/p95: the whole API request in-process (token, permissions, query, JSON); DB ms: time in")
    print("the database inside it (p50); queries: per request; xRTT: p50 over the SELECT 1 round trip")


# ----------------------------------------------------------------------------- deep pages


def saved_deep_cursor(api: Api, user) -> str:
    """Walk the list (newest first) with next links to the end of page DEEP_PAGE - 1 of PAGE_SIZE
    rows, check the position against an OFFSET query, and return the link to page DEEP_PAGE."""
    rows_before = (DEEP_PAGE - 1) * PAGE_SIZE
    url = LIST_URL
    walked, last_id = 0, None
    started = time.perf_counter()
    while walked < rows_before:
        url = replace_query_param(url, "page_size", min(WALK_PAGE_SIZE, rows_before - walked))
        body = api.get(url)
        walked += len(body["results"])
        last_id = body["results"][-1]["id"]
        url = body["next"]
        if not url:
            fail(f"the list ended after {walked:,} rows; page {DEEP_PAGE:,} needs more videos")
        if walked % 100_000 == 0:
            print(f"  walked {walked:,} rows", flush=True)
    took = time.perf_counter() - started
    newest_first = videos_visible_to(user=user).order_by(F("published_at").desc(nulls_first=True), "-pk")
    offset_id = newest_first.values_list("pk", flat=True)[rows_before - 1]
    if offset_id != last_id:
        fail(f"walking the cursors ended at {last_id}, OFFSET {rows_before - 1:,} says {offset_id}")
    print(f"  walked {walked:,} rows in {took:.0f} s; the position matches OFFSET {rows_before - 1:,}")
    return replace_query_param(url, "page_size", PAGE_SIZE)


# ----------------------------------------------------------------------------- load


def start_uvicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        # Under ASGI each request runs in a thread of its own, so persistent connections
        # (DB_CONN_MAX_AGE) pile up, one per request, until PostgreSQL refuses more ("too many
        # clients"); psycopg's pool is the set-up for ASGI (docs/deploy.md#process-types).
        "DB_POOL": "1",
        "API_THROTTLE_USER": "100000000/hour",
        "API_THROTTLE_TOKEN": "100000000/hour",
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("uvicorn")),
            "ytcms_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped as one below
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return process
        except OSError:
            if process.poll() is not None:
                fail(f"uvicorn exited with {process.returncode}")
            time.sleep(0.5)
    stop_uvicorn(process)
    fail("uvicorn did not answer within 60 s")


def stop_uvicorn(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def load(port: int, path: str, key: str, *, concurrency: int, seconds: float) -> dict:
    """`concurrency` threads, each with one keep-alive connection, for `seconds`."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json", "Host": "127.0.0.1"}

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], {}
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "path": path,
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "requests": len(latencies),
        "statuses": statuses,
    }


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1_000_000, help="catalogue size (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per scenario (default 30)")
    parser.add_argument("--concurrency", type=int, default=16, help="load threads (default 16)")
    parser.add_argument(
        "--duration", type=float, default=15, help="seconds of load per endpoint (default 15)"
    )
    parser.add_argument("--port", type=int, default=8765, help="uvicorn's port on 127.0.0.1 (default 8765)")
    parser.add_argument("--reseed", action="store_true", help="reload the table even if it holds N videos")
    args = parser.parse_args()
    if args.videos < DEEP_PAGE * PAGE_SIZE + PAGE_SIZE:
        fail(f"--videos must be at least {DEEP_PAGE * PAGE_SIZE + PAGE_SIZE:,} to have a page {DEEP_PAGE:,}")
    if settings.DATABASES["default"]["NAME"] == "test":
        fail("the database named 'test' belongs to CI; use ytcms_bench_api")

    seeding.ensure_database()
    seeding.seed(args.videos, reseed=args.reseed)
    settings.DEBUG = False  # production does not keep a log of every query
    settings.API_THROTTLE_USER = settings.API_THROTTLE_TOKEN = "100000000/hour"

    user = seeding.rights_manager()
    _, key = api_token_create(user=user, name="bench")
    api = Api(key)

    connection.ensure_connection()
    round_trip = seeding.timed_ms(seeding.sql_runner("SELECT 1"), 200)
    rtt = statistics.median(round_trip)

    channels = dict(
        Channel.objects.filter(content_owner_id=seeding.BENCH_OWNER_ID).values_list("title", "id")
    )
    recent = "2025-05-01T00:00:00Z"
    n = args.requests
    rows = [
        row("first page (no filter)", LIST_URL, api, n, None),
        row(
            "filtered: privacy=unlisted & category=10",
            f"{LIST_URL}?privacy=unlisted&category=10",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row(
            "filtered: channel (small, 200 videos)",
            f"{LIST_URL}?channel={channels['Small Indie']}",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row(
            "filtered: channel (big, ~40%)",
            f"{LIST_URL}?channel={channels['Big Label Official']}",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row(
            "filtered: claimed & policy=Block…",
            f"{LIST_URL}?claimed=claimed&policy=Block%20in%20some%20countries",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row("filtered: pending=true (~1%)", f"{LIST_URL}?pending=true", api, n, FILTERED_TARGET_MS),
        row(
            "filtered: published range (2015)",
            f"{LIST_URL}?published_after=2015-01-01T00:00:00Z&published_before=2016-01-01T00:00:00Z",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row(
            "filtered: updated_since, ordering=updated_at",
            f"{LIST_URL}?updated_since={recent}&ordering=updated_at",
            api,
            n,
            FILTERED_TARGET_MS,
        ),
        row(
            f"search: common '{seeding.COMMON_WORD}'",
            f"{LIST_URL}?search={seeding.COMMON_WORD}",
            api,
            n,
            None,
        ),
        row(
            f"search: medium '{seeding.MEDIUM_WORD}'",
            f"{LIST_URL}?search={seeding.MEDIUM_WORD}",
            api,
            n,
            None,
        ),
        row(f"search: rare '{seeding.RARE_WORD}'", f"{LIST_URL}?search={seeding.RARE_WORD}", api, n, None),
        row(
            f"search: old artist '{seeding.OLD_WORD}'", f"{LIST_URL}?search={seeding.OLD_WORD}", api, n, None
        ),
        row(
            f"search: '{seeding.MEDIUM_WORD}' & privacy=public",
            f"{LIST_URL}?search={seeding.MEDIUM_WORD}&privacy=public",
            api,
            n,
            None,
        ),
    ]

    print(f"walking to page {DEEP_PAGE:,} (ordering -published_at) ...", flush=True)
    deep_url = saved_deep_cursor(api, user)
    page_one = row(f"page 1 (page_size={PAGE_SIZE})", f"{LIST_URL}?page_size={PAGE_SIZE}", api, n, None)
    deep = row(f"page {DEEP_PAGE:,} from its saved cursor", deep_url, api, n, None)
    deep_ratio = deep["p50"] / page_one["p50"]
    deep["target"] = round(page_one["p50"] * DEEP_PAGE_TARGET_RATIO, 1)
    deep["passed"] = deep_ratio <= DEEP_PAGE_TARGET_RATIO
    rows += [page_one, deep]

    print(
        f"load: uvicorn on 127.0.0.1:{args.port}, {args.concurrency} threads, {args.duration:g} s each ...",
        flush=True,
    )
    connection.close()  # the server's workers open their own
    server = start_uvicorn(args.port)
    try:
        baseline_load = load(args.port, "/api/v1/", key, concurrency=args.concurrency, seconds=args.duration)
        list_load = load(
            args.port,
            f"{LIST_URL}?page_size={PAGE_SIZE}",
            key,
            concurrency=args.concurrency,
            seconds=args.duration,
        )
        filtered_load = load(
            args.port,
            f"{LIST_URL}?privacy=unlisted&category=10",
            key,
            concurrency=args.concurrency,
            seconds=args.duration,
        )
    finally:
        stop_uvicorn(server)

    print()
    print(
        f"catalogue: {args.videos:,} videos in {settings.DATABASES['default']['NAME']}; user {seeding.BENCH_USERNAME} "
        "(rights manager through a Membership, API token)"
    )
    print(f"baseline: SELECT 1 round trip p50 {rtt:.2f} ms (the x1 of the xRTT column)")
    print()
    print_rows(rows, rtt)
    print()
    print(
        f"concurrency {args.concurrency} against uvicorn --workers 2 (this machine: {os.cpu_count()} cores, "
        "shared with the load threads):"
    )
    for name, result in (
        ("baseline /api/v1/ (token, throttles, no query)", baseline_load),
        (f"list, first page of {PAGE_SIZE}", list_load),
        ("list, filtered privacy & category", filtered_load),
    ):
        others = {code: count for code, count in result["statuses"].items() if code != 200}
        print(
            f"  {name:<48} {result['rps']:>7.1f} req/s   p50 {result['p50']:>6.1f} ms   p95 {result['p95']:>6.1f} ms"
            f"   {result['requests']:,} requests{'  NON-200: ' + json.dumps(others) if others else ''}"
        )
    print()
    filtered = [r for r in rows if r["name"].startswith("filtered")]
    filtered_ok = all(r["passed"] for r in filtered)
    print(f"target filtered first page p50 <= {FILTERED_TARGET_MS} ms: {'pass' if filtered_ok else 'FAIL'}")
    print(
        f"target page {DEEP_PAGE:,} p50 within {DEEP_PAGE_TARGET_RATIO}x of page 1: "
        f"{deep['p50']:.1f} / {page_one['p50']:.1f} ms = {deep_ratio:.2f}x: {'pass' if deep['passed'] else 'FAIL'}"
    )
    load_ok = all(set(r["statuses"]) == {200} for r in (baseline_load, list_load, filtered_load))
    if not load_ok:
        print("under load some requests did not answer 200 (see NON-200 above)")
    sys.exit(0 if filtered_ok and deep["passed"] and load_ok else 1)


if __name__ == "__main__":
    main()
