"""Time the video admin changelist on a big catalogue, against baselines taken in the same process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ytcms_bench \
        .venv/bin/python bench/admin_changelist.py [--videos 1000000] [--requests 20] [--reseed]

Creates the database if it is missing, migrates it, seeds N videos with COPY (only when the table
does not already hold exactly N bench videos, or with --reseed), then requests the real admin view
as a non-superuser rights manager whose access comes through a Membership, so the scoping
subqueries of videos_visible_to are part of every query. For each scenario it prints the request
p50/p95, the database time inside the request, and the bare time of the result-list query re-run
on its own; figures are also quoted against a COUNT(*) of the table timed in the same run.

Scenarios: the first page, a big and a small channel, published date both ways, the last page,
and searches for a common, a medium and a rare word, for an old artist (matches all at the far end
of the date index) and the last page of the common word's results. Accent-insensitive searches:
words seeded with accents ("Canción" in ~1% of titles, "Señor" in 10) typed without them, a word
seeded both ways ("Cafe"/"Café") typed with its accent, and the last page of the first. Each
accent search's count is checked against the titles the seed wrote each spelling into. --all-sorts
adds the other sortable columns, reported without a target. --explain prints each result query's plan.

Targets: every page p50 <= 300 ms, every search p50 <= 500 ms. Exits 1 when one is missed.
"""

import argparse
import base64
import itertools
import json
import math
import os
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A development run: DEBUG on gives the checkout's own generated keys (settings refuse to start without them).
os.environ.setdefault("DEBUG", "true")
os.environ["DJANGO_SETTINGS_MODULE"] = "ytcms_site.settings"
# WhiteNoise warns once per process about a missing var/static; the admin pages need no static files.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from psycopg import sql as pgsql  # noqa: E402

from channels_app.models import Channel, ContentOwner, Membership, Role  # noqa: E402
from videos.lookups import fold_accents  # noqa: E402
from videos.models import Video  # noqa: E402
from videos.selectors import videos_search, videos_visible_to  # noqa: E402

PAGE_TARGET_MS = 300
SEARCH_TARGET_MS = 500

BENCH_OWNER_ID = "bench-owner"
BENCH_USERNAME = "bench-rights-manager"
CHANGELIST_URL = "/admin/videos/video/"

# Search words and the share of titles that carry them. The vocabulary below is filtered so no
# other word contains them: "live" must not also match "olive" or "delivery".
COMMON_WORD = "live"  # ~30% of titles
MEDIUM_WORD = "acoustic"  # ~1% of titles
RARE_WORD = "zanzibar"  # exactly RARE_TITLES titles
COMMON_SHARE = 0.30
MEDIUM_SHARE = 0.01
RARE_TITLES = 10
# A back catalogue: an artist with ~1.5% of all videos, every one published before mid-2012, so
# its matches sit at the far end of the date index. The planner estimates ~1% matches from the
# statistics and walks the index newest-first expecting 50 hits within a few thousand rows.
OLD_ARTIST = "The Wurlitzers"
OLD_WORD = "wurlitzer"
OLD_BEFORE = datetime(2012, 7, 1, tzinfo=UTC)
OLD_SHARE_BEFORE = 1 / 3
# Accent-insensitive search (#15): what a person types, and the spellings the seed writes into
# titles. They are drawn from a random stream of their own, so adding them left every other value
# of the seed as it was (figures stay comparable with runs before SEED_VERSION 2).
ACCENTED_WORD = "cancion"  # typed bare; titles carry "Canción", ~1%
ACCENTED_SPELLINGS = ("Canción",)
ACCENTED_SHARE = 0.01
ACCENTED_RARE_WORD = "senor"  # typed bare; exactly ACCENTED_RARE_TITLES titles carry "Señor"
ACCENTED_RARE_SPELLINGS = ("Señor",)
ACCENTED_RARE_TITLES = 10
TYPED_ACCENTED_WORD = "café"  # typed with its accent; titles carry "Cafe" or "Café", ~1%
TYPED_ACCENTED_SPELLINGS = ("Cafe", "Café")
TYPED_ACCENTED_SHARE = 0.01
ACCENT_RANDOM_SEED = 20260115
SEARCH_WORDS = (
    COMMON_WORD,
    MEDIUM_WORD,
    RARE_WORD,
    OLD_WORD,
    ACCENTED_WORD,
    ACCENTED_RARE_WORD,
    fold_accents(TYPED_ACCENTED_WORD),
)
# What the seed writes; a table holding another version (or none) is seeded again.
SEED_VERSION = 2
SEED_MARKER = f"ytcms bench seed v{SEED_VERSION}"
SMALL_CHANNEL_VIDEOS = 200

