"""The set-based merge on PostgreSQL: COPY a chunk into a staging table, merge it with SQL.

The SQL implements exactly what videos.services.video_apply_remote_state does for each video
(snapshot JSON merge, pending edits kept, drift marked, pending fields and search keywords
recomputed) plus the grouping rules of reports.staging; tests run merge_python on the same file
and compare every written row. Each chunk runs in the caller's transaction:

  1. binary COPY of the staged rows into a temporary table (no WAL, session-local);
  2. one row per video (first row + aggregates), channels inserted ON CONFLICT DO NOTHING;
  3. the chunk's existing videos' new state computed in one SELECT (no row locks: an UPDATE
     whose row changed meanwhile, by xmin, makes the chunk merge again);
  4. INSERT of new videos, UPDATE … FROM of changed ones; unchanged videos are not written;
  5. assets and claims computed, then inserted/updated; the counts read from the same tables.

A chunk whose videos are all new (most of a first import; probed by primary key) skips 2–5's
comparisons: its videos are inserted straight from the stage with the values step 3 would give
them (_fresh_values), its assets and claims with ON CONFLICT DO NOTHING (any that exists already
goes through step 5), and every row counts as imported.

A dry run does steps 1–3 and 5's computations and writes nothing but temporary tables.

Bulk mode (a first import that at least doubles the catalogue, see pipeline.ReportRun): writing
every row into the ~15 secondary indexes of videos_video (two trigram GINs among them), claims
and assets costs several times what building them once afterwards costs. bulk_indexes_drop
drops them (never a primary key or unique index, nor claims' video_id index: the merge's
lookups and upserts need those), and the foreign keys of these tables,
after writing their definitions to a ledger table in the same transaction;
bulk_indexes_restore builds every index the ledger holds again and empties it. The import
calls restore in a `finally`; after a kill -9 the ledger survives, and the next import (any
kind, see pipeline.ReportRun.execute) or `bulk_indexes_restore()` builds them. While they are
missing, readers see every committed chunk as usual, with sequential scans instead of index
scans (lists and searches get slower, never wrong); uniqueness never stops being enforced.
"""

import json
import logging
import threading
from datetime import UTC, datetime

from django.db import DatabaseError, OperationalError, connection, connections, transaction

from channels_app.models import Channel
from reports.staging import (
    AGGREGATE_COLUMNS,
    AGGREGATE_PG_TYPES,
    ASSET_ID,
    CHANNEL_TITLE_MAX_CHARS,
    CLAIM_ID,
    CLAIM_INSERT_COLUMNS,
    PREVIEW_FIELDS,
    REMOTE_FIELDS,
    REPORT_READONLY,
    REPORT_STATISTICS,
    REPORT_WRITABLE,
    STAGED_COLUMNS,
    STAGED_PG_TYPES,
    ChunkResult,
    ConcurrentChange,
    MergeContext,
    policy_ids_for,
    preview_entry,
    refuse_other_owners_rows,
    video_defaults,
    with_video_aggregates,
)
from videos.models import Asset, Claim, Video
from videos.services import WRITABLE_FIELDS

STAGE = "ytcms_report_stage_v3"
CHUNK_VIDEOS = "ytcms_report_videos_v2"
CHANGING_VIDEOS = "ytcms_report_changing_videos_v2"
NEW_VIDEOS = "ytcms_report_new_videos_v2"
NEW_ASSETS = "ytcms_report_assets_v2"
NEW_CLAIMS = "ytcms_report_claims_v2"
GONE_CLAIMS = "ytcms_report_gone_claims_v2"
POLICIES = "ytcms_report_policies_v2"
DRY_ASSETS = "ytcms_report_dry_assets_v1"
# A regular table (it must outlive a killed session): indexes bulk mode dropped, with their DDL.
DROPPED_INDEXES = "ytcms_report_dropped_indexes"
BULK_TABLES = (Video._meta.db_table, Claim._meta.db_table, Asset._meta.db_table)
BULK_LOCK_TIMEOUT = "5s"  # dropping an index waits for running readers; give up rather than queue
BULK_RESTORE_WORKERS = 2  # plain CREATE INDEX takes a SHARE lock: builds on one table run side by side
BULK_MAINTENANCE_WORK_MEM = "256MB"

logger = logging.getLogger(__name__)

# Every column the merge may change; the rest keep their value (or default, for new videos).
COMPUTED = [
    *REPORT_WRITABLE,
    *REPORT_READONLY,
    "isrc",
    "custom_id",
    "remote_snapshot",
    "pending_fields",
    "has_pending_changes",
    "drifted_fields",
    "has_drift",
    "drift_detected_at",
    "search_keywords",
]
_VIDEO_FIELDS = {f.name: f for f in Video._meta.concrete_fields}


def _column(name: str) -> str:
    return _VIDEO_FIELDS[name].column


def _kind(name: str) -> str:
    return _VIDEO_FIELDS[name].get_internal_type()


def _literal(field, value, params: list) -> str:
    """An SQL expression for a Python default of a model field, appending its parameter."""
    if value is None:
        return "NULL"
    if field.get_internal_type() == "JSONField":
        params.append(json.dumps(value))
        return "%s::jsonb"
    params.append(value)
    return "%s"


def _wanted_json(name: str, expression: str) -> str:
    """The JSON form video_wanted_state gives a field (videos.snapshot.snapshot_value), in SQL."""
    kind = _kind(name)
    if kind == "JSONField":
        return expression
    if kind == "DateTimeField":
        return (
            f"CASE WHEN {expression} IS NULL THEN 'null'::jsonb ELSE "
            f"to_jsonb(to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) END"
        )
    return f"COALESCE(to_jsonb({expression}), 'null'::jsonb)"


def _remote(expression: str, name: str) -> str:
    """A staged remote value in its Video column's type (lists are staged as text[])."""
    return f"to_jsonb({expression})" if _kind(name) == "JSONField" else expression


def _ordered(names: list[str], condition) -> str:
    """A text[] of the names, in WRITABLE_FIELDS order, for which condition(name) holds."""
    items = ", ".join(f"CASE WHEN {condition(name)} THEN '{name}' END" for name in names)
    return f"array_remove(ARRAY[{items}]::text[], NULL)"


def _fresh_values(params: list) -> dict:
    """A new video's value of each COMPUTED field, straight from the report (CHUNK_VIDEOS columns `c.r_…`).

    What the general SELECT gives with every o_ value a default (its snapshot is the report's
    values, which are also what it wants, so nothing is pending and nothing drifted), without its
    steps. Callables, so that their positional parameters are appended where the text uses them.
    """
    defaults = video_defaults()
    remote_writable = ", ".join(f"'{name}', to_jsonb(c.r_{name})" for name in REPORT_WRITABLE)

    def default_of(name: str) -> str:
        field = _VIDEO_FIELDS[name]
        return "NULL" if field.null else _literal(field, defaults[name], params)

    return {
        **{n: lambda n: f"COALESCE({_remote('c.r_' + n, n)}, {default_of(n)})" for n in REPORT_WRITABLE},
        **{n: lambda n: f"COALESCE(c.r_{n}, {default_of(n)})" for n in REPORT_READONLY},
        "isrc": lambda n: "COALESCE(c.r_isrc, '')",
        "custom_id": lambda n: "COALESCE(c.r_custom_id, '')",
        "remote_snapshot": lambda n: f"jsonb_strip_nulls(jsonb_build_object({remote_writable}))",
        "pending_fields": lambda n: "'[]'::jsonb",
        "drifted_fields": default_of,
        "has_drift": default_of,
        "drift_detected_at": default_of,
        "search_keywords": lambda n: "upper(COALESCE(array_to_string(c.r_tags, ' | '), ''))",
        "has_pending_changes": lambda n: "false",
    }


