"""Time report ingestion against the physical limit of the same machine, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ytcms_bench_ingest \\
        .venv/bin/python bench/ingest.py [--videos 1000000] [--django-import-export 100000]

1. Generates a Reporting API a4 report of N videos (~1.18 rows per video) with
   tests/reports/generators/gen_a4_report.py, kept in var/bench/ for the next run.
2. Empties the catalogue and measures the limit, in one transaction each, on a psycopg
   connection of its own:
     limit      COPY of the file's bytes into an untyped (all-text) staging table, then one typed
                INSERT … SELECT into a plain typed table: the issue's definition;
     floor      the same COPY, then one typed INSERT … SELECT per table into three logged tables
                shaped like videos_video, videos_claim and videos_asset with their primary keys only
                (one row per video, claim, asset): the least any importer of our data model writes,
                with no checks, no merge and no secondary index;
     limit+idx  the same COPY, then one typed INSERT … SELECT of one row per video into a copy of
                videos_video with all of its indexes (two trigram GINs among them): the cost of
                writing into a table shaped like ours.
3. Runs the real pipeline twice as `manage.py import_report FILE` in a child process (parse,
   checks, chunked COPY + set-based merge into videos, claims, assets, channels, policies):
   the first import into the empty catalogue, then the same file again (everything unchanged).
   Import times are the Report's own started/finished timestamps (the copy into storage and
   Django's start are not counted); peak RSS is the child's ru_maxrss (os.wait4).
   With --compare-bulk-off, the first import is timed again with bulk mode off
   (REPORTS_BULK_MIN_ROWS=0: every row written through the catalogue's indexes), for the
   before/after of bulk mode in the same run.
4. Duplicate-key memory (--seen-keys N, default 10,000,000; 0 skips): peak RSS of a child process
   feeding N keys to reports.parsing.reader.SeenKeys as the reader uses it (bounded: spills to
   disk) and to the same table never allowed to spill (what it was before), and their ratio.
5. With --django-import-export ROWS (and django-import-export importable, e.g. installed with
   `pip install --target /tmp/iexp django-import-export` and PYTHONPATH=/tmp/iexp), times a
   ModelResource import of the first ROWS rows of the same file and our pipeline on the same rows.

Targets: pipeline >= 50% of the limit's rows/s; peak RSS <= 300 MB whatever N; the unchanged
re-import no slower than the first import.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A development run: DEBUG on gives the checkout's own generated keys (settings refuse to start without them).
os.environ.setdefault("DEBUG", "true")
os.environ["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from psycopg import sql as pgsql  # noqa: E402

from reports.models import Report  # noqa: E402

GENERATOR = ROOT / "tests" / "reports" / "generators" / "gen_a4_report.py"
BENCH_DIR = ROOT / "var" / "bench"
RSS_TARGET_MB = 300
RATIO_TARGET = 0.5
COPY_BLOCK = 1 << 20
CATALOGUE_TABLES = (
    "reports_reportrowerror, reports_report, videos_claim, videos_asset, videos_video, videos_policy, "
    "channels_app_channel"
)
# a4 columns and the types a typed table gives them (the rest stay text).
TYPED = {
    "claimed_by_this_owner": "boolean",
    "comments": "bigint",
    "comments_allowed": "boolean",
    "display_ads_enabled": "boolean",
    "embedding_allowed": "boolean",
    "engaged_views": "bigint",
    "is_made_for_kids_effective_setting": "boolean",
    "is_made_for_kids_user_selection": "boolean",
    "time_published": "timestamptz",
    "time_uploaded": "timestamptz",
    "video_length": "integer",
    "views": "bigint",
}


def fail(message: str) -> None:
    print(f"ingest bench: {message}", file=sys.stderr)
    sys.exit(1)


def pg_params() -> dict:
    db = settings.DATABASES["default"]
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    return {key: value for key, value in params.items() if value}


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        fail(
            "this benchmark needs PostgreSQL; set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ytcms_bench_ingest"
        )
    if db["NAME"] in ("test", "postgres"):
        fail(f"use a database of the benchmark's own, not {db['NAME']!r} (it empties the catalogue)")
    with psycopg.connect(dbname="postgres", autocommit=True, **pg_params()) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")
    call_command("migrate", interactive=False, verbosity=0)


def generate(videos: int, seed: int) -> tuple[Path, int]:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"a4_{videos}_seed{seed}.csv"
    stats_path = path.with_suffix(".stats.json")
    if not (path.exists() and stats_path.exists()):
        started = time.monotonic()
        subprocess.run(
            [sys.executable, str(GENERATOR), "--videos", str(videos), "--seed", str(seed), "--out", str(path),
             "--stats", str(stats_path)],
            check=True, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        print(
            f"generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {time.monotonic() - started:.0f} s"
        )
    return path, json.loads(stats_path.read_text())["rows"]


def empty_catalogue() -> None:
    with psycopg.connect(
        dbname=settings.DATABASES["default"]["NAME"], autocommit=True, **pg_params()
    ) as conn:
        conn.execute(f"TRUNCATE {CATALOGUE_TABLES} CASCADE")
        conn.execute("VACUUM ANALYZE videos_video")


def _copy_file(cursor, path: Path, table: str) -> None:
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy, open(path, "rb") as data:
        while block := data.read(COPY_BLOCK):
            copy.write(block)


VIDEO_TWIN_INSERT = """
    INSERT INTO {table} (id, channel_id, title, description, tags, category_id, default_language,
        privacy_status, embeddable, public_stats_viewable, license, localizations, made_for_kids,
        published_at, duration_seconds, definition, view_count, comment_count, upload_status,
        claimed_status, effective_policy, artists, genres, isrc, custom_id, notes, remote_snapshot,
        remote_etag, remote_source, remote_fetched_at, pending_fields, has_pending_changes,
        drifted_fields, has_drift, search_keywords, created_at, updated_at)
    SELECT DISTINCT ON (video_id) video_id, channel_id, COALESCE(video_title, ''), '', '[]', COALESCE(category, ''), '',
        video_privacy_status, embedding_allowed::boolean, true, 'youtube', '{{}}',
        is_made_for_kids_effective_setting::boolean, (time_published || '+00')::timestamptz,
        video_length::integer, '', views::bigint, comments::bigint, '',
        CASE WHEN claimed_by_this_owner::boolean THEN 'claimed' ELSE 'unclaimed' END, COALESCE(effective_policy, ''),
        '[]', '[]', '', COALESCE(custom_id, ''), '',
        jsonb_build_object('title', video_title, 'privacy_status', video_privacy_status,
                           'category_id', category, 'embeddable', embedding_allowed::boolean),
        '', 'report', now(), '[]', false, '[]', false, '', now(), now()
    FROM bench_raw WHERE video_id <> '' ORDER BY video_id