ENGLISH_WORDS = (
    "love night summer dance heart dream fire rain city girl baby song party road light moon star "
    "blue gold sky world time life home river ocean wild young forever tonight golden broken "
    "midnight sunset winter spring paradise story ghost angel shadow thunder echo memory freedom "
    "money highway island desert garden mirror silver velvet neon electric cosmic lonely happy "
    "crazy sweet bitter secret holy little better wonder sugar honey coffee window train letter"
).split()
SYLLABLES = "ka ri mo ne sa lu to vi da me lo ra fi no be su ta gi po ze ha ku ya mi te so".split()
TAG_WORDS = (
    "pop rock hip hop rap jazz blues soul funk reggae edm house techno country folk indie metal "
    "punk classical piano guitar official music video remix lyrics audio cover karaoke dance "
    "chill lofi workout party love summer hits new 2010s 2020s throwback trending viral"
).split()
GENRES = ["Pop", "Rock", "Hip-Hop", "Electronic", "R&B", "Country", "Jazz", "Classical", "Latin"]
TITLE_SUFFIXES = ["(Official Video)", "(Official Audio)", "[Lyrics]", "(Visualizer)", "", "", ""]
CATEGORY_MIX = [("10", 70), ("24", 10), ("22", 5), ("1", 5), ("20", 5), ("17", 5)]
PRIVACY_MIX = [("public", 80), ("unlisted", 12), ("private", 8)]
CLAIMED_MIX = [("claimed", 60), ("others", 10), ("unclaimed", 25), ("", 5)]
POLICY_MIX = [
    ("Monetize in all countries", 70),
    ("Track in all countries", 20),
    ("Block in some countries", 10),
]
LANGUAGE_MIX = [("en", 60), ("", 25), ("es", 10), ("fr", 5)]
FIRST_PUBLISHED = datetime(2009, 1, 1, tzinfo=UTC)
LAST_PUBLISHED = datetime(2025, 6, 1, tzinfo=UTC)

# COPY column order; every NOT NULL column must be given (Django keeps defaults in Python).
COPY_COLUMNS = (
    "id channel_id title description tags category_id default_language privacy_status embeddable "
    "public_stats_viewable license self_declared_made_for_kids publish_at contains_synthetic_media "
    "localizations made_for_kids published_at duration_seconds definition caption view_count "
    "like_count comment_count upload_status claimed_status effective_policy artists genres isrc "
    "custom_id notes remote_snapshot remote_etag remote_source remote_fetched_at pending_fields "
    "has_pending_changes search_keywords created_at updated_at"
).split()
COPY_BATCH_ROWS = 20_000


def fail(message: str) -> None:
    print(f"admin_changelist: {message}", file=sys.stderr)
    sys.exit(1)


# ----------------------------------------------------------------------------- database


def ensure_database() -> None:
    db = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        fail(
            "this benchmark needs PostgreSQL (it measures trigram indexes, planner estimates and "
            "COPY); set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ytcms_bench"
        )
    if db["NAME"] == "test":
        fail("the database named 'test' belongs to CI; use another one, e.g. ytcms_bench")
    params = {
        "dbname": "postgres",
        "host": db["HOST"] or None,
        "port": db["PORT"] or None,
        "user": db["USER"] or None,
        "password": db["PASSWORD"] or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
        if not exists:
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(db["NAME"])))
            print(f"created database {db['NAME']}")
    call_command("migrate", interactive=False, verbosity=0)


