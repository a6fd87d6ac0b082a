from django.db import migrations

# videoCategories.list(regionCode="US"): assignable ids may be set on a video, the rest may not.
US_CATEGORIES = [
    ("1", "Film & Animation", True),
    ("2", "Autos & Vehicles", True),
    ("10", "Music", True),
    ("15", "Pets & Animals", True),
    ("17", "Sports", True),
    ("18", "Short Movies", False),
    ("19", "Travel & Events", True),
    ("20", "Gaming", True),
    ("21", "Videoblogging", False),
    ("22", "People & Blogs", True),
    ("23", "Comedy", True),
    ("24", "Entertainment", True),
    ("25", "News & Politics", True),
    ("26", "Howto & Style", True),
    ("27", "Education", True),
    ("28", "Science & Technology", True),
    ("29", "Nonprofits & Activism", True),
    ("30", "Movies", False),
    ("31", "Anime/Animation", False),
    ("32", "Action/Adventure", False),
    ("33", "Classics", False),
    ("34", "Comedy", False),
    ("35", "Documentary", False),
    ("36", "Drama", False),
    ("37", "Family", False),
    ("38", "Foreign", False),
    ("39", "Horror", False),
    ("40", "Sci-Fi/Fantasy", False),
    ("41", "Thriller", False),
    ("42", "Shorts", False),
    ("43", "Shows", False),
    ("44", "Trailers", False),
]


def load_us_categories(apps, schema_editor):
    VideoCategory = apps.get_model("videos", "VideoCategory")
    for category_id, title, assignable in US_CATEGORIES:
        VideoCategory.objects.update_or_create(
            region_code="US",
            category_id=category_id,
            defaults={"title": title, "assignable": assignable},
        )


def remove_us_categories(apps, schema_editor):
    apps.get_model("videos", "VideoCategory").objects.filter(region_code="US").delete()


# Django's icontains compiles to UPPER(col) LIKE UPPER(%s), so the trigram indexes are built on
# UPPER(col); an index on the bare column is never used by admin or API searches.
TRIGRAM_INDEXES = [
    "CREATE INDEX IF NOT EXISTS video_title_upper_trgm ON videos_video USING gin (UPPER(title) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS video_keywords_trgm ON videos_video USING gin (search_keywords gin_trgm_ops)",
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in TRIGRAM_INDEXES:
        schema_editor.execute(statement)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS video_title_upper_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS video_keywords_trgm")


class Migration(migrations.Migration):
    dependencies = [("videos", "0001_initial")]

    operations = [
        migrations.RunPython(load_us_categories, remove_us_categories),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
