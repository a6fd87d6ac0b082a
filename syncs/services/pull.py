"""Reading what YouTube has into the catalogue: videos, channels, policies, assets, claims' policies.

Snapshots only: video_apply_remote_state records YouTube's values and etag, never overwrites a
pending edit and marks drift. The Data API cannot list an owner's whole inventory (that comes from
the reports), so a pull reads the videos the catalogue already holds.
"""

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import ngettext

from channels_app.models import Channel, ContentOwner
from channels_app.selectors import channel_ids_of_other_owners
from core.text import listed
from syncs.youtube.errors import NeedsReauthorisation, NotConnected
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.mapping import (
    CHANNEL_PARTS,
    VIDEO_IDS_PER_CALL,
    VIDEO_PARTS,
    asset_fields_from_api,
    channel_fields_from_api,
    claim_policy_from_api,
    policy_fields_from_api,
    video_fields_from_api,
)
from videos.events import publish_videos_update
from videos.models import Asset, Claim, Policy, Video
from videos.selectors import asset_ids_of_other_owners, policy_ids_of_other_owners
from videos.services import claims_record_remote_policy, video_apply_remote_state

# assets.list and claims.list take a comma-separated id list; Google states no maximum, so they
# get the videos.list one.
ASSET_IDS_PER_CALL = 50
CLAIM_IDS_PER_CALL = 50

logger = logging.getLogger("ytcms.youtube.pull")

Progress = Callable[[str], None]
# A progress line says an owner waits; why (often long: what to do) is said once, in the summary.
WAITS_SAID_AT_THE_END = "it waits (why, and what to do, ends the output)"


def _quiet(line: str) -> None:
    pass


@dataclass
class PullResult:
    videos_read: int = 0
    videos_drifted: int = 0
    videos_missing: list[str] = field(default_factory=list)
    videos_read_with_api_key: int = 0
    channels: int = 0
    policies: int = 0
    # Ids YouTube listed for the owner that ytcms holds under another owner: left as they are.
    channels_skipped: list[str] = field(default_factory=list)
    policies_skipped: list[str] = field(default_factory=list)
    assets: int = 0
    claims: int = 0
    calls: int = 0
    quota_units: int = 0
    # Owners whose work waits (not connected, needs re-authorisation), with the reason.
    owners_waiting: dict[str, str] = field(default_factory=dict)

    def add_session(self, session: YouTubeSession) -> None:
        self.calls += session.calls
        self.quota_units += session.units_spent

    def waits(self) -> str:
        """' owner-a waits: why' for each owner whose work waits."""
        return "".join(f" {owner_id} waits: {why}" for owner_id, why in self.owners_waiting.items())

    def summary(self, *, waits: bool = True) -> str:
        """One line; waits=False leaves out why owners wait (a command ends with that on its own)."""
        parts = []
        for count, skipped, name in (
            (self.channels, self.channels_skipped, "channels"),
            (self.policies, self.policies_skipped, "policies"),
        ):
            if count or skipped:
                extra = f" ({len(skipped):,} skipped, not this owner's)" if skipped else ""
                parts.append(f"{count:,} {name}{extra}")
        if self.assets:
            parts.append(f"{self.assets:,} assets")
        if self.claims:
            parts.append(f"{self.claims:,} claims' policies")
        videos = f"{self.videos_read:,} {ngettext('video', 'videos', self.videos_read)}"
        extras = []
        if self.videos_drifted:
            extras.append(f"{self.videos_drifted:,} changed on YouTube outside ytcms")
        if self.videos_missing:
            extras.append(f"{len(self.videos_missing):,} not found on YouTube: {listed(self.videos_missing)}")
        if self.videos_read_with_api_key:
            extras.append(f"{self.videos_read_with_api_key:,} read with the API key, public data only")
        parts.append(videos + (f" ({', '.join(extras)})" if extras else ""))
        text = (
            f"Read {', '.join(parts)} in {self.calls:,} {ngettext('call', 'calls', self.calls)}, "
            f"{self.quota_units:,} quota {ngettext('unit', 'units', self.quota_units)}."
        )
        return text + (self.waits() if waits else "")


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------------------ videos


def _session_for(owner: ContentOwner | None, result: PullResult, progress: Progress) -> YouTubeSession | None:
    """The owner's credential; without one the API key (public data only); None when neither."""
    if owner is not None:
        try:
            return YouTubeSession.for_owner(owner)
        except NeedsReauthorisation as error:
            result.owners_waiting[owner.pk] = error.message
            progress(f"{owner.pk}: skipped, {WAITS_SAID_AT_THE_END}")
            return None
        except NotConnected:
            pass
    try:
        session = YouTubeSession.public()
    except NotConnected as error:
        key = owner.pk if owner is not None else "(no content owner)"
        result.owners_waiting[key] = error.message
        progress(f"{key}: skipped, {WAITS_SAID_AT_THE_END}")
        return None
    progress(
        f"{owner.pk if owner else 'Videos without a content owner'}: no credential, reading public "
        "data with YOUTUBE_API_KEY (private and unlisted videos stay unread)"
    )
    return session