# ----------------------------------------------------------------------------- seeding


def weighted(rng: random.Random, mix, k: int) -> list:
    values, weights = zip(*mix, strict=True)
    return rng.choices(values, weights=weights, k=k)


def build_vocabulary(rng: random.Random) -> list[str]:
    """English words plus syllable words, none containing a search word; Zipf-ordered by rank."""
    made_up = {a + b for a in SYLLABLES for b in SYLLABLES} | {
        a + b + c for a in SYLLABLES for b in SYLLABLES[:12] for c in SYLLABLES[:8]
    }
    words = ENGLISH_WORDS + sorted(made_up)
    words = [w for w in words if not any(s in w for s in SEARCH_WORDS)]
    head, tail = words[: len(ENGLISH_WORDS)], words[len(ENGLISH_WORDS) :]
    rng.shuffle(tail)
    return head + tail


def channel_sizes(total: int) -> list[int]:
    """One channel with ~40%, six with ~8% each, one with 200 videos, the rest over 20 small ones."""
    big = round(total * 0.40)
    medium = [round(total * 0.08)] * 6
    small = min(SMALL_CHANNEL_VIDEOS, total // 100)
    rest = total - big - sum(medium) - small
    others = [rest // 20 + (1 if i < rest % 20 else 0) for i in range(20)]
    return [big, *medium, small, *others]


def bench_channels(total: int) -> list[tuple[Channel, int]]:
    owner, _ = ContentOwner.objects.get_or_create(id=BENCH_OWNER_ID, defaults={"name": "Bench Label"})
    names = ["Big Label Official"] + [f"Medium Label {n}" for n in range(1, 7)] + ["Small Indie"]
    names += [f"Artist Channel {n:02d}" for n in range(1, 21)]
    result = []
    for number, (name, size) in enumerate(zip(names, channel_sizes(total), strict=True)):
        channel, _ = Channel.objects.update_or_create(
            id=f"UCbench{number:017d}",
            defaults={"title": name, "content_owner": owner, "is_linked": True},
        )
        result.append((channel, size))
    return result


def video_ids(rng: random.Random, total: int) -> list[str]:
    ids: set[str] = set()
    while len(ids) < total:
        raw = rng.getrandbits(64).to_bytes(8, "big")
        ids.add(base64.urlsafe_b64encode(raw).decode()[:11])
    result = sorted(ids)
    rng.shuffle(result)
    return result


def copy_text(value) -> str:
    """One value in COPY text format, for the defaults of columns the seed does not generate."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | dict):
        value = json.dumps(value)
    text = str(value)
    if any(c in text for c in "\t\n\r\\"):
        fail(f"cannot COPY the default {value!r}")
    return text


def default_columns() -> dict[str, str]:
    """Columns added to Video since this seed was written, filled with their model default."""
    return {
        field.column: copy_text(field.get_default())
        for field in Video._meta.concrete_fields
        if field.column not in COPY_COLUMNS
    }


def copy_rows(total: int, channels: list[tuple[Channel, int]], rng: random.Random):
    """Yield COPY text-format batches. The vocabulary holds no tab, newline or backslash."""
    defaults = tuple(default_columns().values())
    vocabulary = build_vocabulary(rng)
    cum_weights = list(itertools.accumulate(1 / rank for rank in range(1, len(vocabulary) + 1)))
    artists = [
        " ".join(w.capitalize() for w in rng.sample(vocabulary[len(ENGLISH_WORDS) :], 2)) for _ in range(5000)
    ]
    assignment = [channel.pk for channel, size in channels for _ in range(size)]
    rng.shuffle(assignment)
    ids = video_ids(rng, total)
    rare_rows = set(rng.sample(range(total), min(RARE_TITLES, total)))
    accent_rng = random.Random(ACCENT_RANDOM_SEED)
    accented_rare_rows = set(accent_rng.sample(range(total), min(ACCENTED_RARE_TITLES, total)))
    # Rows go in publication order, as in a catalogue that grew by daily syncs; sqrt skews
    # publication towards recent years, as catalogues grow.
    span = (LAST_PUBLISHED - FIRST_PUBLISHED).total_seconds()
    published_offsets = sorted(span * math.sqrt(rng.random()) for _ in range(total))
    old_before = (OLD_BEFORE - FIRST_PUBLISHED).total_seconds()
    now = datetime.now(UTC).isoformat()

    for start in range(0, total, COPY_BATCH_ROWS):
        n = min(COPY_BATCH_ROWS, total - start)
        words = rng.choices(vocabulary, cum_weights=cum_weights, k=n * 4)
        categories = weighted(rng, CATEGORY_MIX, n)
        privacies = weighted(rng, PRIVACY_MIX, n)
        claims = weighted(rng, CLAIMED_MIX, n)
        policies = weighted(rng, POLICY_MIX, n)
        languages = weighted(rng, LANGUAGE_MIX, n)
        lines = []
        for i in range(n):
            row = start + i
            published = published_offsets[row]
            artist = (
                OLD_ARTIST
                if published < old_before and rng.random() < OLD_SHARE_BEFORE
                else rng.choice(artists)
            )
            featured = [artist] + ([rng.choice(artists)] if rng.random() < 0.2 else [])
            w = words[i * 4 : i * 4 + rng.randint(2, 4)]
            name = " ".join(w).title()
            if row in rare_rows:
                name = f"{name} {RARE_WORD.capitalize()} {w[0].title()}"
            if rng.random() < MEDIUM_SHARE:
                name += f" ({MEDIUM_WORD.capitalize()})"
            if row in accented_rare_rows:
                name += f" {accent_rng.choice(ACCENTED_RARE_SPELLINGS)}"
            if accent_rng.random() < ACCENTED_SHARE:
                name += f" ({accent_rng.choice(ACCENTED_SPELLINGS)})"
            if accent_rng.random() < TYPED_ACCENTED_SHARE:
                name = f"{accent_rng.choice(TYPED_ACCENTED_SPELLINGS)} {name}"
            if rng.random() < COMMON_SHARE:
                title = (
                    f"{artist} - {name} ({COMMON_WORD.capitalize()} at {rng.choice(ENGLISH_WORDS).title()})"
                )
            else:
                title = f"{artist} - {name} {rng.choice(TITLE_SUFFIXES)}".strip()
            tags = rng.sample(TAG_WORDS, rng.randint(0, 6))
            genres = [rng.choice(GENRES)]
            keywords = " | ".join([*tags, *featured, *genres]).upper()
            music = categories[i] == "10"
            isrc = (
                f"US{rng.choice(('RC1', 'UM7', 'SM1'))}{rng.randint(9, 25):02d}{rng.randint(0, 99999):05d}"
                if music and rng.random() < 0.5
                else ""
            )
            custom_id = f"CID{row:08d}" if rng.random() < 0.3 else ""
            claimed = claims[i]
            policy = policies[i] if claimed == "claimed" else ""
            views = int(rng.lognormvariate(8, 2.5))
            pending = rng.random() < 0.01
            values = (
                ids[row],
                assignment[row],
                title[:255],
                f"{title} - listen on all platforms. Follow {artist} for more.",
                json.dumps(tags),
                categories[i],
                languages[i],
                privacies[i],
                "t",
                "t",
                "creativeCommon" if rng.random() < 0.03 else "youtube",
                "f",
                r"\N",
                r"\N",
                "{}",
                "f",
                (FIRST_PUBLISHED + timedelta(seconds=published)).isoformat(),
                str(rng.randint(30, 600)),
                "hd" if rng.random() < 0.8 else "sd",
                "t" if rng.random() < 0.3 else "f",
                str(views),
                str(views // 50),
                str(views // 400),
                "processed",
                claimed,
                policy,
                json.dumps(featured),
                json.dumps(genres),
                isrc,
                custom_id,
                "",
                r"\N",
                "",
                "report",
                r"\N",
                '["title"]' if pending else "[]",
                "t" if pending else "f",
                keywords,
                now,
                now,
            )
            lines.append("\t".join(values + defaults))
        yield "\n".join(lines) + "\n"


def bench_video_count() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE c.content_owner_id = %s), count(*) "
            "FROM videos_video v JOIN channels_app_channel c ON c.id = v.channel_id",
            [BENCH_OWNER_ID],
        )
        return cursor.fetchone()


def seed_marker() -> str | None:
    """The seed version the table was last loaded with: a comment on the table, set by seed()."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT obj_description('videos_video'::regclass, 'pg_class')")
        return cursor.fetchone()[0]


def seed(total: int, *, reseed: bool) -> None:
    bench, everything = bench_video_count()
    marker = seed_marker()
    if bench == total == everything and marker == SEED_MARKER and not reseed:
        print(f"seed: the table already holds {total:,} bench videos ({SEED_MARKER})")
        return
    if bench == total == everything and not reseed:
        print(
            f"seed: the table holds {total:,} bench videos of another seed ({marker or 'no marker'}); reseeding"
        )
    if everything != bench:
        fail(
            f"the database holds {everything - bench:,} videos that are not bench videos; "
            "point DATABASE_URL at a database of its own (e.g. ytcms_bench)"
        )
    started = time.perf_counter()
    rng = random.Random(20240611)
    with transaction.atomic():
        channels = bench_channels(total)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Build the secondary indexes once after the load rather than row by row; the whole
            # swap is one transaction, so a failure leaves the table as it was.
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND tablename = 'videos_video' AND indexname <> 'videos_video_pkey'"
            )
            indexes = cursor.fetchall()
            cursor.execute("TRUNCATE videos_video CASCADE")
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            columns = ", ".join(f'"{c}"' for c in (*COPY_COLUMNS, *default_columns()))
            # FREEZE: the table was truncated in this transaction, so rows need no later
            # hint-bit writes, which would otherwise slow the first requests measured.
            with cursor.cursor.copy(f"COPY videos_video ({columns}) FROM STDIN WITH (FREEZE)") as copy:
                for done, batch in enumerate(copy_rows(total, channels, rng), start=1):
                    copy.write(batch)
                    if done % 10 == 0:
                        print(f"  copied {min(done * COPY_BATCH_ROWS, total):,} rows", flush=True)
            # The channel foreign key is deferred; its queued checks must run before CREATE INDEX.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            loaded = time.perf_counter()
            print(f"  COPY of {total:,} rows: {loaded - started:.1f} s; building {len(indexes)} indexes")
            for _, definition in indexes:
                cursor.execute(definition)
            indexed = time.perf_counter()
            print(f"  indexes: {indexed - loaded:.1f} s")
            # In the same transaction: a table whose load failed keeps its old marker.
            cursor.execute(f"COMMENT ON TABLE videos_video IS '{SEED_MARKER}'")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) videos_video")
    print(f"seed: {total:,} videos in {time.perf_counter() - started:.1f} s (COPY, indexes, VACUUM ANALYZE)")


