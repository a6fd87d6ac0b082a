"""Accent-insensitive title and keyword search (#15): "canon" finds "Cañón".

PostgreSQL: the unaccent extension, an IMMUTABLE wrapper ytcms_unaccent(text) around it (unaccent()
is only STABLE, and an index expression must be IMMUTABLE), and the two trigram GINs rebuilt on the
expressions videos.selectors.videos_search now compares:
    UPPER(ytcms_unaccent(title))          replaces UPPER(title)       (video_title_upper_trgm)
    ytcms_unaccent(search_keywords)       replaces search_keywords    (video_keywords_trgm)
The old ones serve no query any more and every write paid for them, so they are dropped. The build
reads the whole table once per index (about a minute at 10^6 videos) and holds writes meanwhile.

SQLite: nothing to migrate; videos.apps registers ytcms_unaccent on each connection.
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

NEW_INDEXES = {
    "video_title_unaccent_trgm": (
        "CREATE INDEX IF NOT EXISTS video_title_unaccent_trgm ON videos_video "
        "USING gin (UPPER(ytcms_unaccent(title)) gin_trgm_ops)"
    ),
    "video_keywords_unaccent_trgm": (
        "CREATE INDEX IF NOT EXISTS video_keywords_unaccent_trgm ON videos_video "
        "USING gin (ytcms_unaccent(search_keywords) gin_trgm_ops)"
    ),
}
OLD_INDEXES = {
    "video_title_upper_trgm": (
        "CREATE INDEX IF NOT EXISTS video_title_upper_trgm ON videos_video USING gin (UPPER(title) gin_trgm_ops)"
    ),
    "video_keywords_trgm": (
        "CREATE INDEX IF NOT EXISTS video_keywords_trgm ON videos_video USING gin (search_keywords gin_trgm_ops)"
    ),
}
# reports.merge_postgres.DROPPED_INDEXES: a bulk import killed before this migration may have left
# the old indexes' definitions there, to be built again by the next import.
BULK_LEDGER = "ytcms_report_dropped_indexes"


def create_search_function_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
        (schema,) = cursor.fetchone()
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [BULK_LEDGER])
        (ledger_exists,) = cursor.fetchone()
    unaccent_schema = schema_editor.quote_name(schema)
    # Qualified names: index builds, autovacuum and pg_restore run with their own search_path.
    # The dictionary is named so that the function's result depends on its argument alone.
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION ytcms_unaccent(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT {unaccent_schema}.unaccent('{unaccent_schema}.unaccent'::regdictionary, $1) $$"""
    )
    for name in OLD_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    if ledger_exists:
        schema_editor.execute(f"DELETE FROM {BULK_LEDGER} WHERE name = ANY(%s)", [list(OLD_INDEXES)])
    for statement in NEW_INDEXES.values():
        schema_editor.execute(statement)


def drop_search_function_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in NEW_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for statement in OLD_INDEXES.values():
        schema_editor.execute(statement)
    schema_editor.execute("DROP FUNCTION IF EXISTS ytcms_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [("videos", "0007_sort_indexes")]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_search_function_and_indexes, drop_search_function_and_indexes),
    ]
