"""PostgreSQL only: migration 0008 gives the accent-insensitive search its function and indexes.

The search's two LIKEs must be served by the trigram GINs on ytcms_unaccent(...) at 10^6 videos,
so the function has to be IMMUTABLE (an index expression may use no other) and the expressions the
ORM writes must be the indexed ones.
"""

import pytest
from django.conf import settings
from django.db import connection

from videos.models import Video

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs DATABASE_URL pointing at PostgreSQL (unaccent is a PostgreSQL extension)",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db,
]


def one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_migration_installs_unaccent_and_an_immutable_wrapper():
    assert one("SELECT count(*) FROM pg_extension WHERE extname = 'unaccent'") == (1,)
    assert one("SELECT provolatile FROM pg_proc WHERE proname = 'ytcms_unaccent'") == ("i",)
    assert one("SELECT ytcms_unaccent('Cañón del Río')") == ("Canon del Rio",)


def test_search_indexes_are_on_the_unaccented_expressions():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'videos_video'")
        definitions = dict(cursor.fetchall())
    assert "ytcms_unaccent" in definitions["video_title_unaccent_trgm"]
    assert "upper(" in definitions["video_title_unaccent_trgm"].lower()
    assert "gin_trgm_ops" in definitions["video_keywords_unaccent_trgm"]
    # The accent-sensitive ones serve no query any more.
    assert "video_title_upper_trgm" not in definitions
    assert "video_keywords_trgm" not in definitions


# On a smaller table a btree read whole, filtering each row, costs the planner less than a trigram
# GIN, now that the filter is priced as one C call (0009 lets the planner inline ytcms_unaccent)
# rather than as a SQL function's.
PLANNER_ROWS = 30_000

# Committed and truncated afterwards (a flush): a rolled-back INSERT of 30,000 rows would leave
# its pages, from which the planner sizes an unanalysed table, and later tests' paginators would
# estimate thousands of rows instead of counting.
PLANNER_TABLE = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def catalogue_for_the_planner(channel_a1):
    """Enough varied rows for the planner to weigh the indexes as it would in use.

    One video saved as the ORM saves it, copied by INSERT … SELECT with its id, title and
    keywords numbered (bulk_create of this many rows takes 10-20 s on a busy machine). Not
    analysed: ANALYZE writes the row count into pg_class in place, which the test's rollback does
    not undo, and later tests' paginators would estimate 30,000 rows instead of counting; the
    planner sizes an unanalysed table from its pages.
    """
    template = Video.objects.create(id="plan0000000", channel=channel_a1, title="template")
    numbered = {
        "id": "'plan' || lpad(n::text, 7, '0')",
        "title": "'Canción número ' || lpad(n::text, 5, '0') || ' of the catalogue'",
        "search_keywords": "'TAG' || n || ' | MUSIC'",
    }
    columns = [field.column for field in Video._meta.concrete_fields]
    values = [numbered.get(column, f"t.{connection.ops.quote_name(column)}") for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO videos_video ({', '.join(map(connection.ops.quote_name, columns))}) "
            f"SELECT {', '.join(values)} FROM videos_video t, generate_series(1, %s) n WHERE t.id = %s",
            [PLANNER_ROWS, template.pk],
        )


def plan_of(queryset) -> str:
    """EXPLAIN with sequential scans off, so that any index that can serve the query is taken."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"title__unaccent__icontains": "canon"}, "video_title_unaccent_trgm"),
        ({"search_keywords__unaccent__contains": "CANON"}, "video_keywords_unaccent_trgm"),
    ],
)
@PLANNER_TABLE
@pytest.mark.usefixtures("catalogue_for_the_planner")
def test_the_search_lookups_are_served_by_their_index(lookup, index):
    plan = plan_of(Video.objects.filter(**lookup).order_by().values("id"))
    assert index in plan, plan


@PLANNER_TABLE
@pytest.mark.usefixtures("catalogue_for_the_planner")
def test_the_search_calls_unaccent_without_a_sql_function_per_row():
    # Migration 0009 (as a superuser) makes ytcms_unaccent inlinable: the plan then calls
    # unaccent's C function directly on each row, and the trigram index still serves the search.
    if one("SELECT current_setting('is_superuser')") != ("on",):
        pytest.skip("only a superuser may declare the C function; 0009 keeps 0008's wrapper then")
    queryset = Video.objects.filter(title__unaccent__icontains="cancion numero 00012").order_by().values("id")
    plan = plan_of(queryset)
    assert "video_title_unaccent_trgm" in plan, plan
    assert "ytcms_unaccent_dict(" in plan and "ytcms_unaccent(" not in plan, plan
    assert list(queryset.values_list("id", flat=True)) == ["plan0000012"]
    assert one("SELECT ytcms_unaccent('Cañón del Río')") == ("Canon del Rio",)
