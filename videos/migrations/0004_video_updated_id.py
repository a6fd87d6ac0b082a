from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyOnPostgreSQL(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL, where the table may hold 10^7 rows that must stay
    writable while the index builds; a plain CREATE INDEX on SQLite."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    # CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("videos", "0003_video_drift"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgreSQL(
            model_name="video",
            index=models.Index(fields=["updated_at", "id"], name="video_updated_id"),
        ),
    ]
