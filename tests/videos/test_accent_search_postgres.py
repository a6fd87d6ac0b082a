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


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"title__unaccent__icontains": "canon"}, "video_title_unaccent_trgm"),
        ({"search_keywords__unaccent__contains": "CANON"}, "video_keywords_unaccent_trgm"),
    ],
)
def test_the_search_lookups_are_served_by_their_index(channel_a1, lookup, index):
    # Enough varied rows, analysed, for the planner to weigh the indexes as it would in use
    # (on a nearly empty table it walks any btree when sequential scans are off).
    Video.objects.bulk_create(
        Video(
            id=f"plan{number:07d}",
            channel=channel_a1,
            title=f"Song number {number} of the catalogue",
            search_keywords=f"TAG{number} | MUSIC",
        )
        for number in range(3000)
    )
    queryset = Video.objects.filter(**lookup).order_by().values("id")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE videos_video")
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
