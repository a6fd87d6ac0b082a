"""Index the admin list's sorts by privacy, claim status, effective policy and pending changes.

videos.selectors.video_list_ordering sorts these columns with the video id as tie-breaker in the
same direction, so a (column, id) btree reads a page from either end. Each composite replaces the
single-column index on the same column (it serves the column's filters as well); the pending one
is new, beside the partial video_pending that the "pending changes" filter reads.

On PostgreSQL the indexes are built and dropped CONCURRENTLY: a plain CREATE INDEX holds every
write to videos_video for the whole build (~1.5 s per index at 10^6 rows, ten times that at
10^7). CONCURRENTLY cannot run in a transaction, hence atomic = False; SQLite has no such
statement and gets plain AddIndex / RemoveIndex.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


def _drop_invalid_index(schema_editor, name: str) -> None:
    """Drop what an interrupted CREATE INDEX CONCURRENTLY left: an INVALID index under the name."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """SELECT 1 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
               WHERE i.relname = %s AND i.relnamespace = current_schema()::regnamespace
                 AND NOT x.indisvalid""",
            [name],
        )
        invalid = cursor.fetchone() is not None
    if invalid:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(name)}")


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, a plain AddIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
            return
        _drop_invalid_index(schema_editor, self.index.name)
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrentlyOnPostgres(RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL, a plain RemoveIndex elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            migrations.RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            migrations.RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)
            return
        _drop_invalid_index(schema_editor, self.name)
        super().database_backwards(app_label, schema_editor, from_state, to_state)


# reports.merge_postgres.DROPPED_INDEXES, named rather than imported as in 0006.
BULK_LEDGER = "ytcms_report_dropped_indexes"
REPLACED = ["video_privacy", "video_claimed_status", "video_effective_policy"]


def forget_replaced_indexes(apps, schema_editor):
    """Keep a bulk import killed before this migration from building the replaced indexes again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [BULK_LEDGER])
        if cursor.fetchone()[0]:
            cursor.execute(f"DELETE FROM {BULK_LEDGER} WHERE name = ANY(%s)", [REPLACED])


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("videos", "0006_index_diet"),
    ]

    operations = [
        # The composites first: the column's filters keep an index throughout.
        AddIndexConcurrentlyOnPostgres(
            model_name="video",
            index=models.Index(fields=["privacy_status", "id"], name="video_privacy_id"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="video",
            index=models.Index(fields=["claimed_status", "id"], name="video_claimed_status_id"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="video",
            index=models.Index(fields=["effective_policy", "id"], name="video_effective_policy_id"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="video",
            index=models.Index(fields=["has_pending_changes", "id"], name="video_pending_id"),
        ),
        migrations.RunPython(forget_replaced_indexes, migrations.RunPython.noop),
        RemoveIndexConcurrentlyOnPostgres(model_name="video", name="video_privacy"),
        RemoveIndexConcurrentlyOnPostgres(model_name="video", name="video_claimed_status"),
        RemoveIndexConcurrentlyOnPostgres(model_name="video", name="video_effective_policy"),
    ]
