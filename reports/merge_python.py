"""The reference merge: one chunk of staged rows into the catalogue through the ORM.

Used when REPORTS_MERGE_ENGINE is "python" (and for dry runs on SQLite); merge_sqlite sends it the
videos its comparison in SQL cannot settle (merge_videos). Each video goes through
videos.services.video_apply_remote_state, the one definition of what recording YouTube's state
means; writes are batched (bulk_create; one prepared UPDATE run by executemany for changed rows).
merge_postgres and merge_sqlite must give the same result.
"""

from django.db import connection
from django.utils import timezone

from channels_app.models import Channel
from reports.staging import (
    ASSET_ID,
    CATALOGUE_FIELDS,
    CHANNEL,
    CLAIM_ID,
    CONTENT_TYPE,
    CUSTOM_ID,
    ISRC,
    ORIGIN,
    POLICY_LABEL,
    SOURCE,
    VIDEO,
    ChunkResult,
    MergeContext,
    channel_title,
    first_by,
    group_by_video,
    is_partner_uploaded,
    policy_ids_for,
    preview_entry,
    refuse_other_owners_rows,
)
from videos.models import Asset, Claim, Video
from videos.services import STATISTICS_FIELDS, video_apply_remote_state

WRITE_BATCH = 500
CLAIM_FIELDS = ("video_id", "asset_id", "content_type", "policy_id", "origin", "is_partner_uploaded")
LOOKUP_BATCH = 900  # ids per IN (...) lookup; SQLite builds may allow as few as 999 parameters


def _in_batches(ids, size=LOOKUP_BATCH):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _catalogue_values(video: Video) -> dict:
    # The values themselves, not copies: video_apply_remote_state replaces a video's lists and
    # dicts (snapshot_value and model_value copy, the snapshot is a new dict), it never changes one
    # in place, so these stay what the video held. (Copying the containers of every video twice,
    # before and after, was a fifth of a daily report's merge on SQLite.)
    return {name: getattr(video, name) for name in CATALOGUE_FIELDS}


def _update_rows(model, objects: list, names) -> None:
    """These columns of these rows, and nothing else: one prepared UPDATE run for each row.

    (bulk_update's CASE WHEN per column costs the database a comparison per row of its batch for
    every row it updates, and Django an expression per value to build: on SQLite a day's counters
    of 20,000 videos took minutes, and the few hundred videos a day renames a third of the merge.)
    """
    if not objects:
        return
    fields = [model._meta.get_field(name) for name in names]
    pk = model._meta.pk
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [
                    *(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields),
                    pk.get_db_prep_save(obj.pk, connection),
                ]
                for obj in objects
            ],
        )


def merge_channels(rows: list[tuple], ctx: MergeContext, result: ChunkResult) -> None:
    """Every channel id of the chunk exists afterwards (created with the report's owner)."""
    channel_rows = first_by(rows, CHANNEL)
    existing_channels = set()
    for batch in _in_batches(channel_rows):
        existing_channels.update(Channel.objects.filter(pk__in=batch).values_list("pk", flat=True))
    new_channels = [
        cid for cid in channel_rows if cid not in existing_channels and cid not in ctx.dry_channels
    ]
    result.channels_created = len(new_channels)
    if ctx.dry_run:
        ctx.dry_channels.update(new_channels)
    else:
        Channel.objects.bulk_create(
            [
                Channel(id=cid, title=channel_title(channel_rows[cid]), content_owner_id=ctx.owner_id)
                for cid in new_channels
            ],
            batch_size=WRITE_BATCH,
        )


def merge_videos(groups: list, ctx: MergeContext, result: ChunkResult, *, now) -> dict[str, bool]:
    """What YouTube has, through the one Python definition of it: these groups' videos loaded,
    recorded (video_apply_remote_state), compared and written. Returns {video id: changed?}.

    merge_sqlite sends here only the videos its comparison in SQL could not settle.
    """
    existing = {}
    for batch in _in_batches(group.video_id for group in groups):
        existing.update(Video.objects.select_for_update().in_bulk(batch))
    video_changed = {}
    to_create, to_update, counted = [], [], []
    for group in groups:
        video = existing.get(group.video_id)
        created = video is None
        if created:
            video = Video(id=group.video_id, channel_id=group.channel_id)
        old = _catalogue_values(video)
        video_apply_remote_state(video=video, remote=group.remote, source=SOURCE, fetched_at=ctx.fetched_at)
        if not video.isrc and group.isrc:
            video.isrc = group.isrc
        if not video.custom_id and group.custom_id:
            video.custom_id = group.custom_id
        new = _catalogue_values(video)
        changed = created or new != old
        video_changed[group.video_id] = changed
        if created:
            result.videos_created += 1
            to_create.append(video)
        elif changed and all(
            new[name] == old[name] for name in CATALOGUE_FIELDS if name not in STATISTICS_FIELDS
        ):
            result.videos_updated += 1
            counted.append(video)  # its counters alone (see STATISTICS_FIELDS)
        elif changed:
            result.videos_updated += 1
            video.updated_at = now
            to_update.append(video)
        else:
            result.videos_unchanged += 1
        if changed and len(result.preview) < ctx.preview_room:
            result.preview.append(preview_entry(group.video_id, created=created, old=old, new=new))
    if not ctx.dry_run:
        Video.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        update_fields = [*CATALOGUE_FIELDS, "remote_etag", "remote_source", "remote_fetched_at", "updated_at"]
        _update_rows(Video, to_update, update_fields)
        _update_rows(Video, counted, STATISTICS_FIELDS)  # its counters alone

    return video_changed