def _build_new_videos_sql() -> tuple[str, list]:
    """One SELECT computing every video's new state; LATERAL ... OFFSET 0 computes each step once.

    (Without the OFFSET 0 fences PostgreSQL inlines the steps and re-evaluates the snapshot
    merge at every reference; materialized CTEs copy the wide rows several times instead.)
    """
    params: list = []
    defaults = video_defaults()
    needed = [*COMPUTED, *(n for n in WRITABLE_FIELDS if n not in COMPUTED), "artists", "genres"]
    old_columns = ["v.id IS NOT NULL AS existed"]
    for name in needed:
        field = _VIDEO_FIELDS[name]
        column = f"v.{field.column}"
        if field.null:
            old_columns.append(f"{column} AS o_{name}")
        else:
            old_columns.append(f"COALESCE({column}, {_literal(field, defaults[name], params)}) AS o_{name}")
    remote_writable = ", ".join(f"'{name}', to_jsonb(c.r_{name})" for name in REPORT_WRITABLE)
    # A video whose snapshot already holds every writable value of the report, and whose wanted
    # values already follow them (or are pending edits), keeps its snapshot, wanted values, drift
    # and pending fields as they are: the full recomputation below would give them back unchanged,
    # because videos.services keeps pending fields and keywords current on every write. Daily
    # reports mostly change counters (views), so most videos take this path.
    same_writable = " AND ".join(
        f"(c.r_{n} IS NULL OR (o.o_remote_snapshot->'{n}' = to_jsonb(c.r_{n}) AND "
        f"(o.o_pending_fields ? '{n}' OR {_wanted_json(n, 'o.o_' + n)} = to_jsonb(c.r_{n}))))"
        for n in REPORT_WRITABLE
    )
    new_drift = _ordered(
        REPORT_WRITABLE,
        lambda n: (
            f"o.o_remote_snapshot ? '{n}' AND r.rw ? '{n}' AND o.o_remote_snapshot->'{n}' <> r.rw->'{n}'"
        ),
    )
    wanted_values = [
        f"CASE WHEN c.r_{n} IS NOT NULL AND NOT o.o_pending_fields ? '{n}' THEN {_remote('c.r_' + n, n)} "
        f"ELSE o.o_{n} END AS n_{n}"
        for n in REPORT_WRITABLE
    ]
    readonly_values = [f"COALESCE(c.r_{n}, o.o_{n}) AS n_{n}" for n in REPORT_READONLY]

    def wanted(name):
        return f"d.n_{name}" if name in REPORT_WRITABLE else f"o.o_{name}"

    pending = _ordered(
        list(WRITABLE_FIELDS),
        lambda n: (
            f"(d.n_remote_snapshot ? '{n}' AND {_wanted_json(n, wanted(n))} IS DISTINCT FROM d.n_remote_snapshot->'{n}') "
            f"OR (NOT d.n_remote_snapshot ? '{n}' AND o.o_pending_fields ? '{n}')"
        ),
    )
    drift_union = _ordered(
        list(WRITABLE_FIELDS), lambda n: f"o.o_drifted_fields ? '{n}' OR '{n}' = ANY(d.new_drift)"
    )
    keywords = (
        "upper(array_to_string(ARRAY(SELECT jsonb_array_elements_text(d.n_tags)) "
        "|| ARRAY(SELECT jsonb_array_elements_text(o.o_artists)) "
        "|| ARRAY(SELECT jsonb_array_elements_text(o.o_genres)), ' | '))"
    )
    # ... and when the read-only values and the ISRC / custom id fill change nothing either, the
    # video is left out of the result altogether: an unchanged video costs one comparison.
    same_rest = " AND ".join(
        [
            f"(c.r_{n} IS NULL OR c.r_{n} IS NOT DISTINCT FROM o.o_{n})"
            for n in REPORT_READONLY
            if n not in REPORT_STATISTICS
        ]
        + [
            "(o.o_isrc <> '' OR COALESCE(c.r_isrc, '') = '')",
            "(o.o_custom_id <> '' OR COALESCE(c.r_custom_id, '') = '')",
        ]
    )

    def on_columns(condition: str) -> str:
        """The condition on the videos_video row itself (for an existing video o_x is v's x)."""
        for name in sorted(needed, key=len, reverse=True):
            condition = condition.replace(f"o.o_{name}", f"v.{_column(name)}")
        return condition

    compared = [name for name in COMPUTED if name != "has_pending_changes"]
    source = {
        **{n: "d" for n in (*REPORT_WRITABLE, *REPORT_READONLY, "isrc", "custom_id", "remote_snapshot")},
        **{
            n: "p"
            for n in ("pending_fields", "drifted_fields", "has_drift", "drift_detected_at", "search_keywords")
        },
    }
    news = ", ".join(f"{source[n]}.n_{n}" for n in compared) + ", jsonb_array_length(p.n_pending_fields) > 0"
    olds = ", ".join(f"o.o_{n}" for n in compared) + ", o.o_has_pending_changes"
    catalogue = [name for name in compared if name not in REPORT_STATISTICS]
    catalogue_news = (
        ", ".join(f"{source[n]}.n_{n}" for n in catalogue) + ", jsonb_array_length(p.n_pending_fields) > 0"
    )
    catalogue_olds = ", ".join(f"o.o_{n}" for n in catalogue) + ", o.o_has_pending_changes"

    fresh = _fresh_values(params)
    new_rows = f"""
        SELECT c.video_id, false, c.channel_id, NULL::text,
               {{fresh_values}}, false, true, true
        FROM {CHANGING_VIDEOS} c
        WHERE NOT EXISTS (SELECT 1 FROM videos_video v WHERE v.id = c.video_id)
    """
    sql = f"""
        SELECT c.video_id, o.existed, c.channel_id, v.xmin::text AS o_xmin,
               {", ".join(f"{source[n]}.n_{n}" for n in compared)},
               jsonb_array_length(p.n_pending_fields) > 0 AS n_has_pending_changes,
               NOT o.existed OR ROW({news}) IS DISTINCT FROM ROW({olds}) AS changed,
               NOT o.existed OR ROW({catalogue_news}) IS DISTINCT FROM ROW({catalogue_olds}) AS catalogue_changed
        FROM {CHANGING_VIDEOS} c
        JOIN videos_video v ON v.id = c.video_id
        CROSS JOIN LATERAL (SELECT {", ".join(old_columns)} OFFSET 0) o
        CROSS JOIN LATERAL (
            SELECT COALESCE(o.existed AND o.o_remote_snapshot IS NOT NULL AND {same_writable}, false) AS same OFFSET 0
        ) s
        CROSS JOIN LATERAL (
            SELECT CASE WHEN s.same THEN NULL ELSE jsonb_strip_nulls(jsonb_build_object({remote_writable})) END AS rw
            OFFSET 0
        ) r
        CROSS JOIN LATERAL (
            SELECT CASE WHEN s.same THEN o.o_remote_snapshot
                        ELSE COALESCE(o.o_remote_snapshot, '{{}}'::jsonb) || r.rw END AS n_remote_snapshot,
                   CASE WHEN o.existed AND NOT s.same THEN {new_drift} ELSE '{{}}'::text[] END AS new_drift,
                   {", ".join(wanted_values)},
                   {", ".join(readonly_values)},
                   CASE WHEN o.o_isrc = '' THEN COALESCE(c.r_isrc, '') ELSE o.o_isrc END AS n_isrc,
                   CASE WHEN o.o_custom_id = '' THEN COALESCE(c.r_custom_id, '') ELSE o.o_custom_id END AS n_custom_id
            OFFSET 0
        ) d
        CROSS JOIN LATERAL (
            SELECT CASE WHEN NOT o.existed THEN '[]'::jsonb WHEN s.same THEN o.o_pending_fields
                        ELSE to_jsonb({pending}) END AS n_pending_fields,
                   CASE WHEN cardinality(d.new_drift) > 0 THEN to_jsonb({drift_union}) ELSE o.o_drifted_fields END
                       AS n_drifted_fields,
                   cardinality(d.new_drift) > 0 OR o.o_has_drift AS n_has_drift,
                   CASE WHEN cardinality(d.new_drift) > 0 THEN %(fetched_at)s::timestamptz ELSE o.o_drift_detected_at END
                       AS n_drift_detected_at,
                   CASE WHEN NOT o.existed THEN upper(COALESCE(array_to_string(c.r_tags, ' | '), ''))
                        WHEN d.n_tags IS DISTINCT FROM o.o_tags THEN {keywords}
                        ELSE o.o_search_keywords END AS n_search_keywords
            OFFSET 0
        ) p
        WHERE NOT c.counters_only
        UNION ALL {new_rows}
    """
    # Positional parameters must be appended in the order they appear in the text.
    sql = sql.replace("{fresh_values}", ", ".join(fresh[n](n) for n in compared))
    same_counters = " AND ".join(
        f"(c.r_{n} IS NULL OR c.r_{n} IS NOT DISTINCT FROM v.{_column(n)})" for n in REPORT_STATISTICS
    )
    # The cheap test first: most videos of a re-import leave the merge here. Of the rest, those
    # whose only change is their counters (views on every video of a daily report) are marked
    # counters_only: the full computation above would give them back their catalogue values, so
    # they skip it and get their counters written straight (_UPDATE_COUNTERS_SQL). A preview lists
    # counters too, so %(counters_apart)s is false while a dry run fills its preview.
    changing_sql = f"""
        SELECT *, catalogue_same AND %(counters_apart)s AS counters_only FROM (
            SELECT c.*, v.xmin::text AS k_xmin,
                   COALESCE(v.id IS NOT NULL AND v.remote_snapshot IS NOT NULL AND {on_columns(same_writable)}
                            AND {on_columns(same_rest)}, false) AS catalogue_same,
                   COALESCE({same_counters}, false) AS counters_same
            FROM {CHUNK_VIDEOS} c LEFT JOIN videos_video v ON v.id = c.video_id
            OFFSET 0
        ) k
        WHERE NOT (catalogue_same AND counters_same)
    """
    return changing_sql, sql, params


