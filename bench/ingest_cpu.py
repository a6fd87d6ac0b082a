"""Where a report import's time goes, per thread and per PostgreSQL backend, in CPU seconds.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ytcms_bench_ingest \\
        .venv/bin/python bench/ingest_cpu.py --videos 20000 [--first]

Imports the files bench/ingest.py generated (var/bench/a4_N_seed1.csv and its _day2 file; run
that first) in this process, for the bench's content owner: day 1 into an emptied catalogue, then
day 2, and prints for the timed import (day 2, or day 1 with --first) the wall and CPU seconds of
the parsing thread, of its ownership lookups, of the merging thread, the index builds of a bulk
import, and the CPU seconds of the two PostgreSQL backends (from /proc, so PostgreSQL must run on
this machine). CPU seconds hold still when other work shares the machine, wall seconds do not:
compare code versions by them. It empties the catalogue of the database it is given.
"""

import argparse
import collections
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "true")
os.environ["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from channels_app.models import ContentOwner  # noqa: E402
from reports import merge_postgres, pipeline  # noqa: E402
from reports.services import report_create_from_path, report_ingest  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"
BENCH_OWNER = "bench-ingest-owner"  # bench/ingest.py's
CATALOGUE_TABLES = (
    "reports_reportrowerror, reports_report, videos_claim, videos_asset, videos_video, videos_policy, "
    "channels_app_channel"
)

TIMED = (
    (pipeline.ReportRun, "_feed"),
    (pipeline.ReportRun, "_reject_out_of_scope"),
    (pipeline._MergerThread, "submit"),
    (pipeline.ReportRun, "_commit_chunk"),
    (merge_postgres, "bulk_indexes_restore"),
)
LABELS = (
    "parsing thread",
    "… its ownership lookups",
    "… waiting for the merging thread",
    "merging thread",
    "index builds (bulk mode)",
)
timings: dict[str, float] = collections.defaultdict(float)
backends: dict[str, float] = {}


def backend_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def timed(owner, name: str, label: str) -> None:
    """Replace owner.name by a wrapper adding its wall and thread CPU seconds to timings[label]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            timings[f"{label}, wall"] += time.perf_counter() - wall
            timings[f"{label}, CPU"] += time.thread_time() - cpu

    setattr(owner, name, wrapper)


def watch_merging_backend() -> None:
    """Note the merging connection's backend when it starts, its CPU after each chunk (it ends with the run)."""
    prepare, commit = merge_postgres.prepare_session, pipeline.ReportRun._commit_chunk

    def prepare_session():
        backends["merging pid"] = backend_pid()
        backends["merging start"] = backend_cpu_seconds(backends["merging pid"])
        return prepare()

    def commit_chunk(self, chunk):
        result = commit(self, chunk)
        if "merging pid" in backends:
            backends["merging"] = backend_cpu_seconds(backends["merging pid"]) - backends["merging start"]
        return result

    merge_postgres.prepare_session = prepare_session
    pipeline.ReportRun._commit_chunk = commit_chunk


def empty_catalogue() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {CATALOGUE_TABLES} CASCADE")
        cursor.execute("VACUUM ANALYZE videos_video")


def run_import(path: Path, owner) -> None:
    report = report_create_from_path(path=str(path), content_owner=owner, dry_run=False, enqueue=False)
    wall, cpu = time.monotonic(), time.process_time()
    report = report_ingest(report_id=report.pk)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    print(f"{path.name}: {report.rows_read:,} rows in {wall:.2f} s ({report.rows_read / wall:,.0f} rows/s), "
          f"this process {cpu:.2f} s of CPU")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, required=True, help="the size bench/ingest.py generated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", action="store_true", help="time the first import instead of day 2")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("ingest_cpu: set DATABASE_URL to a PostgreSQL database of the benchmark's own")
    day1 = BENCH_DIR / f"a4_{args.videos}_seed{args.seed}.csv"
    day2 = day1.with_name(f"{day1.stem}_day2.csv")
    if not day2.exists():
        sys.exit(f"ingest_cpu: {day2} is missing; run bench/ingest.py --videos {args.videos} first")
    owner, _ = ContentOwner.objects.get_or_create(pk=BENCH_OWNER, defaults={"name": "Ingest benchmark"})
    empty_catalogue()
    if not args.first:
        run_import(day1, owner)
    for (owner_of, name), label in zip(TIMED, LABELS, strict=True):
        timed(owner_of, name, label)
    watch_merging_backend()
    checking = backend_pid()
    checking_start = backend_cpu_seconds(checking)
    run_import(day1 if args.first else day2, owner)
    for label in LABELS:
        for kind in ("wall", "CPU"):
            print(f"  {label + ', ' + kind:<48} {timings[f'{label}, {kind}']:7.2f} s")
    print(f"  {'PostgreSQL CPU, merging backend':<48} {backends.get('merging', 0):7.2f} s")
    print(
        f"  {'PostgreSQL CPU, parsing thread backend':<48} {backend_cpu_seconds(checking) - checking_start:7.2f} s"
    )


if __name__ == "__main__":
    main()