"""
ASSET_TWIN_INSERT = """
    INSERT INTO {table} (id, content_owner_id, title, asset_type, isrc, custom_id, metadata, updated_at)
    SELECT DISTINCT ON (asset_id) asset_id, NULL, '', '', COALESCE(isrc, ''), COALESCE(custom_id, ''), '{{}}', now()
    FROM bench_raw WHERE asset_id <> '' ORDER BY asset_id
"""
CLAIM_TWIN_INSERT = """
    INSERT INTO {table} (id, video_id, asset_id, content_type, policy_id, status, origin, is_partner_uploaded, updated_at)
    SELECT DISTINCT ON (claim_id) claim_id, video_id, asset_id, COALESCE(content_type, ''), NULL, 'active',
        COALESCE(claim_origin, ''), false, now()
    FROM bench_raw WHERE claim_id <> '' ORDER BY claim_id
"""


def measure_limit(path: Path, rows: int, *, shape: str) -> dict:
    """COPY into an untyped table plus typed INSERT … SELECTs, in one transaction.

    shape "limit": one typed insert into a plain typed table (the issue's definition);
    "floor": one row per video, claim and asset into three logged tables shaped like ours with their
    primary keys only — the least any importer of our data model writes, with no checks at all;
    "limit+idx": one row per video into a copy of videos_video with all of its indexes.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    raw_columns = ", ".join(f"{pgsql.Identifier(c).as_string(None)} text" for c in header)
    twins = {
        "videos_video": VIDEO_TWIN_INSERT,
        "videos_asset": ASSET_TWIN_INSERT,
        "videos_claim": CLAIM_TWIN_INSERT,
    }
    if shape == "limit+idx":
        twins = {"videos_video": VIDEO_TWIN_INSERT}
    with psycopg.connect(dbname=settings.DATABASES["default"]["NAME"], **pg_params()) as conn:
        cursor = conn.cursor()
        if shape != "limit":
            for table in twins:
                cursor.execute(f"DROP TABLE IF EXISTS bench_twin_{table}")
                if shape == "floor":
                    cursor.execute(f"CREATE TABLE bench_twin_{table} (LIKE {table} INCLUDING DEFAULTS)")
                    cursor.execute(f"ALTER TABLE bench_twin_{table} ADD PRIMARY KEY (id)")
                else:
                    cursor.execute(f"CREATE TABLE bench_twin_{table} (LIKE {table} INCLUDING ALL)")
            conn.commit()
        started = time.monotonic()
        cursor.execute(f"CREATE TEMP TABLE bench_raw ({raw_columns})")
        _copy_file(cursor, path, "bench_raw")
        copied = time.monotonic()
        if shape == "limit":
            typed_columns = ", ".join(
                f"{pgsql.Identifier(c).as_string(None)} {TYPED.get(c, 'text')}" for c in header
            )
            cursor.execute(f"CREATE TEMP TABLE bench_typed ({typed_columns})")
            casts = ", ".join(
                f"({pgsql.Identifier(c).as_string(None)} || '+00')::timestamptz" if TYPED.get(c) == "timestamptz"
                else f"{pgsql.Identifier(c).as_string(None)}::{TYPED.get(c, 'text')}"
                for c in header
            )  # fmt: skip
            cursor.execute(f"INSERT INTO bench_typed SELECT {casts} FROM bench_raw")
        else:
            for table, insert in twins.items():
                cursor.execute(insert.format(table=f"bench_twin_{table}"))
        conn.commit()
        finished = time.monotonic()
        for table in twins if shape != "limit" else ():
            cursor.execute(f"DROP TABLE bench_twin_{table}")
        conn.commit()
    total = finished - started
    return {"seconds": total, "rows_per_s": rows / total, "copy_rows_per_s": rows / (copied - started)}


def run_import(path: Path, *, extra_env: dict | None = None) -> dict:
    """manage.py import_report in a child process; its Report's timing and the child's peak RSS."""
    before = Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    env = {**os.environ, **(extra_env or {})}
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(
            [sys.executable, "manage.py", "import_report", str(path)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=output,
        )
        _, status, usage = os.wait4(child.pid, 0)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        fail(f"import_report failed:\n{text[-3000:]}")
    report = Report.objects.filter(pk__gt=before).latest("pk")
    seconds = (report.finished_at - report.started_at).total_seconds()
    if report.file:
        report.file.delete(save=False)  # the benchmark's copies would fill var/media
    return {
        "report": report,
        "seconds": seconds,
        "rows_per_s": report.rows_read / seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "summary": text.strip().splitlines()[-1] if text.strip() else "",
    }


SEEN_KEYS_CHILD = """
import resource, sys
sys.path.insert(0, sys.argv[3])
from reports.parsing.reader import SeenKeys
keys, bounded = int(sys.argv[1]), sys.argv[2] == "bounded"
seen = SeenKeys() if bounded else SeenKeys(max_table_slots=1 << 40)
add = seen.add
start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for n in range(keys):
    add(f"{n:011d}|UC{n % 977:022d}|claim{n}")
seen.close()
print(start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure_seen_keys(keys: int) -> None:
    """Peak RSS of duplicate-key detection over `keys` keys, bounded vs never spilling."""
    peaks = {}
    for kind in ("unbounded", "bounded"):
        started = time.monotonic()
        output = subprocess.run(
            [sys.executable, "-c", SEEN_KEYS_CHILD, str(keys), kind, str(ROOT)],
            check=True, capture_output=True, text=True,
        ).stdout.split()  # fmt: skip
        before, after = (int(value) / 1024 for value in output)
        peaks[kind] = (after, after - before, time.monotonic() - started)
    print(
        f"\nduplicate-key detection over {keys:,} keys (peak RSS of a child process; growth over its start):"
    )
    for kind, label in (
        ("unbounded", "before: one table, never spills"),
        ("bounded", "after: SeenKeys, spills to disk"),
    ):
        peak, growth, seconds = peaks[kind]
        print(f"  {label:<34} {peak:>7,.0f} MB  (+{growth:,.0f} MB, {seconds:.1f} s)")
    print(f"  ratio after / before (growth): {peaks['bounded'][1] / max(peaks['unbounded'][1], 1):.2f}")


def measure_import_export(path: Path, rows: int) -> None:
    try:
        from import_export import fields, resources  # noqa: F401
    except ImportError:
        print(
            "\ndjango-import-export is not importable: install it apart from the project, e.g.\n"
            "  .venv/bin/pip install --target /tmp/iexp django-import-export && PYTHONPATH=/tmp/iexp "
            "... bench/ingest.py --django-import-export 100000"
        )
        return
    import tablib
    from import_export import resources

    from channels_app.models import Channel
    from videos.models import Video

    subset = BENCH_DIR / f"{path.stem}_first{rows}.csv"
    with (
        open(path, newline="", encoding="utf-8") as source,
        open(subset, "w", newline="", encoding="utf-8") as out,
    ):
        writer = csv.writer(out, lineterminator="\n")
        for n, record in enumerate(csv.reader(source)):
            if n > rows:
                break
            writer.writerow(record)

    empty_catalogue()
    ours = run_import(subset)

    empty_catalogue()
    dataset = tablib.Dataset().load(subset.read_text(encoding="utf-8"), format="csv")
    Channel.objects.bulk_create(
        [Channel(id=c, title=c) for c in {row for row in dataset["channel_id"] if row}], ignore_conflicts=True
    )

    class VideoResource(resources.ModelResource):
        class Meta:
            model = Video
            import_id_fields = ("id",)
            fields = (
                "id",
                "channel",
                "title",
                "privacy_status",
                "category_id",
                "view_count",
                "comment_count",
            )

        def before_import_row(self, row, **kwargs):
            row["id"] = row["video_id"]
            row["channel"] = row["channel_id"]
            row["title"] = row["video_title"]
            row["privacy_status"] = row["video_privacy_status"]
            row["category_id"] = row["category"]
            row["view_count"] = row["views"] or None
            row["comment_count"] = row["comments"] or None

    started = time.monotonic()
    result = VideoResource().import_data(dataset, dry_run=False, use_transactions=True)
    seconds = time.monotonic() - started
    print(f"\ndjango-import-export on the first {rows:,} rows (7 video fields, no claims or assets):")
    print(f"  django-import-export  {rows / seconds:>10,.0f} rows/s  ({seconds:.1f} s, {result.totals})")
    print(
        f"  ytcms pipeline        {ours['rows_per_s']:>10,.0f} rows/s  ({ours['seconds']:.1f} s, every column, claims, assets)"
    )
    print(f"  ratio ytcms / import-export: {ours['rows_per_s'] / (rows / seconds):.1f}x")
    empty_catalogue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--videos", type=int, default=1_000_000, help="videos in the generated report (default 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--file", type=Path, help="use this a4 report instead of generating one")
    parser.add_argument(
        "--django-import-export", type=int, metavar="ROWS", help="also time django-import-export"
    )
    parser.add_argument(
        "--compare-bulk-off", action="store_true", help="also time the first import without bulk mode"
    )
    parser.add_argument(
        "--seen-keys", type=int, default=10_000_000, metavar="N",
        help="keys for the duplicate-detection memory figure (default 10,000,000; 0 skips)",
    )  # fmt: skip
    args = parser.parse_args()

    ensure_database()
    if args.file:
        path = args.file
        with open(path, "rb") as handle:
            rows = sum(1 for _ in handle) - 1
    else:
        path, rows = generate(args.videos, args.seed)
    size_mb = path.stat().st_size / 1e6
    print(
        f"report: {path.name}, {rows:,} rows, {size_mb:,.0f} MB; database {settings.DATABASES['default']['NAME']}"
    )

    empty_catalogue()
    limit = measure_limit(path, rows, shape="limit")
    floor = measure_limit(path, rows, shape="floor")
    indexed = measure_limit(path, rows, shape="limit+idx")
    no_bulk = None
    if args.compare_bulk_off:
        no_bulk = run_import(path, extra_env={"REPORTS_BULK_MIN_ROWS": "0"})
        empty_catalogue()
    first = run_import(path)
    second = run_import(path)
    empty_catalogue()

    report = first["report"]
    if second["report"].rows_imported != 0:
        print(f"warning: the second import changed {second['report'].rows_imported:,} rows")
    ratio = first["rows_per_s"] / limit["rows_per_s"]
    print()
    print(f"{'':<44} {'rows/s':>10} {'seconds':>9}")
    print(f"{'raw COPY alone (untyped staging)':<44} {limit['copy_rows_per_s']:>10,.0f}")
    print(
        f"{'limit: COPY + typed INSERT … SELECT':<44} {limit['rows_per_s']:>10,.0f} {limit['seconds']:>9.1f}"
    )
    print(
        f"{'floor: COPY + INSERT into 3 tables, PKs only':<44} {floor['rows_per_s']:>10,.0f} {floor['seconds']:>9.1f}"
    )
    print(
        f"{'limit+idx: COPY + INSERT into videos_video twin':<44} {indexed['rows_per_s']:>10,.0f} {indexed['seconds']:>9.1f}"
    )
    if no_bulk is not None:
        print(
            f"{'pipeline, first import, bulk mode off':<44} {no_bulk['rows_per_s']:>10,.0f} {no_bulk['seconds']:>9.1f}"
        )
    print(f"{'pipeline, first import':<44} {first['rows_per_s']:>10,.0f} {first['seconds']:>9.1f}")
    print(
        f"{'pipeline, same file again (unchanged)':<44} {second['rows_per_s']:>10,.0f} {second['seconds']:>9.1f}"
    )
    print()
    print(f"first import: {report.rows_read:,} rows, {report.videos_created:,} videos, {report.claims_upserted:,} claims, "
          f"{report.assets_created:,} assets, {report.channels_created:,} channels, {report.rows_rejected:,} rejected")  # fmt: skip
    print(
        f"ratio pipeline / limit:      {ratio:.2f}  (target >= {RATIO_TARGET}) {'pass' if ratio >= RATIO_TARGET else 'FAIL'}"
    )
    if no_bulk is not None:
        print(
            f"ratio pipeline / limit, bulk mode off: {no_bulk['rows_per_s'] / limit['rows_per_s']:.2f}"
            f"  (bulk mode speed-up {no_bulk['seconds'] / first['seconds']:.2f}x)"
        )
    print(
        f"ratio floor / limit:         {floor['rows_per_s'] / limit['rows_per_s']:.2f}  (no checks, no secondary index)"
    )
    print(f"ratio pipeline / floor:      {first['rows_per_s'] / floor['rows_per_s']:.2f}")
    print(f"ratio pipeline / limit+idx:  {first['rows_per_s'] / indexed['rows_per_s']:.2f}")
    peak = max(first["peak_rss_mb"], second["peak_rss_mb"])
    print(f"peak RSS of the importing process: {peak:,.0f} MB (target <= {RSS_TARGET_MB}) "
          f"{'pass' if peak <= RSS_TARGET_MB else 'FAIL'}")  # fmt: skip
    slower = second["seconds"] / first["seconds"]
    print(
        f"unchanged re-import / first import time: {slower:.2f} (target <= 1) {'pass' if slower <= 1 else 'FAIL'}"
    )

    if args.seen_keys:
        measure_seen_keys(args.seen_keys)

    if args.django_import_export:
        measure_import_export(path, args.django_import_export)


if __name__ == "__main__":
    main()
