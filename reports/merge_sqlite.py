"""The set-based merge on SQLite (the embedded default): stage a chunk, compare it with SQL.

merge_postgres's shape on SQLite (UPDATE … FROM needs 3.33; Django asks 3.37 already), with the
rules of reports.staging; tests run merge_python on the same files and compare every written
row. Each chunk runs in the caller's transaction:

  1. the staged rows inserted into a temporary table (executemany: SQLite has no COPY);
  2. channels inserted from it, ON CONFLICT DO NOTHING;
  3. each video of the chunk classified by its first row in one SELECT: *new* (inserted by one
     INSERT … SELECT with the state video_apply_remote_state gives a new video), *same* (the
     report holds what the catalogue holds: not written), *counters* (only views or comments
     moved: those columns alone are written, by one UPDATE … FROM, as
     videos.services.STATISTICS_FIELDS asks), or *merge* (anything else);
  4. the *merge* videos go through merge_python.merge_videos, i.e. video_apply_remote_state,
     the one Python definition of snapshot, pending edits, drift and keywords. A daily report
     sends it the few renamed or re-policed videos, not the thousands whose counters moved;
  5. assets and claims compared in SQL, new ones inserted ON CONFLICT DO NOTHING, changed ones
     written by UPDATE … FROM; claims that left the report deactivated by one UPDATE.

The comparison in 3 is conservative: it says *same* or *counters* only when recording the
report could change nothing else (the snapshot already holds each writable value, the wanted
value follows it or is a pending edit, the read-only values and the ISRC / custom id fill agree).
Anything it cannot tell goes to 4, which decides exactly; so a doubt costs time, never a wrong
write. (Like merge_postgres, it trusts the derived columns, pending_fields and search_keywords,
to be current: videos.services keeps them so on every write.)

No row locks: SQLite has one writer at a time, and a transaction that read a snapshot another
writer has changed since cannot write (SQLITE_BUSY), so nothing compared here is written
behind the comparison's back.

A dry run (it writes nothing and previews each changed video's old and new values, remembering
in Python what earlier chunks would have created) goes through merge_python whole.
"""

import json

from django.db import connection
from django.utils import timezone

from channels_app.models import Channel
from reports import merge_python
from reports.staging import (
    AGGREGATE_COLUMNS,
    ASSET_ID,
    CHANNEL_TITLE_MAX_CHARS,
    CLAIM_ID,
    CLAIM_INSERT_COLUMNS,
    PARTNER_UPLOADED,
    REMOTE_INDEX,
    REPORT_READONLY,
    REPORT_STATISTICS,
    REPORT_WRITABLE,
    SOURCE,
    STAGED_COLUMNS,
    VIDEO,
    ChunkResult,
    ConcurrentChange,
    MergeContext,
    group_by_video,
    policy_ids_for,
    refuse_other_owners_rows,
    video_defaults,
    with_video_aggregates,
)
from videos.models import Asset, Claim, Video
from videos.services import video_search_keywords

STAGE = "ytcms_sqlite_stage_v1"
CHUNK_VIDEOS = "ytcms_sqlite_videos_v1"
NEW_ASSETS = "ytcms_sqlite_assets_v1"
NEW_CLAIMS = "ytcms_sqlite_claims_v1"
POLICIES = "ytcms_sqlite_policies_v1"
INCOMPLETE = "ytcms_sqlite_incomplete_v1"
TEMPORARY_TABLES = (STAGE, CHUNK_VIDEOS, NEW_ASSETS, NEW_CLAIMS, POLICIES, INCOMPLETE)

SAME, COUNTERS, MERGE, NEW = "same", "counters", "merge", "new"

_VIDEO_FIELDS = {f.name: f for f in Video._meta.concrete_fields}
# fresh_keywords: on a video's first row, the search_keywords it gets if it is new.
_STAGE_COLUMNS = [*STAGED_COLUMNS, *AGGREGATE_COLUMNS, "fresh_keywords"]
_TAGS = REMOTE_INDEX["tags"]
_PUBLISHED_AT = REMOTE_INDEX["published_at"]
_IS_FIRST = len(STAGED_COLUMNS)


def _column(name: str) -> str:
    return _VIDEO_FIELDS[name].column


