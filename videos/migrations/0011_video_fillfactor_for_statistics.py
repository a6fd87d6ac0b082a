"""Room on each page of videos_video for the next day's counters (#18), PostgreSQL only.

A daily report brings new view and comment counts for every video and, for most, nothing else;
the import writes those columns alone (videos.services.STATISTICS_FIELDS), none of them indexed,
so PostgreSQL can update the row in place (a heap-only tuple) and write no index entry, provided
the new version fits on the row's own page. With pages filled to 100 % it never does: each update
moved the row and added an entry to every index of the table (two trigram GINs among them), 7.4 s
of a 20,000-video daily import on the benchmark machine, 0.7 s with this setting (bench/ingest.py).
Half a page of room holds the new version of every row of the page; the previous day's versions
are dead by then and pruned as the page is read, so every day's update stays in place.
The cost: the table takes about twice its pages (8.7 MB -> 17 MB at 20,000 videos), so a
sequential scan reads twice the pages; the lists and searches read indexes.

Applies to pages written from now on (new videos; a bulk first import); existing pages get it
when the table is rewritten (VACUUM FULL, pg_repack). SQLite: nothing to do (it rewrites a row
in place and only writes the indexes of changed columns).
"""

from django.db import migrations

FILLFACTOR = 50


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE videos_video SET (fillfactor = {FILLFACTOR})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE videos_video RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("videos", "0010_unaccent_inlined")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