# ----------------------------------------------------------------------------- measuring


def rights_manager():
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"is_staff": True, "is_superuser": False}
    )
    user.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.get_or_create(
        user=user, content_owner_id=BENCH_OWNER_ID, defaults={"role": Role.MANAGER}
    )
    return user


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed_ms(run, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def sql_runner(sql: str):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    return run


@dataclass
class Scenario:
    name: str
    query: str
    kind: str  # "page" or "search" (with a target), "info" (reported only)
    request_ms: list[float] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    main_sql_ms: list[float] = field(default_factory=list)
    queries: int = 0
    result_count: int = 0
    estimated: bool = False

    @property
    def target_ms(self) -> int:
        return SEARCH_TARGET_MS if self.kind == "search" else PAGE_TARGET_MS

    @property
    def passed(self) -> bool:
        return statistics.median(self.request_ms) <= self.target_ms


class DatabaseTimer:
    """Sum the time spent in the database during one request (execute_wrapper)."""

    def __init__(self):
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - started) * 1000


def get_changelist(client: Client, query: str):
    response = client.get(f"{CHANGELIST_URL}?{query}" if query else CHANGELIST_URL)
    if response.status_code != 200:
        fail(f"GET {CHANGELIST_URL}?{query} answered {response.status_code}")
    cl = response.context_data["cl"]
    if not cl.result_list or b'id="result_list"' not in response.content:
        fail(f"GET {CHANGELIST_URL}?{query} shows no result rows")
    return response, cl