def _staged_rows(rows: list[tuple]) -> list[tuple]:
    """The chunk's rows as SQLite compares them (lists as JSON text, times as Django stores them),
    with their video's aggregates and, on its first row, a new video's search keywords."""
    staged = []
    adapt_datetime = connection.ops.adapt_datetimefield_value
    for row in with_video_aggregates(rows):
        tags, published_at = row[_TAGS], row[_PUBLISHED_AT]
        keywords = video_search_keywords(tags=tags or (), artists=(), genres=()) if row[_IS_FIRST] else None
        if tags is not None or published_at is not None:
            row = list(row)
            if tags is not None:
                row[_TAGS] = json.dumps(tags)
            if published_at is not None:
                row[_PUBLISHED_AT] = adapt_datetime(published_at)
        staged.append((*row, keywords))
    return staged


def _snapshot_holds(name: str) -> str:
    """SQL: the video's snapshot holds the report's value of this writable field, and the wanted
    value follows it (or is a pending edit, which a report never overwrites)."""
    kind = _VIDEO_FIELDS[name].get_internal_type()
    staged = f"s.r_{name}"
    if kind == "JSONField":
        # Both sides minified by SQLite's json(); any other spelling of the same value only
        # sends the video to the exact Python comparison.
        remote, wanted = f"json({staged})", f"json(v.{_column(name)})"
    elif kind == "DateTimeField":
        return "0"  # the snapshot keeps ISO 8601 text, the column Django's: let Python compare
    else:
        remote, wanted = staged, f"v.{_column(name)}"
    return (
        f"({staged} IS NULL OR (json_extract(v.remote_snapshot, '$.{name}') = {remote} "
        f"AND (instr(v.pending_fields, '\"{name}\"') > 0 OR {wanted} = {remote})))"
    )


def _build_chunk_videos_sql() -> str:
    """One row per video of the chunk with its kind (NEW, SAME, COUNTERS or MERGE) and its counters."""
    readonly = {
        **{name: f"s.r_{name}" for name in REPORT_READONLY},
        # The grouping rules' values, from the video's first row (with_video_aggregates).
        "claimed_status": "s.agg_claimed_status",
        "effective_policy": ("COALESCE(s.agg_effective_policy, CASE WHEN %(has_policy_column)s THEN '' END)"),
    }
    same_catalogue = " AND ".join(
        [_snapshot_holds(name) for name in REPORT_WRITABLE]
        + [
            f"({readonly[name]} IS NULL OR {readonly[name]} IS v.{_column(name)})"
            for name in REPORT_READONLY
            if name not in REPORT_STATISTICS
        ]
        + [
            "(v.isrc <> '' OR COALESCE(s.agg_isrc, '') = '')",
            "(v.custom_id <> '' OR COALESCE(s.agg_custom_id, '') = '')",
        ]
    )
    same_counters = " AND ".join(
        f"(s.r_{name} IS NULL OR s.r_{name} IS v.{_column(name)})" for name in REPORT_STATISTICS
    )
    counters = ", ".join(f"s.r_{name}" for name in REPORT_STATISTICS)
    return f"""
        CREATE TEMP TABLE {CHUNK_VIDEOS} AS
        SELECT s.video_id,
               CASE WHEN v.id IS NULL THEN '{NEW}'
                    WHEN v.remote_snapshot IS NULL THEN '{MERGE}'
                    WHEN NOT COALESCE({same_catalogue}, 0) THEN '{MERGE}'
                    WHEN {same_counters} THEN '{SAME}'
                    ELSE '{COUNTERS}' END AS kind,
               {counters}
        FROM {STAGE} s LEFT JOIN {Video._meta.db_table} v ON v.id = s.video_id
        WHERE s.is_first
    """


def _build_update_counters_sql() -> str:
    table = Video._meta.db_table
    sets = ", ".join(
        f"{_column(name)} = COALESCE(c.r_{name}, {table}.{_column(name)})" for name in REPORT_STATISTICS
    )
    return (
        f"UPDATE {table} SET {sets} FROM {CHUNK_VIDEOS} c "
        f"WHERE {table}.id = c.video_id AND c.kind = '{COUNTERS}'"
    )


def _fresh_snapshot() -> str:
    """SQL: a new video's remote_snapshot, the report's writable values (json_patch drops the
    ones the report does not give, as video_apply_remote_state never records them)."""
    members = []
    for name in REPORT_WRITABLE:
        kind, staged = _VIDEO_FIELDS[name].get_internal_type(), f"s.r_{name}"
        if kind == "JSONField":
            value = f"json({staged})"
        elif kind == "BooleanField":
            value = (
                f"CASE WHEN {staged} IS NULL THEN NULL WHEN {staged} THEN json('true') ELSE json('false') END"
            )
        elif kind == "DateTimeField":
            # No writable field is a time today (a report's times are read-only); if one becomes
            # writable, its snapshot form (ISO text, as videos.snapshot writes it) belongs here.
            raise TypeError(f"{name}: the SQLite merge has no snapshot form for a writable time")
        else:
            value = staged
        members.append(f"'{name}', {value}")
    return f"json_patch('{{}}', json_object({', '.join(members)}))"


