"""PostgreSQL only: the catalogue tables carry no index that no query uses, and keep the ones that
the merge, the admin and the API filters need (videos migration 0006)."""

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="needs DATABASE_URL pointing at PostgreSQL (pattern_ops indexes are PostgreSQL's)",
    ),
    pytest.mark.postgres,
    pytest.mark.django_db,
]

CATALOGUE_TABLES = ["videos_video", "videos_claim", "videos_asset"]


def catalogue_indexes() -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.relname, i.relname, am.amname, x.indisunique, x.indpred IS NOT NULL,
                      x.indexprs IS NOT NULL, pg_get_indexdef(x.indexrelid),
                      ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                            JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                            ORDER BY k.n)
               FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_class t ON t.oid = x.indrelid
               JOIN pg_am am ON am.oid = i.relam
               WHERE x.indrelid = ANY(%s::regclass[])
               ORDER BY t.relname, i.relname""",
            [CATALOGUE_TABLES],
        )
        keys = ("table", "name", "method", "unique", "partial", "expression", "definition", "columns")
        return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def plain_btree(index: dict) -> bool:
    return index["method"] == "btree" and not (index["partial"] or index["expression"])


def test_no_catalogue_index_uses_pattern_ops():
    # They serve only LIKE 'prefix%'; every lookup on these columns is an exact match.
    pattern_ops = [index["name"] for index in catalogue_indexes() if "pattern_ops" in index["definition"]]

    assert pattern_ops == []


def test_no_single_column_index_repeats_the_leading_column_of_a_composite():
    indexes = catalogue_indexes()
    leading = {
        (index["table"], index["columns"][0])
        for index in indexes
        if plain_btree(index) and len(index["columns"]) > 1
    }

    redundant = [
        index["name"]
        for index in indexes
        if plain_btree(index)
        and not index["unique"]
        and len(index["columns"]) == 1
        and (index["table"], index["columns"][0]) in leading
    ]

    assert leading  # the check looks at something: video_channel_published, video_updated_id, …
    assert redundant == []


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("videos_claim", "video_id"),  # the merge probes claims by video, bulk mode keeps it
        ("videos_claim", "asset_id"),
        ("videos_claim", "policy_id"),
        ("videos_asset", "content_owner_id"),
        ("videos_asset", "isrc"),
        ("videos_asset", "custom_id"),
        ("videos_video", "channel_id"),
        ("videos_video", "updated_at"),
        ("videos_video", "isrc"),
        ("videos_video", "custom_id"),
        ("videos_video", "claimed_status"),
        ("videos_video", "effective_policy"),
        ("videos_video", "category_id"),
        ("videos_video", "privacy_status"),
    ],
)
def test_columns_matched_exactly_keep_a_btree_that_leads_with_them(table, column):
    serving = [
        index["name"]
        for index in catalogue_indexes()
        if index["table"] == table
        and plain_btree(index)
        and index["columns"][:1] == [column]
        and "pattern_ops" not in index["definition"]
    ]

    assert serving, f"no btree index leads with {table}.{column}"