def _build_insert_videos_sql(*, fresh: bool) -> tuple[str, list]:
    """INSERT INTO videos_video every column: the computed ones, the bookkeeping, defaults for the rest.

    fresh=False: the new videos of NEW_VIDEOS (the general path). fresh=True: every video of the
    chunk with its fresh values, the path of a chunk of new videos only; it gives each video
    exactly the row the general path would, without materialising the chunk's videos three times.
    """
    params: list = []
    defaults = video_defaults()
    fresh_values = _fresh_values(params) if fresh else {}
    prefix = "c." if fresh else ""
    columns, values = [], []
    for name, field in _VIDEO_FIELDS.items():
        columns.append(field.column)
        if name == "id":
            values.append(f"{prefix}video_id")
        elif name == "channel":
            values.append(f"{prefix}channel_id")
        elif name in COMPUTED:
            values.append(fresh_values[name](name) if fresh else f"n_{name}")
        elif name == "remote_source":
            values.append("%(source)s")
        elif name == "remote_fetched_at":
            values.append("%(fetched_at)s::timestamptz")
        elif name in ("created_at", "updated_at"):
            values.append("now()")
        else:
            # Positional defaults and named parameters cannot be mixed: _named renames them.
            values.append(_literal(field, defaults[name], params))
    source = f"({_CHUNK_VIDEOS_SELECT}) c" if fresh else f"{NEW_VIDEOS} WHERE NOT existed"
    return f"INSERT INTO videos_video ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}", params


def _build_update_videos_sql() -> str:
    sets = [f"{_column(n)} = n.n_{n}" for n in COMPUTED]
    sets += [
        "remote_etag = ''",
        "remote_source = %(source)s",
        "remote_fetched_at = %(fetched_at)s::timestamptz",
    ]
    sets += ["updated_at = now()"]
    return (
        f"UPDATE videos_video v SET {', '.join(sets)} FROM {NEW_VIDEOS} n "
        "WHERE v.id = n.video_id AND n.existed AND n.catalogue_changed AND v.xmin::text = n.o_xmin"
    )


def _build_update_counters_sql() -> str:
    """The counters of the chunk's counters_only videos, straight from the report (see changing_sql).

    The same write as _UPDATE_STATISTICS_SQL, without computing the rest of the video's state.
    """
    sets = ", ".join(f"{_column(n)} = COALESCE(c.r_{n}, v.{_column(n)})" for n in REPORT_STATISTICS)
    return (
        f"UPDATE videos_video v SET {sets} FROM {CHANGING_VIDEOS} c WHERE v.id = c.video_id "
        "AND c.counters_only AND v.xmin::text = c.k_xmin"
    )


def _build_update_statistics_sql() -> str:
    """Videos whose only change is their counters: those columns alone (see STATISTICS_FIELDS).

    No indexed column is written, so PostgreSQL updates the row in place (HOT) when its page has
    room, and no index of videos_video gets an entry: the daily report's usual case.
    """
    sets = ", ".join(f"{_column(n)} = n.n_{n}" for n in REPORT_STATISTICS)
    return (
        f"UPDATE videos_video v SET {sets} FROM {NEW_VIDEOS} n WHERE v.id = n.video_id AND n.existed "
        "AND n.changed AND NOT n.catalogue_changed AND v.xmin::text = n.o_xmin"
    )