def _build_insert_new_videos_sql() -> str:
    """The chunk's new videos, inserted from their first rows with the state video_apply_remote_state
    gives a new video: the report's values (else the model's defaults), that snapshot, nothing
    pending, no drift. merge_python's bulk_create, set-based; test_ingest_sqlite compares the two."""
    defaults = video_defaults()

    def or_default(name: str, expression: str) -> str:
        default = _VIDEO_FIELDS[name].get_db_prep_save(defaults[name], connection)
        return expression if default is None else f"COALESCE({expression}, {_quoted(default)})"

    given = {
        "id": "s.video_id",
        "channel": "s.channel_id",
        **{name: or_default(name, f"s.r_{name}") for name in (*REPORT_WRITABLE, *REPORT_READONLY)},
        "claimed_status": or_default("claimed_status", "s.agg_claimed_status"),
        "effective_policy": or_default(
            "effective_policy",
            "COALESCE(s.agg_effective_policy, CASE WHEN %(has_policy_column)s THEN '' END)",
        ),
        "isrc": "COALESCE(s.agg_isrc, '')",
        "custom_id": "COALESCE(s.agg_custom_id, '')",
        "remote_snapshot": _fresh_snapshot(),
        "search_keywords": "s.fresh_keywords",
        "remote_source": "%(source)s",
        "remote_fetched_at": "%(fetched_at)s",
    }
    return _insert_sql(
        Video,
        f"{STAGE} s JOIN {CHUNK_VIDEOS} c ON c.video_id = s.video_id",
        given,
        where=f"s.is_first AND c.kind = '{NEW}'",
    )