def result_list_sql(queries: list[dict]) -> str:
    """The query that reads the page's rows (no LIMIT when all results fit one page)."""
    rows = [q for q in queries if q["sql"].startswith('SELECT "videos_video"."id"')]
    chosen = rows or queries
    return max(chosen, key=lambda q: float(q["time"]))["sql"]


def measure(client: Client, scenario: Scenario, repeat: int, explain: bool) -> None:
    for _ in range(2):  # warm caches: the effective-policy labels, the plan, the buffers
        get_changelist(client, scenario.query)
    with CaptureQueriesContext(connection) as captured:
        _, cl = get_changelist(client, scenario.query)
    # Copy now: every request start empties the connection's query log.
    queries = list(captured.captured_queries)
    scenario.queries = len(queries)
    scenario.result_count = cl.result_count
    scenario.estimated = getattr(cl.paginator, "count_is_estimate", False)
    for _ in range(repeat):
        timer = DatabaseTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            get_changelist(client, scenario.query)
            scenario.request_ms.append((time.perf_counter() - started) * 1000)
        scenario.db_ms.append(timer.ms)
    sql = result_list_sql(queries)
    scenario.main_sql_ms = timed_ms(sql_runner(sql), repeat)
    if explain:
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        print(f"\n[{scenario.name}] {sql}\n    {plan}")