def _insert_sql(
    model, table_source: str, given: dict[str, str], where: str, *, suffix: str = ""
) -> tuple[str, list]:
    """INSERT INTO the model's table every concrete column: given expressions, else defaults."""
    params: list = []
    columns, values = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.name in given:
            values.append(given[field.name])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("now()")
        else:
            values.append(_literal(field, field.get_default(), params))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table_source}"
    return (sql + (f" WHERE {where}" if where else "") + suffix), params


def _named(sql: str, params: list) -> tuple[str, dict]:
    """Turn positional %s into %(pN)s so they can be mixed with named parameters."""
    out, names, index = [], {}, 0
    parts = sql.split("%s")
    for i, part in enumerate(parts):
        out.append(part)
        if i < len(parts) - 1:
            out.append(f"%(p{index})s")
            names[f"p{index}"] = params[index]
            index += 1
    return "".join(out), names


# One row per video of the chunk: its first row, with the video's aggregates (with_video_aggregates).
_CHUNK_VIDEOS_SELECT = f"""
    SELECT video_id, line_number AS first_line, channel_id, channel_title,
           {", ".join(f"r_{name}" for name in REMOTE_FIELDS if name not in ("claimed_status", "effective_policy"))},
           agg_claimed_status AS r_claimed_status,
           COALESCE(agg_effective_policy, CASE WHEN %(has_policy_column)s THEN '' END) AS r_effective_policy,
           agg_isrc AS r_isrc, agg_custom_id AS r_custom_id
    FROM {STAGE} WHERE is_first
"""
# One row per asset and per claim of the chunk, with the values the report gives it.
_ASSETS_WANTED = f"""
    SELECT DISTINCT ON (asset_id COLLATE "C") asset_id, COALESCE(isrc, '') AS isrc, COALESCE(custom_id, '') AS custom_id
    FROM {STAGE} WHERE asset_id <> '' ORDER BY asset_id COLLATE "C", line_number
"""
_CLAIMS_WANTED = f"""
    SELECT s.claim_id AS id, s.video_id, s.asset_id, s.content_type, p.policy_id, s.origin,
           lower(s.origin) = 'partner uploaded' AS is_partner_uploaded
    FROM (SELECT DISTINCT ON (claim_id COLLATE "C") claim_id, video_id, asset_id,
                 COALESCE(content_type, '') AS content_type, COALESCE(origin, '') AS origin, policy_label
          FROM {STAGE} WHERE claim_id <> '' ORDER BY claim_id COLLATE "C", line_number) s
    LEFT JOIN {POLICIES} p ON p.label = s.policy_label
"""
# What each chunk's comparison tables hold (one row per asset, claim, and active claim that left).
_NEW_ASSETS_SELECT = f"""
    WITH s AS ({_ASSETS_WANTED}), k AS (
        SELECT s.*, (d.id IS NOT NULL OR a.id IS NOT NULL) AS existed,
               CASE WHEN d.id IS NOT NULL THEN d.isrc ELSE a.isrc END AS k_isrc,
               CASE WHEN d.id IS NOT NULL THEN d.custom_id ELSE a.custom_id END AS k_custom_id
        FROM s LEFT JOIN videos_asset a ON a.id = s.asset_id LEFT JOIN {DRY_ASSETS} d ON d.id = s.asset_id
    ), n AS (
        SELECT asset_id AS id, existed, k_isrc, k_custom_id,
               CASE WHEN NOT existed OR isrc <> '' THEN isrc ELSE k_isrc END AS n_isrc,
               CASE WHEN NOT existed OR custom_id <> '' THEN custom_id ELSE k_custom_id END AS n_custom_id
        FROM k
    )
    SELECT id, existed, n_isrc, n_custom_id,
           NOT existed OR n_isrc <> k_isrc OR n_custom_id <> k_custom_id AS changed
    FROM n
"""
_NEW_CLAIMS_SELECT = f"""
    WITH w AS ({_CLAIMS_WANTED})
    SELECT w.*, c.id IS NOT NULL AS existed,
           c.id IS NULL OR c.status = 'inactive'
           OR ROW(c.video_id, c.asset_id, c.content_type, c.policy_id, c.origin, c.is_partner_uploaded)
               IS DISTINCT FROM ROW(w.video_id, w.asset_id, w.content_type, w.policy_id, w.origin,
                                    w.is_partner_uploaded) AS changed
    FROM w LEFT JOIN videos_claim c ON c.id = w.id
"""
_GONE_CLAIMS_SELECT = f"""
    SELECT c.id FROM {CHUNK_VIDEOS} v
    CROSS JOIN LATERAL (
        SELECT c.id FROM videos_claim c WHERE c.video_id = v.video_id AND c.status = 'active'
        OFFSET 0
    ) c
    WHERE NOT v.video_id = ANY(%(incomplete)s)
"""

_CHANGING_VIDEOS_SELECT, *_new_videos = _build_new_videos_sql()
_NEW_VIDEOS_SELECT = _named(*_new_videos)
_INSERT_VIDEOS_SQL = _named(*_build_insert_videos_sql(fresh=False))
_INSERT_FRESH_VIDEOS_SQL = _named(*_build_insert_videos_sql(fresh=True))
_UPDATE_VIDEOS_SQL = _build_update_videos_sql()
_UPDATE_STATISTICS_SQL = _build_update_statistics_sql()
_UPDATE_COUNTERS_SQL = _build_update_counters_sql()
# The chunk's working tables, created once per session (prepare_session) in the order they read
# each other, from the statements that fill them: creating and dropping six temporary tables per
# chunk cost ~3.5 ms each in catalogue writes and file creations (a fifth of a small chunk's
# merge). ON COMMIT DELETE ROWS empties them in place when the chunk commits.
_CHUNK_TABLES = (
    (CHUNK_VIDEOS, _CHUNK_VIDEOS_SELECT, {}),
    (CHANGING_VIDEOS, _CHANGING_VIDEOS_SELECT, {}),
    (NEW_VIDEOS, *_NEW_VIDEOS_SELECT),
    (NEW_ASSETS, _NEW_ASSETS_SELECT, {}),
    (NEW_CLAIMS, _NEW_CLAIMS_SELECT, {}),
    (GONE_CLAIMS, _GONE_CLAIMS_SELECT, {}),
)
_INSERT_CHANNELS_SQL = _named(
    *_insert_sql(
        Channel,
        f"""(SELECT DISTINCT ON (channel_id COLLATE "C") channel_id,
                    left(COALESCE(NULLIF(channel_title, ''), channel_id), {CHANNEL_TITLE_MAX_CHARS}) AS title
             FROM {STAGE} WHERE channel_id <> '' ORDER BY channel_id COLLATE "C", line_number) ch""",
        {"id": "ch.channel_id", "content_owner": "%(owner_id)s", "title": "ch.title"},
        "",
    )
)
_INSERT_ASSETS_SQL = _named(
    *_insert_sql(
        Asset,
        NEW_ASSETS,
        {"id": "id", "content_owner": "%(owner_id)s", "isrc": "n_isrc", "custom_id": "n_custom_id"},
        "NOT existed",
    )
)
# A chunk of new videos: its assets and claims inserted as they come (any that exists already
# is left alone here and compared the general way after).
_INSERT_ASSETS_DIRECT_SQL = _named(
    *_insert_sql(
        Asset,
        f"({_ASSETS_WANTED}) s",
        {"id": "asset_id", "content_owner": "%(owner_id)s", "isrc": "isrc", "custom_id": "custom_id"},
        "",
        suffix=" ON CONFLICT (id) DO NOTHING",
    )
)
_INSERT_CLAIMS_DIRECT_SQL = _named(
    *_insert_sql(
        Claim,
        f"({_CLAIMS_WANTED}) w",
        CLAIM_INSERT_COLUMNS,
        "",
        suffix=" ON CONFLICT (id) DO NOTHING",
    )
)
_INSERT_CLAIMS_SQL = _named(
    *_insert_sql(
        Claim,
        NEW_CLAIMS,
        CLAIM_INSERT_COLUMNS,
        "NOT existed",
    )
)


