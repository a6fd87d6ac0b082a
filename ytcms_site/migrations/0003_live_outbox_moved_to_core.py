# LiveOutboxBatch is now core.live's (its 0001 took the model over, the table stays): the project
# package only forgets it in Django's state.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ytcms_site", "0002_live_outbox"),
        ("live", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="LiveOutboxBatch")],
            database_operations=[],
        ),
    ]