def true_last_page(client: Client, query: str, estimated_last: int) -> int:
    """The real last page: a page past the middle of an estimated count is counted exactly, so
    asking for the estimate's last page tells the true number of pages (a low estimate's last page
    is not the end)."""
    _, cl = get_changelist(client, f"{query}p={estimated_last}")
    return cl.paginator.num_pages


def check_last_page(client: Client, user, query: str, *, search_term: str = "") -> int:
    """The last page must show the truly last rows of the ordering, estimate or not.

    The expected rows are the admin's own search (videos_search, accent-insensitive as the admin
    is) read in plain date order, without the paginator's estimate or its reading from the end.
    """
    _, cl = get_changelist(client, query)
    shown = [video.pk for video in cl.result_list]
    expected_rows = videos_visible_to(user=user)
    if search_term:
        expected_rows = videos_search(expected_rows, search_term)
    oldest_first = expected_rows.order_by("published_at", "id").values_list("pk", flat=True)
    expected = list(oldest_first[: len(shown)])
    expected.reverse()
    if shown != expected:
        fail(f"the last page ({query}) does not show the last {len(shown)} rows of the ordering")
    return len(shown)


def check_accent_count(user, scenario: "Scenario", spellings: tuple[str, ...]) -> int:
    """An accent search must find every title the seed wrote one of its spellings into, and no other.

    The expected count is an accent-SENSITIVE match of each exact spelling (no other title,
    tag or keyword of the seed carries the word), so it does not share the rule it checks.
    """
    written = Q()
    for spelling in spellings:
        written |= Q(title__contains=spelling)
    expected = videos_visible_to(user=user).filter(written).count()
    if scenario.estimated or scenario.result_count != expected:
        fail(
            f"{scenario.name}: the admin counts {'~' if scenario.estimated else ''}{scenario.result_count:,} "
            f"matches, the seed wrote {' or '.join(spellings)} into {expected:,} titles"
        )
    return expected


