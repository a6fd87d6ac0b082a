"""Drop the catalogue's indexes that no query uses; every import, push and save paid for them.

- The varchar_pattern_ops twins PostgreSQL's backend builds beside every indexed CharField,
  CharField primary key and CharField foreign key. What only they serve is LIKE 'prefix%', and
  nothing filters these columns that way (exact matches; icontains goes through the trigram
  GINs). The planner also reads equalities through them at the same cost as through the plain
  btree or primary key, which serves those once the twin is gone.
- The single-column indexes on videos_video.channel_id and updated_at: video_channel_published
  and video_updated_id lead with the same columns and serve every query the single ones would.

The exactly-matched CharFields keep a plain btree, declared in Meta.indexes (db_index=True would
bring its twin back); on PostgreSQL the existing btree is renamed rather than built again.
"""

from django.db import migrations, models

CATALOGUE_TABLES = ["videos_video", "videos_claim", "videos_asset"]


def _field_btree(cursor, table: str, column: str) -> str | None:
    """Name of the plain btree on table(column) that db_index=True built, if there is one."""
    cursor.execute(
        """SELECT i.relname FROM pg_index x
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_am am ON am.oid = i.relam
           JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
           JOIN pg_opclass oc ON oc.oid = x.indclass[0]
           WHERE x.indrelid = %s::regclass AND x.indnatts = 1 AND NOT x.indisunique
             AND x.indpred IS NULL AND x.indexprs IS NULL
             AND am.amname = 'btree' AND oc.opcdefault AND a.attname = %s
           ORDER BY i.relname LIMIT 1""",
        [table, column],
    )
    row = cursor.fetchone()
    return row[0] if row else None


class AdoptFieldIndex(migrations.AddIndex):
    """AddIndex that, on PostgreSQL, renames the btree db_index=True built on the same column.

    Building it again would hold writes to a table of 10^7 rows for as long as the build takes;
    the rename is instant. The AlterField(db_index=False) that follows leaves an index whose name
    is in Meta.indexes alone and drops only the pattern_ops twin.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        model = to_state.apps.get_model(app_label, self.model_name)
        if connection.vendor == "postgresql" and self.allow_migrate_model(connection.alias, model):
            (column,) = [model._meta.get_field(name).column for name in self.index.fields]
            with connection.cursor() as cursor:
                existing = _field_btree(cursor, model._meta.db_table, column)
            if existing:
                quote = schema_editor.quote_name
                schema_editor.execute(f"ALTER INDEX {quote(existing)} RENAME TO {quote(self.index.name)}")
                return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


def drop_video_channel_indexes(apps, schema_editor):
    """Drop the single-column indexes on videos_video.channel_id (the FK's btree and its twin)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "videos_video")
    for name, constraint in sorted(constraints.items()):
        if (
            constraint["index"]
            and constraint["columns"] == ["channel_id"]
            and not constraint["unique"]
            and not constraint["primary_key"]
        ):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def create_video_channel_index(apps, schema_editor):
    Video = apps.get_model("videos", "Video")
    schema_editor.add_index(Video, models.Index(fields=["channel"], name="videos_video_channel_id_idx"))


def drop_pattern_ops_twins(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        # Looked up, not named: Django's names for them end in a hash of table and column.
        cursor.execute(
            """SELECT DISTINCT i.relname FROM pg_index x
               JOIN pg_class i ON i.oid = x.indexrelid
               JOIN pg_opclass oc ON oc.oid = ANY(x.indclass::oid[])
               WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisunique
                 AND oc.opcname IN ('varchar_pattern_ops', 'text_pattern_ops')
               ORDER BY i.relname""",
            [CATALOGUE_TABLES],
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def keep_pattern_ops_twins_dropped(apps, schema_editor):
    """Nothing to undo: no query needs the twins, and Django's migration state never held them."""


# reports.merge_postgres.DROPPED_INDEXES: the definitions a bulk import dropped, built again by the
# next import. Named here, not imported: a migration must not change when that module does.
BULK_LEDGER = "ytcms_report_dropped_indexes"
ADOPTED_COLUMNS = {
    "videos_video": ["claimed_status", "effective_policy", "isrc", "custom_id"],
    "videos_asset": ["isrc", "custom_id"],
}
REMOVED_COLUMNS = {"videos_video": ["channel_id", "updated_at"]}


def forget_dropped_obsolete_indexes(apps, schema_editor):
    """Keep a bulk import killed before this migration from building the removed indexes again.

    The adopted fields' btrees go too: their missing index is built under its new name here.
    """
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [BULK_LEDGER])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(
            f"SELECT name, table_name, definition FROM {BULK_LEDGER} WHERE table_name = ANY(%s)",
            [CATALOGUE_TABLES],
        )
        obsolete = [
            name
            for name, table, definition in cursor.fetchall()
            if "_pattern_ops" in definition
            or any(
                definition.endswith(f" USING btree ({column})")
                for column in ADOPTED_COLUMNS.get(table, []) + REMOVED_COLUMNS.get(table, [])
            )
        ]
        cursor.execute(f"DELETE FROM {BULK_LEDGER} WHERE name = ANY(%s)", [obsolete])


def _adopt(model_name: str, field: str, name: str, field_definition) -> list:
    return [
        AdoptFieldIndex(model_name=model_name, index=models.Index(fields=[field], name=name)),
        migrations.AlterField(model_name=model_name, name=field, field=field_definition),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0003_api_token"),
        ("videos", "0005_video_title_id"),
    ]

    operations = [
        migrations.RunPython(forget_dropped_obsolete_indexes, migrations.RunPython.noop),
        # A plain AlterField of a foreign key drops the constraint and adds it back, which checks
        # every row of videos_video under lock; only the index has to go.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="video",
                    name="channel",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.PROTECT,
                        related_name="videos",
                        to="channels_app.channel",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_video_channel_indexes, create_video_channel_index),
            ],
        ),
        migrations.AlterField(
            model_name="video",
            name="updated_at",
            field=models.DateTimeField(auto_now=True),
        ),
        *_adopt(
            "asset", "isrc", "asset_isrc", models.CharField(blank=True, max_length=12, verbose_name="ISRC")
        ),
        *_adopt("asset", "custom_id", "asset_custom_id", models.CharField(blank=True, max_length=255)),
        *_adopt(
            "video",
            "claimed_status",
            "video_claimed_status",
            models.CharField(
                blank=True,
                choices=[
                    ("claimed", "Claimed"),
                    ("others", "Claimed by other owners only"),
                    ("unclaimed", "Not claimed"),
                    ("", "Unknown"),
                ],
                max_length=10,
            ),
        ),
        *_adopt(
            "video",
            "effective_policy",
            "video_effective_policy",
            models.CharField(blank=True, max_length=255),
        ),
        *_adopt(
            "video", "isrc", "video_isrc", models.CharField(blank=True, max_length=12, verbose_name="ISRC")
        ),
        *_adopt("video", "custom_id", "video_custom_id", models.CharField(blank=True, max_length=255)),
        # Last: the primary keys' and foreign keys' twins, which no model option can leave out.
        migrations.RunPython(drop_pattern_ops_twins, keep_pattern_ops_twins_dropped),
    ]