def _videos_pull_with(
    session: YouTubeSession, video_ids: list[str], result: PullResult, progress: Progress
) -> None:
    batches = list(_chunks(video_ids, VIDEO_IDS_PER_CALL))
    for number, batch in enumerate(batches, start=1):
        response = session.execute(
            session.youtube.videos().list(
                part=",".join(VIDEO_PARTS), id=",".join(batch), **session.owner_params()
            )
        )
        items = {item["id"]: item for item in response.get("items", [])}
        drifted_ids: list[str] = []
        # API call first, lock after: no row stays locked while Google answers.
        with transaction.atomic():
            for video in Video.objects.select_for_update().filter(pk__in=batch):
                item = items.get(video.pk)
                if item is None:
                    continue
                before = set(video.drifted_fields)
                video_apply_remote_state(
                    video=video,
                    remote=video_fields_from_api(item, as_owner=not session.uses_api_key),
                    source=Video.SnapshotSource.API,
                    etag=item.get("etag", ""),
                )
                video.save()
                if set(video.drifted_fields) - before:
                    drifted_ids.append(video.pk)
            # Rows on screen change when YouTube changed them; a whole-catalogue pull of
            # unchanged videos sends nothing.
            publish_videos_update(drifted_ids)
        drifted = len(drifted_ids)
        missing = [video_id for video_id in batch if video_id not in items]
        result.videos_read += len(items)
        result.videos_drifted += drifted
        result.videos_missing.extend(missing)
        if session.uses_api_key:
            result.videos_read_with_api_key += len(items)
        progress(
            f"videos.list {number}/{len(batches)}{f' for {session.owner_id}' if session.owner_id else ''}: "
            f"{len(items)} of {len(batch)} read"
            + (f", {drifted} changed on YouTube" if drifted else "")
            + (f", {len(missing)} not found" if missing else "")
        )


def videos_pull(
    *, video_ids: Iterable[str], progress: Progress = _quiet, result: PullResult | None = None
) -> PullResult:
    """Read these videos from YouTube, 50 per videos.list call, each with its owner's credential."""
    result = result or PullResult()
    by_owner: dict[str | None, list[str]] = defaultdict(list)
    rows = (
        Video.objects.filter(pk__in=list(video_ids))
        .order_by("pk")
        .values_list("pk", "channel__content_owner_id")
    )
    for video_id, owner_id in rows:
        by_owner[owner_id].append(video_id)
    owners = ContentOwner.objects.in_bulk([owner_id for owner_id in by_owner if owner_id])
    for owner_id, ids in by_owner.items():
        session = _session_for(owners.get(owner_id), result, progress)
        if session is None:
            continue
        try:
            _videos_pull_with(session, ids, result, progress)
        except NeedsReauthorisation as error:
            result.owners_waiting[owner_id] = error.message
            progress(f"{owner_id}: stopped, {WAITS_SAID_AT_THE_END}")
        finally:
            result.add_session(session)
    return result


# ------------------------------------------------------------------------------ owners