# Statements longer than psycopg's cache (MAX_CACHED_STATEMENT_LENGTH, 4 KB) are parsed for
# their placeholders on every execute: ~13 ms for the new-videos statement, which every chunk of
# a daily report runs. Their parameters are the run's constants (owner, fetch time, defaults), so
# each is rendered with its literals once per run and sent as it is.
RENDER_MIN_CHARS = 4096
RENDERED_MAX = 64
_rendered: dict = {}


def _run(cursor, sql: str, params=None):
    """Execute several statements in one round trip; the cursor is left on the last one's result."""
    if isinstance(params, dict) and len(sql) > RENDER_MIN_CHARS:
        try:
            key = (sql, tuple(sorted(params.items())))
            text = _rendered.get(key)
        except TypeError:  # a list among the values: not a run's constant
            key = text = None
        if key is not None:
            if text is None:
                if len(_rendered) >= RENDERED_MAX:
                    _rendered.clear()
                text = _rendered[key] = cursor.cursor.mogrify(sql, params)
            sql, params = text, None
    cursor.execute(sql, params)
    while cursor.nextset():
        pass
    return cursor


def _plan_for(kind: str) -> str:
    """Steer the planner, whatever the catalogue tables' statistics say.

    "probes": statements that look up a chunk's keys in the catalogue tables must use their
    primary-key indexes. During a first big import the statistics still describe the table
    before it (autovacuum lags), and the planner would hash the whole table once per chunk.
    "temporary": joins between the chunk's temporary tables (no indexes) must not be nested loops.
    """
    probes = kind == "probes"
    return (
        f"SET LOCAL enable_hashjoin = {'off' if probes else 'on'}; "
        f"SET LOCAL enable_mergejoin = {'off' if probes else 'on'}; "
        f"SET LOCAL enable_nestloop = {'on' if probes else 'off'}; "
    )


def _ledger_exists(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DROPPED_INDEXES])
    return cursor.fetchone()[0]


def bulk_indexes_drop(*, report_id: int | None = None) -> list[str]:
    """Drop the catalogue tables' secondary indexes, their definitions kept in the ledger.

    Returns the names dropped; [] when a table's lock was not granted within BULK_LOCK_TIMEOUT
    (the import then goes on with its indexes). Must run outside a transaction: the drop and
    its ledger rows commit together, before the import writes anything.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""CREATE TABLE IF NOT EXISTS {DROPPED_INDEXES} (
                    name text PRIMARY KEY, table_name text NOT NULL, definition text NOT NULL,
                    report_id bigint, dropped_at timestamptz NOT NULL DEFAULT now())"""
        )
        try:
            with transaction.atomic():
                cursor.execute(f"SET LOCAL lock_timeout = '{BULK_LOCK_TIMEOUT}'")
                # Foreign keys from these tables: each inserted row queues one check per key,
                # run at commit (~1 ms per 100 rows); they come back NOT VALID, which enforces
                # them for every later write at once, then VALIDATE checks the rows in one join.
                cursor.execute(
                    """SELECT c.conname, t.relname, format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s NOT VALID',
                                                          t.relname, c.conname, pg_get_constraintdef(c.oid))
                       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                       WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[]) ORDER BY t.relname, c.conname""",
                    [list(BULK_TABLES)],
                )
                foreign_keys = cursor.fetchall()
                for name, table, definition in foreign_keys:
                    cursor.execute(
                        f"INSERT INTO {DROPPED_INDEXES} (name, table_name, definition, report_id) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                        [name, table, definition, report_id],
                    )
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                cursor.execute(
                    """SELECT i.relname, t.relname, pg_get_indexdef(i.oid)
                       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                       WHERE t.oid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary
                         AND pg_get_indexdef(i.oid) NOT LIKE %s
                       ORDER BY t.relname, i.relname""",
                    [list(BULK_TABLES), f"% ON %.{Claim._meta.db_table} USING btree (video_id)"],
                )
                found = cursor.fetchall()
                for name, table, definition in found:
                    cursor.execute(
                        f"INSERT INTO {DROPPED_INDEXES} (name, table_name, definition, report_id) "
                        "VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO NOTHING",
                        [name, table, definition, report_id],
                    )
                    cursor.execute(f'DROP INDEX "{name}"')
        except OperationalError as exc:  # lock_timeout: someone holds the table; skip bulk mode
            logger.info("Bulk mode skipped: the catalogue tables are busy (%s).", exc)
            return []
    return [name for name, _, _ in foreign_keys + found]


