"""Accent-insensitive search without a SQL-function call per row (#15, measured at 10^6 videos).

0008's ytcms_unaccent(text) is a SQL function around unaccent(), which is only STABLE. PostgreSQL
inlines a SQL function only when its body is no more volatile than the function itself, so this
IMMUTABLE one never was: each row a search reads (the trigram index's recheck, the date-walk probe
of videos_search, the paginator's exact count) paid a SQL-function call of ~4 µs, against ~0.5 µs
for unaccent's C code. bench/admin_changelist.py at 10^6 videos, on the same machine: counting the
9,974 titles holding "Canción" through the trigram index 266-335 ms before, 70 ms after; a
sequential scan of every title 5.4-6.6 s before, 2.8 s after (upper(title) alone: 1.9-2.2 s).

Now ytcms_unaccent_dict(regdictionary, text) declares unaccent's own C entry point (the one
unaccent(regdictionary, text) calls) IMMUTABLE, and ytcms_unaccent(text) calls it with the
dictionary named, so the planner inlines ytcms_unaccent, in queries and in the index expressions
alike: the trigram indexes keep matching the ORM's expressions. Same C function, same dictionary:
the same results, so the indexes stay valid and are not rebuilt. (The two-function pattern is the
one described in https://stackoverflow.com/questions/11005036/ for an indexable unaccent.)

Only a superuser may declare a C function (C is an untrusted language). Where migrations run as
another role, as on managed PostgreSQL services, ytcms_unaccent stays as 0008 made it: the same
results, each row slower.

SQLite: nothing to migrate.
"""

from django.db import migrations


def extension_schema(cursor) -> str:
    """The schema of the unaccent extension, whose function and dictionary 0008 qualifies."""
    cursor.execute(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'unaccent'"
    )
    (schema,) = cursor.fetchone()
    return schema


def forget_cached_index_expressions(schema_editor) -> None:
    """Make every connection read the expressions of the indexes on ytcms_unaccent again.

    A connection caches an index's expressions with the SQL functions in them already inlined (or
    not), and replacing a function's body does not invalidate that cache: a connection that had
    read an index before this migration would keep 0008's form, which no longer matches the
    inlined query, and search by sequential scan until it reconnects. Setting and resetting a
    storage option leaves the index as it was and sends the invalidation to every connection.
    """
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'videos_video' AND indexdef LIKE '%%ytcms_unaccent(%%'"
        )
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        index = schema_editor.quote_name(name)
        schema_editor.execute(f"ALTER INDEX {index} SET (fastupdate = on)")
        schema_editor.execute(f"ALTER INDEX {index} RESET (fastupdate)")


def inline_search_function(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on', current_schema()")
        is_superuser, own_schema = cursor.fetchone()
        if not is_superuser:
            return
        unaccent_schema = schema_editor.quote_name(extension_schema(cursor))
        # The library and symbol unaccent(regdictionary, text) itself is bound to.
        cursor.execute(
            "SELECT probin, prosrc FROM pg_proc "
            f"WHERE oid = '{unaccent_schema}.unaccent(regdictionary, text)'::regprocedure"
        )
        library, symbol = cursor.fetchone()
    own_schema = schema_editor.quote_name(own_schema)
    # Qualified names: index builds, autovacuum and pg_restore run with their own search_path.
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION {own_schema}.ytcms_unaccent_dict(regdictionary, text) RETURNS text
            LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
            AS %s, %s""",
        [library, symbol],
    )
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION {own_schema}.ytcms_unaccent(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT {own_schema}.ytcms_unaccent_dict('{unaccent_schema}.unaccent'::regdictionary, $1) $$"""
    )
    forget_cached_index_expressions(schema_editor)


def restore_0008_search_function(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        unaccent_schema = schema_editor.quote_name(extension_schema(cursor))
    # 0008's definition, word for word.
    schema_editor.execute(
        f"""CREATE OR REPLACE FUNCTION ytcms_unaccent(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT {unaccent_schema}.unaccent('{unaccent_schema}.unaccent'::regdictionary, $1) $$"""
    )
    forget_cached_index_expressions(schema_editor)
    schema_editor.execute("DROP FUNCTION IF EXISTS ytcms_unaccent_dict(regdictionary, text)")


class Migration(migrations.Migration):
    dependencies = [("videos", "0009_claim_remote_policy")]

    operations = [migrations.RunPython(inline_search_function, restore_0008_search_function)]