def print_table(scenarios: list[Scenario], count_ms: float) -> None:
    header = (
        f"{'scenario':<42} {'p50 ms':>8} {'p95 ms':>8} {'DB/req':>8} {'main SQL':>9} "
        f"{'queries':>7} {'rows':>11} {'xCOUNT':>7} {'target':>7}  result"
    )
    print(header)
    print("-" * len(header))
    for s in scenarios:
        p50 = statistics.median(s.request_ms)
        rows = f"{'~' if s.estimated else ''}{s.result_count:,}"
        target, result = (
            (f"{s.target_ms}", "pass" if s.passed else "FAIL") if s.kind != "info" else ("-", "info")
        )
        print(
            f"{s.name:<42} {p50:>8.1f} {percentile(s.request_ms, 0.95):>8.1f} "
            f"{statistics.median(s.db_ms):>8.1f} {statistics.median(s.main_sql_ms):>9.1f} "
            f"{s.queries:>7} {rows:>11} {p50 / count_ms:>7.2f} {target:>7}  {result}"
        )
    print("-" * len(header))
    print(
        "p50/p95: the whole admin request; DB/req: database time inside it (p50); main SQL: the\n"
        "result-list query re-run alone (p50); xCOUNT: request p50 / COUNT(*) p50; ~: estimated count"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=1_000_000, help="catalogue size (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per scenario (default 20)")
    parser.add_argument("--reseed", action="store_true", help="reload the table even if it holds N videos")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each result query")
    parser.add_argument(
        "--all-sorts", action="store_true", help="also time sorting by every other column (no target)"
    )
    args = parser.parse_args()
    if args.videos < 10_000:
        fail("--videos must be at least 10,000 (the search words need room)")

    ensure_database()
    seed(args.videos, reseed=args.reseed)
    # Production runs with DEBUG off; with it on, Django keeps a log of every query.
    settings.DEBUG = False

    user = rights_manager()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)

    # Baselines in this process: a round trip, and the plain count of the whole table.
    connection.ensure_connection()
    round_trip = timed_ms(sql_runner("SELECT 1"), 200)
    count_all = timed_ms(sql_runner("SELECT count(*) FROM videos_video"), max(5, args.requests // 2))
    count_ms = statistics.median(count_all)

    channels = dict(Channel.objects.filter(content_owner_id=BENCH_OWNER_ID).values_list("title", "id"))
    _, first = get_changelist(client, "")
    published_column = first.list_display.index("published_at")
    last_page = true_last_page(client, "", first.paginator.num_pages)
    _, common = get_changelist(client, f"q={COMMON_WORD}")
    common_last_page = true_last_page(client, f"q={COMMON_WORD}&", common.paginator.num_pages)
    _, accented = get_changelist(client, f"q={ACCENTED_WORD}")
    accented_last_page = true_last_page(client, f"q={ACCENTED_WORD}&", accented.paginator.num_pages)
    accent_searches = [
        (
            Scenario(
                f"search: '{ACCENTED_WORD}' for {ACCENTED_SPELLINGS[0]}", f"q={ACCENTED_WORD}", "search"
            ),
            ACCENTED_SPELLINGS,
        ),
        (
            Scenario(
                f"search: rare '{ACCENTED_RARE_WORD}' for {ACCENTED_RARE_SPELLINGS[0]}",
                f"q={ACCENTED_RARE_WORD}",
                "search",
            ),
            ACCENTED_RARE_SPELLINGS,
        ),
        (
            Scenario(
                f"search: '{TYPED_ACCENTED_WORD}' for {'/'.join(TYPED_ACCENTED_SPELLINGS)}",
                urlencode({"q": TYPED_ACCENTED_WORD}),
                "search",
            ),
            TYPED_ACCENTED_SPELLINGS,
        ),
        (
            Scenario(
                f"search: '{ACCENTED_WORD}', last page (p={accented_last_page})",
                f"q={ACCENTED_WORD}&p={accented_last_page}",
                "search",
            ),
            ACCENTED_SPELLINGS,
        ),
    ]
    scenarios = [
        Scenario("first page", "", "page"),
        Scenario("channel: big (~40%)", f"channel={channels['Big Label Official']}", "page"),
        Scenario(f"channel: small ({SMALL_CHANNEL_VIDEOS})", f"channel={channels['Small Indie']}", "page"),
        Scenario("sort: published asc", f"o={published_column}", "page"),
        Scenario("sort: published desc", f"o=-{published_column}", "page"),
        Scenario(f"last page (p={last_page})", f"p={last_page}", "page"),
        Scenario(f"search: common '{COMMON_WORD}'", f"q={COMMON_WORD}", "search"),
        Scenario(f"search: medium '{MEDIUM_WORD}'", f"q={MEDIUM_WORD}", "search"),
        Scenario(f"search: rare '{RARE_WORD}'", f"q={RARE_WORD}", "search"),
        Scenario(f"search: old artist '{OLD_WORD}'", f"q={OLD_WORD}", "search"),
        Scenario(
            f"search: '{COMMON_WORD}', last page (p={common_last_page})",
            f"q={COMMON_WORD}&p={common_last_page}",
            "search",
        ),
        *(scenario for scenario, _ in accent_searches),
    ]
    if args.all_sorts:
        for index, name in enumerate(first.list_display):
            if name not in ("action_checkbox", "published_at") and first.get_ordering_field(name):
                scenarios.append(Scenario(f"sort: {name} asc", f"o={index}", "info"))
    for scenario in scenarios:
        print(f"measuring {scenario.name} ...", flush=True)
        measure(client, scenario, args.requests, args.explain)
    last_rows = check_last_page(client, user, f"p={last_page}")
    common_last_rows = check_last_page(
        client, user, f"q={COMMON_WORD}&p={common_last_page}", search_term=COMMON_WORD
    )
    accented_last_rows = check_last_page(
        client, user, f"q={ACCENTED_WORD}&p={accented_last_page}", search_term=ACCENTED_WORD
    )
    accent_counts = {
        f"'{parse_qs(scenario.query)['q'][0]}' {check_accent_count(user, scenario, spellings):,}": None
        for scenario, spellings in accent_searches
    }

    print()
    print(f"catalogue: {args.videos:,} videos; user {BENCH_USERNAME} (rights manager through a Membership)")
    print(
        f"baseline: SELECT 1 p50 {statistics.median(round_trip):.2f} ms; "
        f"COUNT(*) of the table p50 {count_ms:.1f} ms (the x1.00 of the xCOUNT column)"
    )
    print(
        f"last pages checked: p={last_page} shows the last {last_rows} rows of the list, "
        f"q={COMMON_WORD}&p={common_last_page} the last {common_last_rows} matches, "
        f"q={ACCENTED_WORD}&p={accented_last_page} the last {accented_last_rows} matches"
    )
    print(
        f"accent searches count every title seeded with a spelling of their word: {', '.join(accent_counts)}"
    )
    print()
    print_table(scenarios, count_ms)
    pages_ok = all(s.passed for s in scenarios if s.kind == "page")
    searches_ok = all(s.passed for s in scenarios if s.kind == "search")
    print(f"target every page p50 <= {PAGE_TARGET_MS} ms: {'pass' if pages_ok else 'FAIL'}")
    print(f"target every search p50 <= {SEARCH_TARGET_MS} ms: {'pass' if searches_ok else 'FAIL'}")
    sys.exit(0 if pages_ok and searches_ok else 1)


if __name__ == "__main__":
    main()