def _owner_rows_store(
    *,
    model: type[Channel] | type[Policy],
    owner: ContentOwner,
    fields_by_id: dict[str, dict],
    ids_of_other_owners: Callable[[list[str]], set[str]],
) -> list[str]:
    """Write what YouTube listed for the owner; return the ids skipped as another owner's.

    YouTube's answer (or a stand-in's, or a stale emulator's) never moves a row from one owner to
    another: a row of another owner stays byte-identical. A row with no owner is adopted. The
    rows are locked before the ownership check so that no owner changes in between; an id that
    another pull creates meanwhile makes create() fail the pull rather than take the row over.
    """
    ids = sorted(fields_by_id)
    with transaction.atomic():
        existing = set(model.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        foreign = ids_of_other_owners(ids)
        for object_id in ids:
            if object_id in foreign:
                continue
            fields = {**fields_by_id[object_id], "content_owner": owner}
            if object_id in existing:
                row = model.objects.get(pk=object_id)
                for name, value in fields.items():
                    setattr(row, name, value)
                row.save()
            else:
                model.objects.create(id=object_id, **fields)
    skipped = sorted(foreign)
    if skipped:
        # Ids only: the other owner's titles and names are not for this owner's log readers.
        logger.warning(
            "%s pull for %s skipped %s %s: held by another content owner in ytcms",
            model._meta.verbose_name_plural,
            owner.pk,
            len(skipped),
            ", ".join(skipped),
        )
    return skipped


def _channels_pull(
    session: YouTubeSession, owner: ContentOwner, result: PullResult, progress: Progress
) -> None:
    page_token = None
    while True:
        response = session.execute(
            session.youtube.channels().list(
                part=",".join(CHANNEL_PARTS),
                managedByMe=True,
                maxResults=50,
                pageToken=page_token,
                **session.owner_params(),
            )
        )
        fields_by_id = {item["id"]: channel_fields_from_api(item) for item in response.get("items", [])}
        skipped = _owner_rows_store(
            model=Channel,
            owner=owner,
            fields_by_id=fields_by_id,
            ids_of_other_owners=lambda ids: channel_ids_of_other_owners(owner_id=owner.pk, channel_ids=ids),
        )
        result.channels += len(fields_by_id) - len(skipped)
        result.channels_skipped.extend(skipped)
        progress(
            f"channels.list for {owner.pk}: {len(fields_by_id) - len(skipped)} channels"
            + (f", {len(skipped)} skipped (not this owner's)" if skipped else "")
        )
        page_token = response.get("nextPageToken")
        if not page_token:
            return


def _policies_pull(
    session: YouTubeSession, owner: ContentOwner, result: PullResult, progress: Progress
) -> None:
    response = session.execute(session.partner.policies().list(**session.owner_params()))
    fields_by_id = {item["id"]: policy_fields_from_api(item) for item in response.get("items", [])}
    skipped = _owner_rows_store(
        model=Policy,
        owner=owner,
        fields_by_id=fields_by_id,
        ids_of_other_owners=lambda ids: policy_ids_of_other_owners(owner_id=owner.pk, policy_ids=ids),
    )
    result.policies += len(fields_by_id) - len(skipped)
    result.policies_skipped.extend(skipped)
    progress(
        f"policies.list for {owner.pk}: {len(fields_by_id) - len(skipped)} policies"
        + (f", {len(skipped)} skipped (not this owner's)" if skipped else "")
    )


def _assets_pull(
    session: YouTubeSession, owner: ContentOwner, result: PullResult, progress: Progress
) -> None:
    """Refresh the assets the owner's known claims point at (assets.list, metadata as the owner sees it).

    Another owner's asset is neither asked for nor written, even when one of this owner's claims
    names it: the answer would overwrite its metadata and hand it to this owner.
    """
    asset_ids = set(
        Claim.objects.filter(video__channel__content_owner=owner).values_list("asset_id", flat=True)
    )
    asset_ids = sorted(asset_ids - asset_ids_of_other_owners(owner_id=owner.pk, asset_ids=asset_ids))
    for batch in _chunks(asset_ids, ASSET_IDS_PER_CALL):
        response = session.execute(
            session.partner.assets().list(id=",".join(batch), fetchMetadata="mine", **session.owner_params())
        )
        items = response.get("items", [])
        # An answer may name another id than asked (a merged asset comes back as the one it joined).
        foreign = asset_ids_of_other_owners(owner_id=owner.pk, asset_ids=[item["id"] for item in items])
        items = [item for item in items if item["id"] not in foreign]
        for item in items:
            Asset.objects.update_or_create(
                id=item["id"], defaults={**asset_fields_from_api(item), "content_owner": owner}
            )
        result.assets += len(items)
        progress(f"assets.list for {owner.pk}: {len(items)} of {len(batch)} assets")


def _claims_pull(
    session: YouTubeSession, owner: ContentOwner, result: PullResult, progress: Progress
) -> None:
    """Read YouTube's policy of the owner's known claims (claims.list by id) into remote_policy; the
    policy column and the videos' effective policies follow it (claims_record_remote_policy).

    A saved policy's id or the claim's own rules: the base a later policy change is checked against
    (#16). Only claims on the owner's own videos are asked for and written, whatever the answer lists.
    """
    claim_ids = list(
        Claim.objects.filter(video__channel__content_owner=owner).order_by("pk").values_list("pk", flat=True)
    )
    for batch in _chunks(claim_ids, CLAIM_IDS_PER_CALL):
        asked, read, page_token = set(batch), 0, None
        while True:
            response = session.execute(
                session.partner.claims().list(
                    id=",".join(batch),
                    **({"pageToken": page_token} if page_token else {}),
                    **session.owner_params(),
                )
            )
            answered = {
                item["id"]: policy
                for item in response.get("items", [])
                if item.get("id") in asked and (policy := claim_policy_from_api(item)) is not None
            }
            read += claims_record_remote_policy(owner_id=owner.pk, policies=answered)
            page_token = response.get("nextPageToken")
            if not page_token:
                break
        result.claims += read
        progress(f"claims.list for {owner.pk}: {read} of {len(batch)} claims' policies")


def owner_pull(
    *, owner: ContentOwner, videos: bool = True, progress: Progress = _quiet, result: PullResult | None = None
) -> PullResult:
    """Everything ytcms reads for one connected owner: channels, policies, claimed assets, the
    claims' policies, videos.

    Raises NotConnected / NeedsReauthorisation when the owner cannot be acted for.
    """
    result = result or PullResult()
    session = YouTubeSession.for_owner(owner)
    try:
        _channels_pull(session, owner, result, progress)
        _policies_pull(session, owner, result, progress)
        _assets_pull(session, owner, result, progress)
        _claims_pull(session, owner, result, progress)
        if videos:
            video_ids = list(
                Video.objects.filter(channel__content_owner=owner).order_by("pk").values_list("pk", flat=True)
            )
            _videos_pull_with(session, video_ids, result, progress)
    finally:
        result.add_session(session)
    return result