def bulk_indexes_restore(*, workers: int = BULK_RESTORE_WORKERS) -> int:
    """Build every index the ledger holds (two at a time) and analyse the tables; returns how many.

    Plain CREATE INDEX (CONCURRENTLY would read the table twice, and two concurrent builds on
    one table would wait for each other): readers go on, writers to the table wait for the build.
    An index that fails to build stays in the ledger for the next call, and the error is raised.
    """
    with connection.cursor() as cursor:
        if not _ledger_exists(cursor):
            return 0
        cursor.execute(f"SELECT name, table_name, definition FROM {DROPPED_INDEXES} ORDER BY name")
        pending = cursor.fetchall()
    if not pending:
        return 0
    foreign_keys = [item for item in pending if item[2].startswith("ALTER TABLE")]
    pending = [item for item in pending if not item[2].startswith("ALTER TABLE")]
    # The trigram GINs take longest: start them first so the two builders finish together.
    pending.sort(key=lambda item: (" gin " not in item[2].lower(), item[0]))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def build():
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET maintenance_work_mem = '{BULK_MAINTENANCE_WORK_MEM}'")
                while True:
                    with lock:
                        if not pending or errors:
                            return
                        name, _, definition = pending.pop(0)
                    cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
                    cursor.execute(f"DELETE FROM {DROPPED_INDEXES} WHERE name = %s", [name])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connection

    total = len(pending) + len(foreign_keys)
    if connection.in_atomic_block:
        build_here = True  # a caller's transaction must see (and own) the builds
    else:
        build_here = False
        threads = [threading.Thread(target=build, name=f"index-build-{n}") for n in range(max(1, workers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if build_here:
        with connection.cursor() as cursor:
            for name, _, definition in pending:
                cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
                cursor.execute(f"DELETE FROM {DROPPED_INDEXES} WHERE name = %s", [name])
    if errors:
        raise errors[0]
    with connection.cursor() as cursor:
        for name, table, definition in foreign_keys:
            with transaction.atomic():
                cursor.execute(
                    "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
                    [name, table],
                )
                if cursor.fetchone() is None:
                    cursor.execute(definition)
                cursor.execute(f"DELETE FROM {DROPPED_INDEXES} WHERE name = %s", [name])
            try:
                with transaction.atomic():
                    cursor.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')
            except DatabaseError as exc:
                # Enforced for every write from now on; only rows written while it was dropped
                # may break it (a row deleted under the import): say so, keep the data.
                logger.error("Foreign key %s on %s is enforced but NOT VALID: %s", name, table, exc)
        # Statistics from before the import describe an empty table: the planner would pick
        # sequential scans for the admin's lists until autovacuum came by.
        cursor.execute(f"ANALYZE {', '.join(BULK_TABLES)}")
    return total


# The ownership the feeder's scope checks need (pipeline.ReportRun), for a whole chunk in one
# statement: the rules of videos.selectors (claim_ids_of_other_owners, asset_ids_of_other_owners)
# written as SQL over arrays of ids. Their ORM form costs a query per 900 ids per kind, each
# compiled by Django (~1 s of a 3.4 s daily report of 20,000 videos, in the parsing thread).
# tests/reports/test_ingest_scope_postgres.py checks both forms agree.
_CHUNK_OWNERS_SQL = """
    SELECT 'video', v.id, ch.content_owner_id FROM videos_video v
    JOIN channels_app_channel ch ON ch.id = v.channel_id WHERE v.id = ANY(%(videos)s::text[])
    UNION ALL
    SELECT 'channel', ch.id, ch.content_owner_id FROM channels_app_channel ch WHERE ch.id = ANY(%(channels)s::text[])
    UNION ALL
    SELECT 'claim', c.id, NULL FROM videos_claim c
    JOIN videos_video v ON v.id = c.video_id JOIN channels_app_channel ch ON ch.id = v.channel_id
    WHERE c.id = ANY(%(claims)s::text[]) AND ch.content_owner_id IS DISTINCT FROM %(owner_id)s
    UNION ALL
    SELECT 'asset', a.id, NULL FROM videos_asset a
    WHERE a.id = ANY(%(assets)s::text[]) AND CASE
        WHEN a.content_owner_id IS NOT NULL THEN a.content_owner_id <> %(owner_id)s
        ELSE EXISTS (
            SELECT 1 FROM videos_claim c
            JOIN videos_video v ON v.id = c.video_id JOIN channels_app_channel ch ON ch.id = v.channel_id
            WHERE c.asset_id = a.id AND ch.content_owner_id IS DISTINCT FROM %(owner_id)s)
    END
"""


CHUNK_OWNERS_BATCH = 1000


def chunk_owners(
    *, owner_id: str | None, video_ids, channel_ids, claim_ids, asset_ids
) -> tuple[dict[str, str | None], dict[str, str | None], set[str], set[str]]:
    """Owners of a chunk's ids, a statement per 1,000 of each kind: (video -> owner, channel -> owner for those that
    exist, claims of other owners, assets of other owners). Claims and assets are checked only
    with an owner_id (videos.selectors decides the same)."""
    ids = {
        "videos": sorted(video_ids),
        "channels": sorted(channel_ids),
        "claims": sorted(claim_ids) if owner_id is not None else [],
        "assets": sorted(asset_ids) if owner_id is not None else [],
    }
    found: dict[str, dict] = {"video": {}, "channel": {}, "claim": {}, "asset": {}}
    with transaction.atomic(), connection.cursor() as cursor:
        # Primary-key probes whatever the statistics say (see _plan_for): during a first import
        # they still describe the empty table, and a scan per chunk would read the whole catalogue.
        # No parallel workers: with 10,000 claim ids the planner launched two for the claims' part,
        # each costing more to start than its share of the probes, on the cores the merge needs.
        _run(
            cursor,
            _plan_for("probes")
            + "SET LOCAL enable_seqscan = off; SET LOCAL max_parallel_workers_per_gather = 0",
        )
        # At most CHUNK_OWNERS_BATCH ids of each kind per statement: one statement over a 10,000-id
        # chunk cost PostgreSQL 3.4-4.7 s of CPU for a daily report of 200,000 videos, batches of
        # 1,000 2.7 s (bench/ingest_cpu.py); still one round trip per batch, not one per kind.
        longest = max(map(len, ids.values()))
        for start in range(0, longest, CHUNK_OWNERS_BATCH):
            params = {kind: values[start : start + CHUNK_OWNERS_BATCH] for kind, values in ids.items()}
            cursor.execute(_CHUNK_OWNERS_SQL, {"owner_id": owner_id, **params})
            for kind, key, owner in cursor.fetchall():
                found[kind][key] = owner
        _run(
            cursor,
            "SET LOCAL enable_seqscan = DEFAULT; SET LOCAL max_parallel_workers_per_gather = DEFAULT; "
            "SET LOCAL enable_hashjoin = DEFAULT; "
            "SET LOCAL enable_mergejoin = DEFAULT; SET LOCAL enable_nestloop = DEFAULT",
        )
    return found["video"], found["channel"], set(found["claim"]), set(found["asset"])


def catalogue_video_estimate() -> int:
    """Rows in videos_video: the planner's estimate, counted when the table was never analysed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Video._meta.db_table]
        )
        estimate = cursor.fetchone()[0]
        if estimate < 0:
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {Video._meta.db_table} LIMIT 10000000) v")
            estimate = cursor.fetchone()[0]
    return estimate


def prepare_session() -> None:
    """Create the session's temporary tables (once per connection) and empty the dry-run overlay."""
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                # Room for a chunk's temporary tables in memory; only possible before the session's
                # first temporary table, so a reused connection keeps what it has.
                cursor.execute("SET temp_buffers = '64MB'")
        except DatabaseError:
            pass
        columns = ", ".join(
            f"{name} {pg_type}"
            for name, pg_type in zip(
                [*STAGED_COLUMNS, *AGGREGATE_COLUMNS], [*STAGED_PG_TYPES, *AGGREGATE_PG_TYPES], strict=True
            )
        )
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ({columns}) ON COMMIT DELETE ROWS")
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {POLICIES} (label text PRIMARY KEY, policy_id text) "
            "ON COMMIT DELETE ROWS"
        )
        # Only the column types matter here: the values stand for a run's.
        placeholders = {
            "owner_id": "",
            "fetched_at": datetime.now(UTC),
            "source": Video.SnapshotSource.REPORT.value,
            "has_policy_column": True,
            "counters_apart": True,
            "incomplete": [],
        }
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {DRY_ASSETS} (id text PRIMARY KEY, isrc text, custom_id text)"
        )
        cursor.execute(f"TRUNCATE {DRY_ASSETS}")
        for table, select, params in _CHUNK_TABLES:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {table} ON COMMIT DELETE ROWS AS {select} WITH NO DATA",
                {**placeholders, **params},
            )