def _insert_sql(model, source: str, given: dict[str, str], *, where: str = "") -> str:
    """INSERT … SELECT of every concrete column of the model: the given expressions, %(now)s for
    its auto_now(_add) times, each other field's default; new keys only (ON CONFLICT DO NOTHING)."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.name in given:
            values.append(given[field.name])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append("%(now)s")
        else:
            default = field.get_db_prep_save(field.get_default(), connection)
            values.append("NULL" if default is None else _quoted(default))
    return (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {source} WHERE {where or 'true'} ON CONFLICT DO NOTHING"
    )


def _quoted(value) -> str:
    """A model default as an SQL literal (they are Django's constants: text, numbers, booleans)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''").replace("%", "%%") + "'"


def _first_per(key: str, columns: str) -> str:
    """The stage's first row (lowest line) for each non-empty `key` (SQLite takes the bare
    columns of a min() aggregate from the row holding the minimum)."""
    return f"(SELECT {key}, min(line_number) AS first_line, {columns} FROM {STAGE} WHERE {key} <> '' GROUP BY {key})"


_CHUNK_VIDEOS_SQL = _build_chunk_videos_sql()
_UPDATE_COUNTERS_SQL = _build_update_counters_sql()
_INSERT_NEW_VIDEOS_SQL = _build_insert_new_videos_sql()
_INSERT_CHANNELS_SQL = _insert_sql(
    Channel,
    _first_per("channel_id", "channel_title"),
    {
        "id": "channel_id",
        "content_owner": "%(owner_id)s",
        "title": f"substr(COALESCE(NULLIF(channel_title, ''), channel_id), 1, {CHANNEL_TITLE_MAX_CHARS})",
    },
)
_NEW_ASSETS_SQL = f"""
    CREATE TEMP TABLE {NEW_ASSETS} AS
    SELECT n.*, NOT n.existed OR n.n_isrc <> n.k_isrc OR n.n_custom_id <> n.k_custom_id AS changed
    FROM (
        SELECT s.asset_id AS id, a.id IS NOT NULL AS existed,
               CASE WHEN a.id IS NULL OR s.isrc <> '' THEN s.isrc ELSE a.isrc END AS n_isrc,
               CASE WHEN a.id IS NULL OR s.custom_id <> '' THEN s.custom_id ELSE a.custom_id END AS n_custom_id,
               a.isrc AS k_isrc, a.custom_id AS k_custom_id
        FROM {_first_per("asset_id", "COALESCE(isrc, '') AS isrc, COALESCE(custom_id, '') AS custom_id")} s
        LEFT JOIN {Asset._meta.db_table} a ON a.id = s.asset_id
    ) n
"""
_INSERT_ASSETS_SQL = _insert_sql(
    Asset,
    NEW_ASSETS,
    {"id": "id", "content_owner": "%(owner_id)s", "isrc": "n_isrc", "custom_id": "n_custom_id"},
    where="NOT existed",
)
_UPDATE_ASSETS_SQL = f"""
    UPDATE {Asset._meta.db_table} SET isrc = n.n_isrc, custom_id = n.n_custom_id, updated_at = %(now)s
    FROM {NEW_ASSETS} n WHERE {Asset._meta.db_table}.id = n.id AND n.existed AND n.changed
"""
_CLAIM_VALUES = ("video_id", "asset_id", "content_type", "policy_id", "origin", "is_partner_uploaded")
_NEW_CLAIMS_SQL = f"""
    CREATE TEMP TABLE {NEW_CLAIMS} AS
    SELECT w.*, c.id IS NOT NULL AS existed,
           c.id IS NULL OR c.status = '{Claim.Status.INACTIVE}'
           OR {" OR ".join(f"c.{name} IS NOT w.{name}" for name in _CLAIM_VALUES)} AS changed
    FROM (
        SELECT s.claim_id AS id, s.video_id, s.asset_id, s.content_type, p.policy_id, s.origin,
               lower(s.origin) = '{PARTNER_UPLOADED}' AS is_partner_uploaded
        FROM {
    _first_per(
        "claim_id",
        "video_id, asset_id, COALESCE(content_type, '') AS content_type, "
        "COALESCE(origin, '') AS origin, policy_label",
    )
} s
        LEFT JOIN {POLICIES} p ON p.label = s.policy_label
    ) w LEFT JOIN {Claim._meta.db_table} c ON c.id = w.id
"""
_INSERT_CLAIMS_SQL = _insert_sql(
    Claim,
    NEW_CLAIMS,
    CLAIM_INSERT_COLUMNS,
    where="NOT existed",
)
# Status is left alone, except that a claim the report lists again is active again.
_UPDATE_CLAIMS_SQL = f"""
    UPDATE {Claim._meta.db_table} SET {", ".join(f"{name} = n.{name}" for name in _CLAIM_VALUES)},
           status = CASE WHEN status = '{Claim.Status.INACTIVE}' THEN '{Claim.Status.ACTIVE}' ELSE status END,
           updated_at = %(now)s
    FROM {NEW_CLAIMS} n WHERE {Claim._meta.db_table}.id = n.id AND n.existed AND n.changed
"""
# Claims that left the report (see reports.staging): active claims of covered videos it omits.
_DEACTIVATE_CLAIMS_SQL = f"""
    UPDATE {Claim._meta.db_table} SET status = '{Claim.Status.INACTIVE}', updated_at = %(now)s
    WHERE status = '{Claim.Status.ACTIVE}'
      AND video_id IN (SELECT video_id FROM {STAGE} WHERE is_first
                       AND video_id NOT IN (SELECT video_id FROM {INCOMPLETE}))
      AND id NOT IN (SELECT claim_id FROM {STAGE} WHERE claim_id <> '')
"""


def merge_chunk(rows: list[tuple], ctx: MergeContext, *, incomplete_videos=frozenset()) -> ChunkResult:
    """Merge one chunk with SQL; the caller holds the transaction (and commits the counters with it)."""
    if ctx.dry_run or not rows:
        return merge_python.merge_chunk(rows, ctx, incomplete_videos=incomplete_videos)
    result = ChunkResult()
    now = timezone.now()
    named = {
        "owner_id": ctx.owner_id,
        "has_policy_column": ctx.has_policy_column,
        "now": Video._meta.get_field("updated_at").get_db_prep_save(now, connection),
        "fetched_at": Video._meta.get_field("remote_fetched_at").get_db_prep_save(ctx.fetched_at, connection),
        "source": SOURCE.value,
    }
    with connection.cursor() as cursor:
        for table in TEMPORARY_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")
        cursor.execute(f"CREATE TEMP TABLE {STAGE} ({', '.join(_STAGE_COLUMNS)})")
        cursor.executemany(
            f"INSERT INTO {STAGE} VALUES ({', '.join(['%s'] * len(_STAGE_COLUMNS))})",
            _staged_rows(rows),
        )

        # Channels.
        cursor.execute(_INSERT_CHANNELS_SQL, named)
        result.channels_created = cursor.rowcount

        # Videos: compared here, written here when only their counters moved, else in Python.
        cursor.execute(_CHUNK_VIDEOS_SQL, named)
        cursor.execute(f"SELECT video_id, kind FROM {CHUNK_VIDEOS}")
        kinds = dict(cursor.fetchall())
        result.videos_unchanged = sum(kind == SAME for kind in kinds.values())
        result.videos_updated = sum(kind == COUNTERS for kind in kinds.values())
        new_videos = sum(kind == NEW for kind in kinds.values())
        if new_videos:
            cursor.execute(_INSERT_NEW_VIDEOS_SQL, named)
            result.videos_created = cursor.rowcount
        if result.videos_updated:
            cursor.execute(_UPDATE_COUNTERS_SQL)
        # Not expected (one writer at a time, see above), but a write that missed must not pass
        # as done: the chunk rolls back and merges again.
        if result.videos_created != new_videos or (
            result.videos_updated and cursor.rowcount != result.videos_updated
        ):
            raise ConcurrentChange("videos of the chunk changed during its merge")
        to_merge = [row for row in rows if kinds[row[VIDEO]] == MERGE]
        video_changed = {video_id: kind != SAME for video_id, kind in kinds.items()}
        if to_merge:
            groups = group_by_video(to_merge, has_policy_column=ctx.has_policy_column)
            video_changed.update(merge_python.merge_videos(groups, ctx, result, now=now))

        # Assets: created when new; their ISRC and custom id follow the report when it gives them.
        cursor.execute(_NEW_ASSETS_SQL)
        cursor.execute(f"SELECT id, existed FROM {NEW_ASSETS} WHERE changed")
        changed_assets = dict(cursor.fetchall())
        result.assets_created = sum(not existed for existed in changed_assets.values())
        refuse_other_owners_rows(
            owner_id=ctx.owner_id,
            claim_ids=(),
            asset_ids=[asset_id for asset_id, existed in changed_assets.items() if existed],
        )
        if result.assets_created:
            cursor.execute(_INSERT_ASSETS_SQL, named)
        if len(changed_assets) > result.assets_created:
            cursor.execute(_UPDATE_ASSETS_SQL, named)

        # Claims, with their policy looked up by label.
        cursor.execute(
            f"SELECT DISTINCT policy_label FROM {STAGE} WHERE claim_id <> '' AND policy_label <> ''"
        )
        labels = {label for (label,) in cursor.fetchall()}
        policies = policy_ids_for(labels, owner_id=ctx.owner_id, dry_run=False, cache=ctx.policy_cache)
        cursor.execute(f"CREATE TEMP TABLE {POLICIES} (label TEXT PRIMARY KEY, policy_id TEXT)")
        cursor.executemany(f"INSERT INTO {POLICIES} VALUES (%s, %s)", list(policies.items()))
        cursor.execute(_NEW_CLAIMS_SQL)
        cursor.execute(f"SELECT id, existed FROM {NEW_CLAIMS} WHERE changed")
        changed_claims = dict(cursor.fetchall())
        refuse_other_owners_rows(
            owner_id=ctx.owner_id,
            claim_ids=[claim_id for claim_id, existed in changed_claims.items() if existed],
            asset_ids=(),
        )
        result.claims_upserted = len(changed_claims)
        if changed_claims:
            cursor.execute(_INSERT_CLAIMS_SQL, named)
            cursor.execute(_UPDATE_CLAIMS_SQL, named)

        if ctx.claims_complete:
            cursor.execute(f"CREATE TEMP TABLE {INCOMPLETE} (video_id TEXT PRIMARY KEY)")
            cursor.executemany(
                f"INSERT INTO {INCOMPLETE} VALUES (%s)", [(v,) for v in set(incomplete_videos)]
            )
            cursor.execute(_DEACTIVATE_CLAIMS_SQL, named)
            result.claims_deactivated = cursor.rowcount

    # Every row in exactly one bucket: imported if anything it carries changed, else unchanged.
    for row in rows:
        if video_changed[row[VIDEO]] or row[CLAIM_ID] in changed_claims or row[ASSET_ID] in changed_assets:
            result.rows_imported += 1
        else:
            result.rows_unchanged += 1
    return result
