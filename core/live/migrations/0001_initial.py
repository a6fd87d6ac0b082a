# The outbox moved here from the project package (ytcms_site 0002 created its table): this
# migration only tells Django's state that the model is now this app's, the table stays.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("ytcms_site", "0002_live_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="LiveOutboxBatch",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("messages", models.JSONField()),
                    ],
                    options={"db_table": "ytcms_site_liveoutboxbatch"},
                ),
            ],
            database_operations=[],
        ),
    ]