def merge_chunk(rows: list[tuple], ctx: MergeContext, *, incomplete_videos=frozenset()) -> ChunkResult:
    """Merge one chunk; the caller holds the transaction (and commits the counters with it)."""
    result = ChunkResult()
    if not rows:
        return result
    now = timezone.now()
    merge_channels(rows, ctx, result)
    groups = group_by_video(rows, has_policy_column=ctx.has_policy_column)
    video_changed = merge_videos(groups, ctx, result, now=now)

    # Assets: created when new; their ISRC and custom id follow the report when it gives them.
    asset_rows = first_by(rows, ASSET_ID)
    # (isrc, custom_id) tuples, not Asset objects: most of a day's assets are unchanged.
    current = {}
    for batch in _in_batches(asset_rows):
        current.update(
            (pk, (isrc, custom_id))
            for pk, isrc, custom_id in Asset.objects.filter(pk__in=batch).values_list(
                "pk", "isrc", "custom_id"
            )
        )
    asset_changed = {}
    new_assets, changed_assets = [], []
    for asset_id, row in asset_rows.items():
        isrc, custom_id = row[ISRC] or "", row[CUSTOM_ID] or ""
        if asset_id in ctx.dry_assets:
            known = ctx.dry_assets[asset_id]
        elif asset_id in current:
            known = current[asset_id]
        else:
            known = None
        if known is None:
            asset_changed[asset_id] = True
            result.assets_created += 1
            values = (isrc, custom_id)
            new_assets.append(
                Asset(id=asset_id, content_owner_id=ctx.owner_id, isrc=isrc, custom_id=custom_id)
            )
        else:
            values = (isrc or known[0], custom_id or known[1])
            asset_changed[asset_id] = values != known
            if values != known and asset_id in current:
                changed_assets.append(Asset(id=asset_id, isrc=values[0], custom_id=values[1], updated_at=now))
        if ctx.dry_run and asset_changed[asset_id]:
            ctx.dry_assets[asset_id] = values
    refuse_other_owners_rows(owner_id=ctx.owner_id, claim_ids=(), asset_ids=[a.pk for a in changed_assets])
    if not ctx.dry_run:
        Asset.objects.bulk_create(new_assets, batch_size=WRITE_BATCH)
        _update_rows(Asset, changed_assets, ["isrc", "custom_id", "updated_at"])

    # Claims: created or updated (video, asset, content type, policy, origin); status is left alone.
    claim_rows = first_by(rows, CLAIM_ID)
    policies = policy_ids_for(
        {row[POLICY_LABEL] for row in claim_rows.values() if row[POLICY_LABEL]},
        owner_id=ctx.owner_id,
        dry_run=ctx.dry_run,
        cache=ctx.policy_cache,
    )
    # Tuples of the compared columns, not Claim objects: most of a day's claims are unchanged.
    existing_claims = {}
    for batch in _in_batches(claim_rows):
        existing_claims.update(
            (values[0], values[1:])
            for values in Claim.objects.filter(pk__in=batch).values_list("pk", *CLAIM_FIELDS, "status")
        )
    claim_changed = {}
    new_claims, changed_claims = [], []
    for claim_id, row in claim_rows.items():
        wanted = {
            "video_id": row[VIDEO],
            "asset_id": row[ASSET_ID],
            "content_type": row[CONTENT_TYPE] or "",
            "policy_id": policies.get(row[POLICY_LABEL] or ""),
            "origin": row[ORIGIN] or "",
            "is_partner_uploaded": is_partner_uploaded(row[ORIGIN]),
        }
        stored = existing_claims.get(claim_id)
        if stored is None:
            claim_changed[claim_id] = True
            new_claims.append(Claim(id=claim_id, **wanted))
        elif stored[-1] == Claim.Status.INACTIVE or stored[:-1] != tuple(
            wanted[name] for name in CLAIM_FIELDS
        ):
            claim_changed[claim_id] = True
            # Listed again: an inactive claim is back (ACTIVE); any other status (disputed,
            # appealed) is not the report's to change. Only CLAIM_FIELDS, status and updated_at
            # of this unsaved instance are written (_update_rows).
            status = Claim.Status.ACTIVE if stored[-1] == Claim.Status.INACTIVE else stored[-1]
            changed_claims.append(Claim(id=claim_id, **wanted, status=status, updated_at=now))
        else:
            claim_changed[claim_id] = False
    refuse_other_owners_rows(owner_id=ctx.owner_id, claim_ids=[c.pk for c in changed_claims], asset_ids=())
    result.claims_upserted = len(new_claims) + len(changed_claims)
    if not ctx.dry_run:
        Claim.objects.bulk_create(new_claims, batch_size=WRITE_BATCH)
        _update_rows(Claim, changed_claims, [*CLAIM_FIELDS, "status", "updated_at"])

    # Claims that left the report (see reports.staging): active claims of covered videos it omits.
    if ctx.claims_complete:
        covered = {row[VIDEO] for row in rows} - set(incomplete_videos)
        gone = []
        for batch in _in_batches(covered):
            gone.extend(
                claim_id
                for claim_id in Claim.objects.filter(video_id__in=batch, status=Claim.Status.ACTIVE)
                .order_by()
                .values_list("pk", flat=True)
                if claim_id not in claim_rows
            )
        result.claims_deactivated = len(gone)
        if not ctx.dry_run:
            for batch in _in_batches(gone):
                Claim.objects.filter(pk__in=batch).update(status=Claim.Status.INACTIVE, updated_at=now)

    # Every row in exactly one bucket: imported if anything it carries changed, else unchanged.
    for row in rows:
        if (
            video_changed[row[VIDEO]]
            or (row[CLAIM_ID] and claim_changed[row[CLAIM_ID]])
            or (row[ASSET_ID] and asset_changed[row[ASSET_ID]])
        ):
            result.rows_imported += 1
        else:
            result.rows_unchanged += 1
    return result