def merge_chunk(rows: list[tuple], ctx: MergeContext, *, incomplete_videos=frozenset()) -> ChunkResult:
    """Merge one chunk with SQL; the caller holds the transaction (and commits the counters with it)."""
    result = ChunkResult()
    if not rows:
        return result
    named = {
        "owner_id": ctx.owner_id,
        "fetched_at": ctx.fetched_at,
        "source": Video.SnapshotSource.REPORT.value,
        "has_policy_column": ctx.has_policy_column,
    }
    with connection.cursor() as cursor:
        # Statements are sent several at a time: in the pipelined import every round trip also
        # waits for the parsing thread to hand back the GIL.
        # The chunk's counts and checkpoint commit with it, so a commit lost in a server crash is
        # simply merged again on resume: no need to wait for the WAL flush. JIT off: with no
        # statistics on the temporary tables the estimated costs pass jit_above_cost, and
        # compiling takes longer (~0.5 s) than running these statements.
        _run(
            cursor,
            "SET LOCAL synchronous_commit TO OFF; SET LOCAL jit = off; "
            # Empty already when the last chunk committed; not when chunks share a caller's transaction.
            + "; ".join(
                f"DELETE FROM {table}" for table in (STAGE, POLICIES, *(t for t, _, _ in _CHUNK_TABLES))
            ),
        )
        columns = [*STAGED_COLUMNS, *AGGREGATE_COLUMNS]
        with cursor.copy(f"COPY {STAGE} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([*STAGED_PG_TYPES, *AGGREGATE_PG_TYPES])
            write_row = copy.write_row
            for row in with_video_aggregates(rows):
                write_row(row)

        # Channels.
        if ctx.dry_run:
            _run(
                cursor,
                f"""{_plan_for("probes")} SELECT DISTINCT s.channel_id FROM {STAGE} s WHERE s.channel_id <> ''
                    AND NOT EXISTS (SELECT 1 FROM channels_app_channel c WHERE c.id = s.channel_id)""",
            )
            missing = {channel_id for (channel_id,) in cursor.fetchall()} - ctx.dry_channels
            result.channels_created = len(missing)
            ctx.dry_channels.update(missing)
        else:
            sql, params = _INSERT_CHANNELS_SQL
            _run(cursor, _plan_for("probes") + sql + " ON CONFLICT (id) DO NOTHING", {**named, **params})
            result.channels_created = cursor.rowcount

        # Videos. A chunk of new videos only (a first import, mostly) is inserted as it comes: no
        # old state to merge, nothing to compare, every row imported. (A video created by someone
        # else after this probe fails the insert on its key; the chunk is merged again, the general way.)
        all_new = False
        if not ctx.dry_run and not ctx.preview_room:
            _run(
                cursor,
                f"""{_plan_for("probes")} SELECT NOT EXISTS (
                        SELECT 1 FROM {STAGE} s JOIN videos_video v ON v.id = s.video_id WHERE s.is_first)""",
            )
            all_new = cursor.fetchone()[0]
        if all_new:
            sql, params = _INSERT_FRESH_VIDEOS_SQL
            _run(cursor, sql, {**named, **params})
            result.videos_created = cursor.rowcount
        else:
            _run(cursor, f"INSERT INTO {CHUNK_VIDEOS} {_CHUNK_VIDEOS_SELECT}", named)
            # Keep the changing ones, compute their new state, write it.
            sql, params = _NEW_VIDEOS_SELECT
            _run(
                cursor,
                f"""INSERT INTO {CHANGING_VIDEOS} {_CHANGING_VIDEOS_SELECT}; INSERT INTO {NEW_VIDEOS} {sql};
                    SELECT count(*) FILTER (WHERE NOT existed), count(*) FILTER (WHERE existed AND changed),
                           (SELECT count(*) FROM {CHUNK_VIDEOS}),
                           (SELECT count(*) FROM {CHANGING_VIDEOS} WHERE counters_only) FROM {NEW_VIDEOS}""",
                {**named, **params, "counters_apart": not ctx.preview_room},
            )
            result.videos_created, result.videos_updated, chunk_videos, counters_only = cursor.fetchone()
            result.videos_updated += counters_only
            result.videos_unchanged = chunk_videos - result.videos_created - result.videos_updated
        if ctx.preview_room:
            result.preview = _preview(cursor, ctx.preview_room)
        if not ctx.dry_run and not all_new:
            sql, params = _INSERT_VIDEOS_SQL
            # No row locks were taken to compute the new state (locking every video of the chunk
            # would write to every page even when nothing changes): a video edited since then has
            # another xmin, is not updated here, and the chunk is merged again.
            _run(cursor, f"{sql}; {_UPDATE_VIDEOS_SQL}", {**named, **params})
            updated = cursor.rowcount
            _run(cursor, _UPDATE_STATISTICS_SQL)
            updated += cursor.rowcount
            if counters_only:
                _run(cursor, _UPDATE_COUNTERS_SQL)
                updated += cursor.rowcount
            if updated != result.videos_updated:
                raise ConcurrentChange(f"{result.videos_updated - updated} videos changed during the merge")

        # Assets. A chunk of new videos inserts its assets as they come; only when one exists
        # already (another video's asset) are they compared the general way.
        inserted_assets, every_asset_new = (
            _insert_new(
                cursor, _INSERT_ASSETS_DIRECT_SQL, named, {row[ASSET_ID] for row in rows if row[ASSET_ID]}
            )
            if all_new
            else (0, False)
        )
        if not every_asset_new:
            _merge_assets(cursor, ctx, result, named)
        result.assets_created += inserted_assets

        # Claims, with their policy looked up by label.
        _run(cursor, f"SELECT DISTINCT policy_label FROM {STAGE} WHERE claim_id <> '' AND policy_label <> ''")
        labels = {label for (label,) in cursor.fetchall()}
        policies = policy_ids_for(labels, owner_id=ctx.owner_id, dry_run=ctx.dry_run, cache=ctx.policy_cache)
        if policies:
            _run(
                cursor,
                f"INSERT INTO {POLICIES} (label, policy_id) SELECT * FROM unnest(%s::text[], %s::text[])",
                [list(policies), list(policies.values())],
            )
        inserted_claims, every_claim_new = (
            _insert_new(
                cursor, _INSERT_CLAIMS_DIRECT_SQL, named, {row[CLAIM_ID] for row in rows if row[CLAIM_ID]}
            )
            if all_new
            else (0, False)
        )
        if not every_claim_new:
            _merge_claims(cursor, ctx, result, named)
        result.claims_upserted += inserted_claims

        # Claims that left the report (see reports.staging): active claims of covered videos it omits.
        # (A video new in this chunk had no claims before it.) Each chunk video probes the claims'
        # video_id index (LATERAL ... OFFSET 0): as a plain join, the planner with stale statistics
        # scanned the claims once per chunk video (30,000 videos re-imported: 24 s instead of 0.1 s).
        if ctx.claims_complete and not all_new:
            _run(
                cursor,
                f"""{_plan_for("probes")}
                    INSERT INTO {GONE_CLAIMS} {_GONE_CLAIMS_SELECT};
                    {_plan_for("temporary")}
                    DELETE FROM {GONE_CLAIMS} g USING {NEW_CLAIMS} n WHERE n.id = g.id;
                    SELECT count(*) FROM {GONE_CLAIMS}""",
                {"incomplete": list(incomplete_videos)},
            )
            result.claims_deactivated = cursor.fetchone()[0]
            if result.claims_deactivated and not ctx.dry_run:
                _run(
                    cursor,
                    f"""{_plan_for("probes")} UPDATE videos_claim SET status = 'inactive', updated_at = now()
                        WHERE id IN (SELECT id FROM {GONE_CLAIMS})""",
                )

        # Every row in exactly one bucket (all imported when every video is new). One pass over
        # the stage with a hashed set per kind of changed row: 2-3x faster than joining the four
        # tables, each of them whole, to every row.
        if all_new:
            imported = total = len(rows)
        else:
            _run(
                cursor,
                f"""
                {_plan_for("temporary")}
                SELECT count(*) FILTER (
                           WHERE s.video_id IN (SELECT video_id FROM {CHANGING_VIDEOS} WHERE counters_only)
                              OR s.video_id IN (SELECT video_id FROM {NEW_VIDEOS} WHERE changed)
                              OR s.claim_id IN (SELECT id FROM {NEW_CLAIMS} WHERE changed)
                              OR s.asset_id IN (SELECT id FROM {NEW_ASSETS} WHERE changed)),
                       count(*)
                FROM {STAGE} s
                """,
            )
            imported, total = cursor.fetchone()
        _run(
            cursor,
            "SET LOCAL enable_hashjoin = DEFAULT; SET LOCAL enable_mergejoin = DEFAULT; SET LOCAL enable_nestloop = DEFAULT",
        )
        result.rows_imported, result.rows_unchanged = imported, total - imported
    return result


def _insert_new(cursor, statement: tuple[str, dict], named: dict, keys: set) -> tuple[int, bool]:
    """Run a direct INSERT … ON CONFLICT DO NOTHING of the chunk's `keys`: (rows inserted, all of them?)."""
    sql, params = statement
    _run(cursor, sql, {**named, **params})
    return cursor.rowcount, cursor.rowcount == len(keys)


def _merge_assets(cursor, ctx: MergeContext, result: ChunkResult, named: dict) -> None:
    """The chunk's assets compared with the catalogue's (or the dry run's overlay), then written."""
    _run(
        cursor,
        f"""
        INSERT INTO {NEW_ASSETS} {_NEW_ASSETS_SELECT};
        SELECT count(*) FILTER (WHERE NOT existed), array_agg(id) FILTER (WHERE existed AND changed)
        FROM {NEW_ASSETS}
        """,
    )
    result.assets_created, updated = cursor.fetchone()
    refuse_other_owners_rows(owner_id=ctx.owner_id, claim_ids=(), asset_ids=updated)
    if ctx.dry_run:
        _run(
            cursor,
            f"""INSERT INTO {DRY_ASSETS} (id, isrc, custom_id) SELECT id, n_isrc, n_custom_id FROM {NEW_ASSETS}
                WHERE changed ON CONFLICT (id) DO UPDATE SET isrc = EXCLUDED.isrc, custom_id = EXCLUDED.custom_id""",
        )
    else:
        sql, params = _INSERT_ASSETS_SQL
        _run(
            cursor,
            f"""{sql}; UPDATE videos_asset a SET isrc = n.n_isrc, custom_id = n.n_custom_id, updated_at = now()
                FROM {NEW_ASSETS} n WHERE a.id = n.id AND n.existed AND n.changed""",
            {**named, **params},
        )


def _merge_claims(cursor, ctx: MergeContext, result: ChunkResult, named: dict) -> None:
    """The chunk's claims compared with the catalogue's, then written (a dry run only compares)."""
    _run(
        cursor,
        f"""
        INSERT INTO {NEW_CLAIMS} {_NEW_CLAIMS_SELECT};
        SELECT count(*) FILTER (WHERE changed), array_agg(id) FILTER (WHERE existed AND changed)
        FROM {NEW_CLAIMS}
        """,
    )
    result.claims_upserted, updated = cursor.fetchone()
    refuse_other_owners_rows(owner_id=ctx.owner_id, claim_ids=updated, asset_ids=())
    if not ctx.dry_run:
        sql, params = _INSERT_CLAIMS_SQL
        _run(
            cursor,
            f"""{sql}; UPDATE videos_claim c SET video_id = n.video_id, asset_id = n.asset_id, content_type = n.content_type,
                       policy_id = n.policy_id, origin = n.origin, is_partner_uploaded = n.is_partner_uploaded,
                       status = CASE WHEN c.status = 'inactive' THEN 'active' ELSE c.status END, updated_at = now()
                FROM {NEW_CLAIMS} n WHERE c.id = n.id AND n.existed AND n.changed""",
            {**named, **params},
        )


def _decode(name: str, value):
    if isinstance(value, str) and _kind(name) == "JSONField":
        return json.loads(value)
    return value


def _preview(cursor, limit: int) -> list[dict]:
    defaults = video_defaults()
    new_columns = ", ".join(f"n.n_{name}" for name in PREVIEW_FIELDS)
    old_columns = ", ".join(f"v.{_column(name)}" for name in PREVIEW_FIELDS)
    cursor.execute(
        f"""SELECT n.video_id, n.existed, {new_columns}, {old_columns}
            FROM {NEW_VIDEOS} n LEFT JOIN videos_video v ON v.id = n.video_id
            WHERE n.changed ORDER BY n.video_id COLLATE "C" LIMIT %s""",
        [limit],
    )
    entries = []
    width = len(PREVIEW_FIELDS)
    for row in cursor.fetchall():
        video_id, existed = row[0], row[1]
        new = {
            name: _decode(name, value) for name, value in zip(PREVIEW_FIELDS, row[2 : 2 + width], strict=True)
        }
        if existed:
            old = {
                name: _decode(name, value)
                for name, value in zip(PREVIEW_FIELDS, row[2 + width :], strict=True)
            }
        else:
            old = {name: defaults[name] for name in PREVIEW_FIELDS}
        entries.append(preview_entry(video_id, created=not existed, old=old, new=new))
    return entries
