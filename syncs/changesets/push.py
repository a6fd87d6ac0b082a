"""Pushing a change set: read-modify-write per batch of ≤ 50 videos, three-way conflict checks.

For each batch: one fresh videos.list; per field, base (YouTube's value when we edited) against
theirs (fresh). YouTube changed a field we change → conflict, not written. Otherwise our values are
merged into the full fresh part and only the parts that change are sent. The answer becomes the
snapshot; an item is done only when the answer shows our value.

Items are claimed with a lease (row locks with SKIP LOCKED on PostgreSQL), so two workers never
push the same item; a killed worker's lease goes stale and is re-taken, and because every push
re-reads first, an item YouTube already shows is marked done without a second write.
Call outside transaction.atomic: the gateway's ledger and each claim must commit on their own.
"""

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import ngettext

from channels_app.models import ContentOwner
from core.audit.models import AuditEvent
from syncs.changesets.errors import ChangeSetNeedsApproval, ChangeSetStateConflict
from syncs.changesets.quota_plan import (
    UPDATE_UNITS,
    quota_remaining_today,
    videos_fitting,
    videos_fitting_today,
)
from syncs.changesets.shown import items_worded
from syncs.events import publish_changeset_update, publish_sync_status
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord, YouTubeCredential
from syncs.youtube.errors import (
    NeedsReauthorisation,
    NotConnected,
    PermanentError,
    QuotaExhausted,
    RetryableError,
    YouTubeError,
)
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.mapping import (
    VIDEO_IDS_PER_CALL,
    claim_policy_canonical,
    claim_policy_from_api,
    format_time,
    video_fields_from_api,
)
from syncs.youtube.quota_clock import next_quota_reset
from videos.events import publish_video_update
from videos.models import Asset, Claim, Video
from videos.selectors import assignable_category_ids, claim_ids_of_other_owners
from videos.services import (
    WRITABLE_FIELDS,
    claims_record_remote_policy,
    video_apply_remote_state,
    video_record_claimed,
    video_record_push_result,
)
from videos.snapshot import model_value, snapshot_value
from videos.validation import validate_video_metadata

Progress = Callable[[str], None]

# videos#snippet / videos#status settable properties [doc videos/update], field name → API key.
SNIPPET_KEYS = {
    "title": "title",
    "category_id": "categoryId",
    "description": "description",
    "tags": "tags",
    "default_language": "defaultLanguage",
}
STATUS_KEYS = {
    "privacy_status": "privacyStatus",
    "embeddable": "embeddable",
    "license": "license",
    "public_stats_viewable": "publicStatsViewable",
    "publish_at": "publishAt",
    "self_declared_made_for_kids": "selfDeclaredMadeForKids",
    "contains_synthetic_media": "containsSyntheticMedia",
}
FIELD_PART = {
    **{name: "snippet" for name in SNIPPET_KEYS},
    **{name: "status" for name in STATUS_KEYS},
    "localizations": "localizations",
}
PART_ORDER = ("snippet", "status", "localizations")
LEASE_SECONDS = 600
# Rows read per claim: enough for 50 videos with several edited fields each.
CLAIM_ROWS = VIDEO_IDS_PER_CALL * 8
RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 3600
UNSETTLED = (ChangeSetItem.Status.PENDING, ChangeSetItem.Status.PUSHING, ChangeSetItem.Status.DEFERRED)


def _quiet(line: str) -> None:
    pass


def max_attempts() -> int:
    return settings.CHANGESET_MAX_ATTEMPTS


logger = logging.getLogger("ytcms.push")


@dataclass
class PushResult:
    videos_written: int = 0
    items_done: int = 0
    conflicts: int = 0
    failed: int = 0
    deferred: int = 0
    calls: int = 0
    quota_units: int = 0
    next_run_at: datetime | None = None
    owners_waiting: dict[str, str] = field(default_factory=dict)
    # Videos deferred before any call because today's units left could not pay for them.
    over_budget_videos: int = 0
    over_budget_until: datetime | None = None
    # Items of the change set still waiting after the run (deferred earlier or by it, held back):
    # a second run on the same day defers nothing new, yet what the first deferred still waits.
    waiting: int = 0

    def merge(self, other: "PushResult") -> "PushResult":
        """Both runs' results as one (youtube_push over several change sets): every count adds up,
        the earliest resumption wins, the latest over-budget deferral is the one to tell."""
        earliest = [at for at in (self.next_run_at, other.next_run_at) if at is not None]
        return PushResult(
            **{
                part.name: getattr(self, part.name) + getattr(other, part.name)
                for part in fields(self)
                if isinstance(getattr(self, part.name), int)
            },
            next_run_at=min(earliest, default=None),
            owners_waiting={**self.owners_waiting, **other.owners_waiting},
            over_budget_until=other.over_budget_until or self.over_budget_until,
        )

    def summary(self, *, scheduled: bool = True) -> str:
        """One line; scheduled=False when no task runs what waits (`youtube_push --no-schedule`)."""
        waiting = f"{self.waiting:,} waiting"
        if self.deferred != self.waiting:
            waiting += f" ({self.deferred:,} deferred by this run)"
        text = (
            f"Pushed {self.videos_written:,} {ngettext('video', 'videos', self.videos_written)}: "
            f"{self.items_done:,} {ngettext('field', 'fields', self.items_done)} done, "
            f"{self.conflicts:,} {ngettext('conflict', 'conflicts', self.conflicts)}, {self.failed:,} failed, "
            f"{waiting}; {self.calls:,} {ngettext('call', 'calls', self.calls)}, "
            f"{self.quota_units:,} quota {ngettext('unit', 'units', self.quota_units)}."
        )
        if self.over_budget_videos:
            text += (
                f" {self.over_budget_videos:,} {ngettext('video', 'videos', self.over_budget_videos)} "
                "did not fit today's quota budget: deferred to "
                f"{self.over_budget_until:%Y-%m-%d %H:%M} UTC (midnight Pacific)."
            )
        if self.next_run_at and scheduled:
            text += f" Resumes at {self.next_run_at:%Y-%m-%d %H:%M} UTC."
        elif self.next_run_at:
            text += (
                f" Nothing resumes by itself: what waits comes due at {self.next_run_at:%Y-%m-%d %H:%M} UTC."
            )
        for owner_id, why in self.owners_waiting.items():
            text += f" {owner_id} waits: {why}"
        return text


def push_result_outcomes(result: PushResult) -> dict:
    """A push's counts as the audit row keeps them (JSON: times as ISO 8601)."""
    return {
        "videos_written": result.videos_written,
        "items_done": result.items_done,
        "conflicts": result.conflicts,
        "failed": result.failed,
        "deferred": result.deferred,
        "waiting": result.waiting,
        "calls": result.calls,
        "quota_units": result.quota_units,
        "over_budget_videos": result.over_budget_videos,
        "owners_waiting": dict(result.owners_waiting),
        "next_run_at": result.next_run_at.isoformat() if result.next_run_at else None,
    }


class _StopPush(Exception):
    """Quota is gone: nothing more is sent until reset_at."""

    def __init__(self, reset_at: datetime):
        self.reset_at = reset_at


class _OwnerWaits(Exception):
    def __init__(self, error: YouTubeError):
        self.error = error


# ------------------------------------------------------------------------------ values


def resource_values(resource: dict, parts) -> dict:
    """A videos resource → {field: value in snapshot form} for the writable fields of these parts."""
    fields = video_fields_from_api(resource, parts=tuple(parts))
    return {name: snapshot_value(name, fields[name]) for name in WRITABLE_FIELDS if name in fields}


def _api_value(name: str, value):
    if name == "publish_at":
        return format_time(value) if value else None
    return value


def merge_parts(resource: dict, wanted: dict) -> tuple[dict, list[str]]:
    """The update body: every settable field of each changed part from the fresh resource, plus ours."""
    parts = sorted({FIELD_PART[name] for name in wanted}, key=PART_ORDER.index)
    body: dict = {"id": resource["id"]}
    for part, keys in (("snippet", SNIPPET_KEYS), ("status", STATUS_KEYS)):
        if part not in parts:
            continue
        fresh = resource.get(part) or {}
        merged = {key: fresh[key] for key in keys.values() if key in fresh}
        for name, key in keys.items():
            if name in wanted:
                value = _api_value(name, wanted[name])
                if value in (None, "") and name in ("default_language", "publish_at"):
                    merged.pop(key, None)  # unset: leaving a property out clears it
                elif value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        body[part] = merged
    if "localizations" in parts:
        body["localizations"] = wanted["localizations"] or {}
    return body, parts


def _violations(video: Video, resource_fields: dict, wanted: dict) -> list:
    """Check the merged parts against YouTube's limits before spending 50 units."""
    merged = {**resource_fields, **wanted}
    to_check = {name: model_value(name, merged[name]) for name in merged if name in wanted}
    if "publish_at" in to_check or "privacy_status" in to_check:
        for name in ("publish_at", "privacy_status"):
            if name in merged:
                to_check[name] = model_value(name, merged[name])
    if "localizations" in to_check and "default_language" in merged:
        to_check["default_language"] = merged["default_language"]
    categories = None
    if "category_id" in wanted:
        categories = assignable_category_ids() or None  # no categories loaded: let YouTube decide
    return validate_video_metadata(to_check, assignable_category_ids=categories)


# ------------------------------------------------------------------------------ claiming


def _claimable(changeset: ChangeSet, now: datetime):
    S = ChangeSetItem.Status
    return ChangeSetItem.objects.filter(changeset=changeset).filter(
        Q(status=S.PENDING)
        | Q(status=S.DEFERRED, deferred_until__lte=now)
        # Parked for a broken or missing credential: resumes once the owner is connected again.
        | Q(
            status=S.DEFERRED,
            deferred_until__isnull=True,
            video__channel__content_owner__youtube_credential__status=YouTubeCredential.Status.OK,
        )
        | Q(status=S.PUSHING, leased_until__lt=now)
    )


# A claim locks up to CLAIM_ROWS rows while it picks its 50 videos; another worker claiming at that
# moment skips them all and would wrongly conclude that nothing is left.
CLAIM_BUSY_RETRIES = 50
CLAIM_BUSY_PAUSE_SECONDS = 0.1


def _others_claiming(changeset: ChangeSet, now: datetime, skip_owners: set) -> bool:
    """Claimable rows exist that our SKIP LOCKED claim did not see: another claim holds them."""
    return (
        _claimable(changeset, now)
        .exclude(video__channel__content_owner_id__in=[o for o in skip_owners if o])
        .exists()
    )


def _claim(
    changeset: ChangeSet, now: datetime, skip_owners: set, max_videos: int = VIDEO_IDS_PER_CALL
) -> tuple[str, str | None, list[int]]:
    """Lease the items of up to 50 videos of one content owner; ([], …) when nothing is left.

    At most `max_videos` of them have metadata items (what today's quota still pays for); Content
    ID items spend another API's quota and are not counted.
    """
    lock = {}
    if connection.features.has_select_for_update:
        lock = {"skip_locked": connection.features.has_select_for_update_skip_locked}
        if connection.features.has_select_for_update_of:
            lock["of"] = ("self",)
    token = uuid.uuid4().hex
    with transaction.atomic():
        rows = list(
            _claimable(changeset, now)
            .exclude(video__channel__content_owner_id__in=[o for o in skip_owners if o])
            .select_for_update(**lock)
            .order_by("video_id", "field")
            .values_list("pk", "video_id", "kind")[:CLAIM_ROWS]
        )
        if not rows:
            return token, None, []
        video_ids = list(dict.fromkeys(video_id for _, video_id, _ in rows))
        if len(rows) == CLAIM_ROWS and len(video_ids) > 1:
            video_ids.pop()  # its items may go on past the rows read: next claim
        owners = dict(Video.objects.filter(pk__in=video_ids).values_list("pk", "channel__content_owner_id"))
        owner_id = owners[video_ids[0]]
        writes = {video_id for _, video_id, kind in rows if kind == ChangeSetItem.Kind.METADATA}
        chosen, paid = [], 0
        for video_id in video_ids:
            if owners[video_id] != owner_id or len(chosen) == VIDEO_IDS_PER_CALL:
                continue
            if video_id in writes:
                if paid == max_videos:
                    continue
                paid += 1
            chosen.append(video_id)
        if not chosen:
            return token, None, []
        chosen = set(chosen)
        pks = [pk for pk, video_id, _ in rows if video_id in chosen]
        ChangeSetItem.objects.filter(pk__in=pks).update(
            status=ChangeSetItem.Status.PUSHING,
            lease_token=token,
            leased_until=now + timedelta(seconds=LEASE_SECONDS),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    return token, owner_id, pks


def _defer_over_budget(changeset: ChangeSet, now: datetime, units_left: int, result: PushResult) -> int:
    """Defer, before any call, the due videos today's units cannot pay for; returns how many fit.

    Videos are kept in claim order (by id); the rest wait for the next Pacific midnight, so the
    push never relies on the ledger refusing a call half-way.
    """
    fit = videos_fitting(units_left)
    due = list(
        _claimable(changeset, now)
        .filter(kind=ChangeSetItem.Kind.METADATA)
        .order_by("video_id")
        .values_list("video_id", flat=True)
        .distinct()
    )
    over = due[fit:]
    if not over:
        return fit
    until = next_quota_reset(now)
    message = (
        f"Over today's quota budget ({units_left:,} {ngettext('unit', 'units', units_left)} left, "
        f"{fit:,} {ngettext('video fits', 'videos fit', fit)}): deferred to the reset "
        f"at {until:%Y-%m-%d %H:%M} UTC (midnight Pacific)."
    )
    deferred, told = 0, []
    for start in range(0, len(over), 500):
        batch = _claimable(changeset, now).filter(
            kind=ChangeSetItem.Kind.METADATA, video_id__in=over[start : start + 500]
        )
        pks = list(batch.values_list("pk", flat=True))
        deferred += batch.filter(pk__in=pks).update(
            status=ChangeSetItem.Status.DEFERRED,
            deferred_until=until,
            error_reason="overDailyBudget",
            error_message=message,
            lease_token="",
            leased_until=None,
            updated_at=now,
        )
        told += pks[: LIVE_ITEMS_PER_DEFERRAL - len(told)]
    _publish_deferred(told)
    result.deferred += deferred
    result.over_budget_videos += len(over)
    result.over_budget_until = until
    return fit


# Items deferred in one statement are told live one video at a time up to this many; the change
# set's counts (changeset_update) cover the rest.
LIVE_ITEMS_PER_DEFERRAL = 1000


def _publish_deferred(pks: list[int]) -> None:
    deferred = ChangeSetItem.objects.filter(pk__in=pks, status=ChangeSetItem.Status.DEFERRED)
    publish_sync_status(list(deferred))


# ------------------------------------------------------------------------------ outcomes


def _settle(items, status, *, reason="", message="", until=None, theirs=None) -> None:
    for item in items:
        item.status = status
        item.error_reason = reason[:100]
        item.error_message = message
        item.deferred_until = until
        item.lease_token = ""
        item.leased_until = None
        if theirs is not None:
            item.theirs_value = theirs.get(item.field)
        item.save(
            update_fields=[
                "status",
                "error_reason",
                "error_message",
                "deferred_until",
                "lease_token",
                "leased_until",
                "theirs_value",
                "updated_at",
            ]
        )
    conflicts = [item for item in items if item.status == ChangeSetItem.Status.CONFLICT]
    worded = items_worded(conflicts, owner_id=conflicts[0].changeset.content_owner_id) if conflicts else None
    publish_sync_status(items, worded=worded)


def _retry_or_fail(items, error: YouTubeError, now: datetime, result: PushResult) -> None:
    for item in items:
        if item.attempts >= max_attempts():
            _settle(
                [item],
                ChangeSetItem.Status.FAILED,
                reason=error.reason or "retryable",
                message=f"Gave up after {item.attempts} attempts: {error.message}",
            )
            result.failed += 1
        else:
            wait = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** (item.attempts - 1))
            until = now + timedelta(seconds=wait)
            _settle(
                [item],
                ChangeSetItem.Status.DEFERRED,
                reason=error.reason or "retryable",
                message=error.message,
                until=until,
            )
            result.deferred += 1
            result.next_run_at = min(filter(None, [result.next_run_at, until]))


def _park(items, error: YouTubeError, result: PushResult) -> None:
    """The owner's credential is broken or missing: items wait until it is reconnected."""
    _settle(
        items, ChangeSetItem.Status.DEFERRED, reason=error.reason or "notConnected", message=error.message
    )
    result.deferred += len(items)


# What one push of one video tells: each outcome is its own audit row, so a row marked success
# lists only fields YouTube now holds from us (#16: a title in conflict was listed as sent).
CONFLICT_MESSAGE = "Changed on YouTube since the edit began: ours was not sent."
ALREADY_MESSAGE = "YouTube already had these values: nothing was sent for them."


def fields_on_youtube(items, theirs: dict) -> dict:
    """Audit fields of a success row: YouTube's value read before, and ours, which YouTube now holds."""
    return {item.field: {"before": theirs.get(item.field), "after": item.new_value} for item in items}


def fields_in_conflict(items, theirs: dict) -> dict:
    """Audit fields of a conflict row: the base, YouTube's value now, and ours (not sent)."""
    return {
        item.field: {"base": item.base_value, "theirs": theirs.get(item.field), "ours": item.new_value}
        for item in items
    }


def fields_not_written(items, theirs: dict | None = None, *, answered: dict | None = None) -> dict:
    """Audit fields of a failed or deferred row: ours, which YouTube does not hold; YouTube's value
    read before when there was a read, and what YouTube answered when it took the write but not ours."""
    fields = {}
    for item in items:
        values = {} if theirs is None else {"before": theirs.get(item.field)}
        values["ours"] = item.new_value
        if answered is not None:
            values["theirs"] = answered.get(item.field)
        fields[item.field] = values
    return fields


def _record(
    *,
    changeset,
    video,
    user,
    fields: dict,
    status,
    parts=(),
    etag_before="",
    etag_after="",
    units=0,
    reason="",
    message="",
) -> None:
    SyncRecord.objects.create(
        changeset=changeset,
        video=video,
        user=user,
        fields=fields,
        parts_sent=list(parts),
        etag_before=etag_before,
        etag_after=etag_after,
        quota_units=units,
        status=status,
        reason=(reason or "")[:100],
        message=message,
    )


# ------------------------------------------------------------------------------ the push


def _push_video(session, changeset, user, video, items, resource, read_parts, now, result) -> None:
    """Read-modify-write one video, with one audit row per outcome (see fields_on_youtube)."""
    S = ChangeSetItem.Status
    record = {"changeset": changeset, "video": video, "user": user}
    if resource is None:
        message = "YouTube does not return this video (deleted, or not visible to this owner)."
        _settle(items, S.FAILED, reason="videoNotFound", message=message)
        result.failed += len(items)
        _record(
            **record,
            fields=fields_not_written(items),
            status=SyncRecord.Status.FAILED,
            reason="videoNotFound",
            message=message,
        )
        return
    theirs = resource_values(resource, read_parts)
    etag_before = resource.get("etag", "")
    already, conflicts, to_write = [], [], []
    for item in items:
        value = theirs.get(item.field)
        if value == item.new_value:
            already.append(item)  # e.g. pushed by a worker killed before it recorded the answer
        elif value != item.base_value:
            conflicts.append(item)
        else:
            to_write.append(item)
    # One transaction (one commit) for what the read tells: a commit per row is most of the time.
    with transaction.atomic():
        locked = Video.objects.select_for_update().get(pk=video.pk)
        video_apply_remote_state(
            video=locked,
            remote=video_fields_from_api(resource, parts=tuple(read_parts)),
            source=Video.SnapshotSource.API,
            etag=etag_before,
        )
        locked.save()
        publish_video_update(locked)
        _settle(already, S.DONE)
        _settle(
            conflicts,
            S.CONFLICT,
            reason="conflict",
            message="Changed on YouTube since the edit began.",
            theirs=theirs,
        )
        if already:
            _record(
                **record,
                fields=fields_on_youtube(already, theirs),
                etag_before=etag_before,
                status=SyncRecord.Status.SUCCESS,
                message=ALREADY_MESSAGE,
            )
        if conflicts:
            _record(
                **record,
                fields=fields_in_conflict(conflicts, theirs),
                etag_before=etag_before,
                status=SyncRecord.Status.CONFLICT,
                reason="conflict",
                message=CONFLICT_MESSAGE,
            )
    result.items_done += len(already)
    result.conflicts += len(conflicts)
    if not to_write:
        return
    unwritten = {**record, "fields": fields_not_written(to_write, theirs), "etag_before": etag_before}
    wanted = {item.field: item.new_value for item in to_write}
    violations = _violations(video, theirs, wanted)
    if violations:
        message = "; ".join(v.message for v in violations)
        _settle(to_write, S.FAILED, reason="invalidMetadata", message=message)
        result.failed += len(to_write)
        _record(**unwritten, status=SyncRecord.Status.FAILED, reason="invalidMetadata", message=message)
        return
    body, parts = merge_parts(resource, wanted)
    try:
        answer = session.execute(
            session.youtube.videos().update(part=",".join(parts), body=body, **session.owner_params())
        )
    except QuotaExhausted as error:
        _settle(
            to_write,
            S.DEFERRED,
            reason=error.reason or "quotaExceeded",
            message=error.message,
            until=error.reset_at,
        )
        result.deferred += len(to_write)
        _record(
            **unwritten,
            parts=parts,
            status=SyncRecord.Status.DEFERRED,
            reason=error.reason,
            message=error.message,
        )
        raise _StopPush(error.reset_at) from None
    except RetryableError as error:
        _retry_or_fail(to_write, error, now, result)
        _record(
            **unwritten,
            parts=parts,
            units=UPDATE_UNITS,
            status=SyncRecord.Status.FAILED,
            reason=error.reason,
            message=error.message,
        )
        return
    except (NeedsReauthorisation, NotConnected) as error:
        _park(to_write, error, result)
        _record(
            **unwritten,
            parts=parts,
            status=SyncRecord.Status.DEFERRED,
            reason=error.reason,
            message=error.message,
        )
        raise _OwnerWaits(error) from None
    except PermanentError as error:
        _settle(to_write, S.FAILED, reason=error.reason, message=error.message)
        result.failed += len(to_write)
        _record(
            **unwritten,
            parts=parts,
            units=UPDATE_UNITS,
            status=SyncRecord.Status.FAILED,
            reason=error.reason,
            message=error.message,
        )
        return
    after = resource_values(answer, parts)
    done = [item for item in to_write if after.get(item.field) == item.new_value]
    wrong = [item for item in to_write if item not in done]
    result.items_done += len(done)
    result.failed += len(wrong)
    result.videos_written += 1
    # The write's parts, etags and units go on one row: the success row, or the failed one when
    # YouTube applied none of ours.
    sent = {"parts": parts, "etag_before": etag_before, "etag_after": answer.get("etag", "")}
    with transaction.atomic():
        _settle(done, S.DONE)
        messages = []
        for item in wrong:
            message = f"YouTube answered {item.field} = {after.get(item.field)!r}, not the value sent."
            messages.append(message)
            _settle([item], S.FAILED, reason="notApplied", message=message)
        locked = Video.objects.select_for_update().get(pk=video.pk)
        video_record_push_result(
            video=locked,
            remote=video_fields_from_api(answer, parts=tuple(parts)),
            etag=answer.get("etag", ""),
        )
        video_forget_drift(video=locked, fields=[item.field for item in done])
        locked.save()
        publish_video_update(locked)
        if done:
            _record(
                **record,
                fields=fields_on_youtube(done, theirs),
                **sent,
                units=UPDATE_UNITS,
                status=SyncRecord.Status.SUCCESS,
            )
        if wrong:
            _record(
                **record,
                fields=fields_not_written(wrong, theirs, answered=after),
                **sent,
                units=0 if done else UPDATE_UNITS,
                status=SyncRecord.Status.FAILED,
                reason="notApplied",
                message=" ".join(messages),
            )


def video_forget_drift(*, video: Video, fields) -> bool:
    """Drop these fields' drift marks; True when the video changed (the caller saves).

    A field ytcms just wrote holds our value at YouTube, and a field whose conflict was settled by
    keeping YouTube's value has been looked at: what YouTube changed there is no longer news (#15:
    an overwritten conflict left its drift badge for good).
    """
    left = [name for name in video.drifted_fields if name not in set(fields)]
    if left == list(video.drifted_fields):
        return False
    video.drifted_fields = left
    if not left:
        video.has_drift = False
        video.drift_detected_at = None
    return True


def _push_batch(changeset, user, token, owner_id, now, result, progress) -> None:
    items = list(
        ChangeSetItem.objects.filter(lease_token=token).select_related("video").order_by("video_id", "field")
    )
    by_video: dict[str, list[ChangeSetItem]] = defaultdict(list)
    for item in items:
        by_video[item.video_id].append(item)
    owner = ContentOwner.objects.filter(pk=owner_id).first() if owner_id else None
    if owner is None:
        error = NotConnected("These videos have no content owner; ytcms cannot act for them.")
        _park(items, error, result)
        raise _OwnerWaits(error)
    try:
        session = YouTubeSession.for_owner(owner)
    except (NeedsReauthorisation, NotConnected) as error:
        _park(items, error, result)
        raise _OwnerWaits(error) from None
    claims = [item for item in items if item.kind != ChangeSetItem.Kind.METADATA]
    items = [item for item in items if item.kind == ChangeSetItem.Kind.METADATA]
    by_video = defaultdict(list)
    for item in items:
        by_video[item.video_id].append(item)
    read_parts = sorted({FIELD_PART[item.field] for item in items}, key=PART_ORDER.index)
    try:
        if items:
            _push_metadata(session, changeset, user, items, by_video, read_parts, now, result)
        for number, item in enumerate(claims):
            try:
                _push_claim(session, changeset, user, item, now, result)
            except (_StopPush, _OwnerWaits) as stop:
                _hold_back(claims[number + 1 :], stop, result)
                raise
        handled = len(items) + len(claims)
        progress(
            f"{owner_id}: {len(by_video):,} {ngettext('video', 'videos', len(by_video))}, "
            f"{handled:,} {ngettext('item', 'items', handled)} handled"
        )
    finally:
        result.calls += session.calls
        result.quota_units += session.units_spent


def _push_metadata(session, changeset, user, items, by_video, read_parts, now, result) -> None:
    """One fresh videos.list for the batch, then read-modify-write per video."""
    request = session.youtube.videos().list(
        part=",".join(read_parts), id=",".join(by_video), **session.owner_params()
    )
    response = _call(session, request, items, now, result)
    if response is None:
        return
    fresh = {resource["id"]: resource for resource in response.get("items", [])}
    video_ids = list(by_video)
    for number, video_id in enumerate(video_ids):
        video_items = by_video[video_id]
        try:
            _push_video(
                session,
                changeset,
                user,
                video_items[0].video,
                video_items,
                fresh.get(video_id),
                read_parts,
                now,
                result,
            )
        except (_StopPush, _OwnerWaits) as stop:
            _hold_back([item for later in video_ids[number + 1 :] for item in by_video[later]], stop, result)
            raise


def _hold_back(rest, stop, result) -> None:
    """Items not reached when a push stopped: deferred to the quota reset, or parked for the owner."""
    if isinstance(stop, _StopPush):
        _settle(
            rest,
            ChangeSetItem.Status.DEFERRED,
            reason="quotaExceeded",
            message="Waiting for the daily quota to reset.",
            until=stop.reset_at,
        )
        result.deferred += len(rest)
    else:
        _park(rest, stop.error, result)


def _call(session, request, items, now, result):
    """Execute one request; on failure settle the items as the error says (None, or stop raised)."""
    try:
        return session.execute(request)
    except QuotaExhausted as error:
        _settle(
            items,
            ChangeSetItem.Status.DEFERRED,
            reason=error.reason or "quotaExceeded",
            message=error.message,
            until=error.reset_at,
        )
        result.deferred += len(items)
        raise _StopPush(error.reset_at) from None
    except RetryableError as error:
        _retry_or_fail(items, error, now, result)
    except (NeedsReauthorisation, NotConnected) as error:
        _park(items, error, result)
        raise _OwnerWaits(error) from None
    except PermanentError as error:
        _settle(items, ChangeSetItem.Status.FAILED, reason=error.reason, message=error.message)
        result.failed += len(items)
    return None


# ------------------------------------------------------------------------------ Content ID


_RECORD_STATUS = {
    ChangeSetItem.Status.DONE: SyncRecord.Status.SUCCESS,
    ChangeSetItem.Status.CONFLICT: SyncRecord.Status.CONFLICT,
    ChangeSetItem.Status.DEFERRED: SyncRecord.Status.DEFERRED,
}


def _claim_store(answer: dict, video_id: str, owner_id: str) -> None:
    """Keep the catalogue's Claim row in step (only for assets the catalogue knows): its fields as
    answered, and its policy through claims_record_remote_policy, the rule a read follows too. The
    video reads Claimed whether or not the catalogue knows the asset."""
    if answer.get("status", Claim.Status.ACTIVE) == Claim.Status.ACTIVE:
        video_record_claimed(video_id=video_id)
    if not Asset.objects.filter(pk=answer.get("assetId")).exists():
        return
    Claim.objects.update_or_create(
        id=answer["id"],
        defaults={
            "video_id": video_id,
            "asset_id": answer["assetId"],
            "content_type": answer.get("contentType", ""),
            "status": answer.get("status", Claim.Status.ACTIVE),
        },
    )
    claims_record_remote_policy(owner_id=owner_id, policies={answer["id"]: claim_policy_from_api(answer)})


def _claim_remember_read(claim_id: str, current: dict, owner_id: str) -> None:
    """What a claims.get showed becomes the catalogue's snapshot of the claim's policy, conflict or
    not (as a video's read does): keeping YouTube's value then needs nothing more, the next edit
    starts from it, and the policy column and the video's effective policy follow it."""
    policy = claim_policy_from_api(current)
    if policy is not None:
        claims_record_remote_policy(owner_id=owner_id, policies={claim_id: policy})


def _claim_state(item: ChangeSetItem, claim: dict) -> dict | None:
    """What the item changes on a claim resource: its policy, or (a release) its status."""
    if item.kind == ChangeSetItem.Kind.CLAIM_RELEASE:
        return {"status": claim.get("status")}
    return claim_policy_from_api(claim)


def _claim_value(item: ChangeSetItem, value: dict | None) -> dict | None:
    """An item's base or new value in the form _claim_state gives (items kept before #16 too)."""
    if item.kind == ChangeSetItem.Kind.CLAIM_RELEASE:
        return value
    return claim_policy_canonical(value)


def _remember(item: ChangeSetItem, **changes) -> None:
    """Keep what the push learnt on the item (the claim YouTube made, the base it found)."""
    for name, value in changes.items():
        setattr(item, name, value)
    ChangeSetItem.objects.filter(pk=item.pk).update(**changes)


def _claim_audit_fields(item: ChangeSetItem, theirs, answered: dict | None) -> dict:
    """The audit row's fields in the shape of the metadata push's rows: a conflict's ours was not sent,
    and a claim that does not hold ours never lists it as written."""
    read = {item.field: theirs}
    if item.status == ChangeSetItem.Status.DONE:
        return fields_on_youtube([item], read)
    if item.status == ChangeSetItem.Status.CONFLICT:
        return fields_in_conflict([item], read)
    return fields_not_written([item], read, answered=answered)


def _push_claim(session, changeset, user, item, now, result) -> None:
    """claims.insert (after a claimSearch, so a retried insert never claims twice), or claims.patch of
    the policy or of the status (a release), after a claims.get for the three-way check."""
    S = ChangeSetItem.Status
    owner = session.owner_params()
    units_before, sent, theirs, answered = session.units_spent, [], None, None
    try:
        if item.kind == ChangeSetItem.Kind.CLAIM_INSERT:
            found = _call(
                session,
                session.partner.claimSearch().list(videoId=item.video_id, **owner),
                [item],
                now,
                result,
            )
            if found is None:
                return
            existing = [
                claim
                for claim in found.get("items", [])
                if claim.get("assetId") == item.payload["assetId"] and claim.get("status") == "active"
            ]
            if existing:
                # Ours from a killed worker (or made in Studio meanwhile): the video is claimed as asked.
                _remember(item, payload={**item.payload, "claimId": existing[0]["id"]})
                _settle([item], S.DONE)
                result.items_done += 1
                return
            sent.append("claims.insert")
            body = {key: value for key, value in item.payload.items() if key != "claimId"}
            answer = _call(session, session.partner.claims().insert(body=body, **owner), [item], now, result)
        else:
            claim_id = item.payload["claimId"]
            current = _call(
                session, session.partner.claims().get(claimId=claim_id, **owner), [item], now, result
            )
            if current is None:
                return
            theirs = _claim_state(item, current)
            if item.kind == ChangeSetItem.Kind.CLAIM_PATCH:
                _claim_remember_read(claim_id, current, session.owner_id)
            if theirs == _claim_value(item, item.new_value):
                _settle([item], S.DONE)
                result.items_done += 1
                return
            if item.base_value is None:
                # The catalogue had never read the claim when the edit began (known only from a
                # report, which names no policy id or rules): YouTube's now is the base.
                _remember(item, base_value=theirs)
            if theirs != _claim_value(item, item.base_value):
                what = "status" if item.kind == ChangeSetItem.Kind.CLAIM_RELEASE else "policy"
                _settle(
                    [item],
                    S.CONFLICT,
                    reason="conflict",
                    message=f"The claim's {what} changed on YouTube.",
                    theirs={item.field: theirs},
                )
                result.conflicts += 1
                return
            sent.append("claims.patch")
            body = (
                {"status": "inactive"}
                if item.kind == ChangeSetItem.Kind.CLAIM_RELEASE
                else {"policy": item.new_value}
            )
            answer = _call(
                session,
                session.partner.claims().patch(claimId=claim_id, body=body, **owner),
                [item],
                now,
                result,
            )
        if answer is None:
            return
        if claim_ids_of_other_owners(owner_id=session.owner_id, claim_ids=[answer.get("id", "")]):
            # YouTube (or a stand-in) answered with the id of a claim ytcms keeps for another owner:
            # neither that claim nor the item's memory of it may become this owner's.
            _settle(
                [item],
                S.FAILED,
                reason="otherOwnersClaim",
                message=(
                    f"YouTube answered with claim {answer['id']}, which ytcms holds for another "
                    "content owner; that claim was left unchanged. Check the claim on YouTube."
                ),
            )
            result.failed += 1
            return
        if item.kind == ChangeSetItem.Kind.CLAIM_INSERT and answer.get("id"):
            _remember(item, payload={**item.payload, "claimId": answer["id"]})
        if _claim_state(item, answer) == _claim_value(item, item.new_value):
            _settle([item], S.DONE)
            result.items_done += 1
        else:
            answered = {item.field: _claim_state(item, answer)}
            _settle([item], S.FAILED, reason="notApplied", message="The claim does not show the value sent.")
            result.failed += 1
        _claim_store(answer, item.video_id, session.owner_id)
    finally:
        SyncRecord.objects.create(
            changeset=changeset,
            video_id=item.video_id,
            user=user,
            fields=_claim_audit_fields(item, theirs, answered),
            parts_sent=sent,
            quota_units=session.units_spent - units_before,
            status=_RECORD_STATUS.get(item.status, SyncRecord.Status.FAILED),
            reason=item.error_reason,
            message=item.error_message,
        )


def changeset_settle_status(*, changeset: ChangeSet, unsettled: str = ChangeSet.Status.QUEUED) -> ChangeSet:
    """The change set's status from its items' statuses.

    `unsettled`: the status while items still wait to be sent: Queued when a push will send them,
    Approved when they wait for someone to press Push (a conflict resolved with ours, nothing queued).
    """
    changeset.refresh_from_db()
    if changeset.status in (ChangeSet.Status.DRAFT, ChangeSet.Status.REVERTED):
        return changeset
    statuses = set(changeset.items.values_list("status", flat=True))
    S = ChangeSetItem.Status
    if statuses & set(UNSETTLED):
        status = unsettled
    elif S.CONFLICT in statuses:
        status = ChangeSet.Status.HAS_CONFLICTS
    elif S.FAILED in statuses:
        status = ChangeSet.Status.PARTLY_FAILED
    else:
        status = ChangeSet.Status.DONE
    ChangeSet.objects.filter(pk=changeset.pk).update(status=status, updated_at=timezone.now())
    if status == ChangeSet.Status.DONE and changeset.revert_of_id:
        ChangeSet.objects.filter(pk=changeset.revert_of_id).update(
            status=ChangeSet.Status.REVERTED, updated_at=timezone.now()
        )
    changeset.status = status
    publish_changeset_update(changeset)
    return changeset


def next_run_at(*, changeset: ChangeSet) -> datetime | None:
    """When deferred items of this change set become due (None: nothing waits on a time)."""
    row = (
        changeset.items.filter(status=ChangeSetItem.Status.DEFERRED, deferred_until__isnull=False)
        .order_by("deferred_until")
        .values_list("deferred_until", flat=True)
        .first()
    )
    return row


def changeset_push(
    *,
    changeset: ChangeSet,
    user=None,
    progress: Progress = _quiet,
    now: datetime | None = None,
    actor_label: str = "push task",
) -> PushResult:
    """Push what is due of a queued (or approved) change set; see the module docstring.

    One audit row ("changeset.pushed") sums up the run; SyncRecord keeps each call's detail. Its
    actor is `user` when a person pushed, else `actor_label` (the task, a command).
    """
    from syncs.changesets.services import changeset_audit

    changeset.refresh_from_db()
    allowed = (ChangeSet.Status.APPROVED, ChangeSet.Status.QUEUED, ChangeSet.Status.PUSHING)
    if changeset.status not in allowed:
        raise ChangeSetStateConflict(
            f"Change set {changeset.pk} is {changeset.get_status_display()}; queue it before pushing."
        )
    if changeset.needs_approval and changeset.approved_by_id is None:
        raise ChangeSetNeedsApproval("This change set needs a second manager's approval before it is pushed.")
    acting_user = user
    status_before = changeset.status
    user = user or changeset.approved_by or changeset.created_by
    # Only if it is still pushable: an approval withdrawn meanwhile (its page edited it,
    # syncs.changesets.amend, waiting on the row lock until now) stops the push here.
    started_push = ChangeSet.objects.filter(pk=changeset.pk, status__in=allowed).update(
        status=ChangeSet.Status.PUSHING, pushed_at=timezone.now(), updated_at=timezone.now()
    )
    if not started_push:
        raise ChangeSetStateConflict(
            f"Change set {changeset.pk} changed meanwhile and is no longer approved."
        )
    publish_changeset_update(changeset)
    result = PushResult()
    started = time.monotonic()
    skip_owners: set = set()
    busy_claims = 0
    # Up front: only what today's units pay for is claimed; the rest waits for the reset.
    moment = now or timezone.now()
    _defer_over_budget(changeset, moment, quota_remaining_today(moment)[0], result)
    if result.over_budget_videos:
        progress(
            f"{result.over_budget_videos:,} {ngettext('video', 'videos', result.over_budget_videos)} "
            "over today's quota budget deferred to "
            f"{result.over_budget_until:%Y-%m-%d %H:%M} UTC"
        )
    while True:
        moment = now or timezone.now()
        fit = videos_fitting_today(moment)
        if fit < VIDEO_IDS_PER_CALL:
            # The last batch today (or someone else spent units): defer what it cannot pay for.
            fit = _defer_over_budget(changeset, moment, quota_remaining_today(moment)[0], result)
        token, owner_id, pks = _claim(changeset, moment, skip_owners, max_videos=min(fit, VIDEO_IDS_PER_CALL))
        if not pks:
            if busy_claims < CLAIM_BUSY_RETRIES and _others_claiming(changeset, moment, skip_owners):
                busy_claims += 1
                time.sleep(CLAIM_BUSY_PAUSE_SECONDS)
                continue
            break
        busy_claims = 0
        try:
            _push_batch(changeset, user, token, owner_id, moment, result, progress)
            publish_changeset_update(changeset, throttle=True)
        except _OwnerWaits as waits:
            skip_owners.add(owner_id)
            result.owners_waiting[owner_id or "(no content owner)"] = waits.error.message
            progress(f"{owner_id}: waits, {waits.error.message}")
        except _StopPush as stop:
            # Nothing more goes out today: the rest waits for the reset too.
            pending = changeset.items.filter(status=ChangeSetItem.Status.PENDING)
            told = list(pending.values_list("pk", flat=True)[:LIVE_ITEMS_PER_DEFERRAL])
            waiting = pending.update(
                status=ChangeSetItem.Status.DEFERRED,
                deferred_until=stop.reset_at,
                error_reason="quotaExceeded",
                error_message="Waiting for the daily quota to reset.",
            )
            _publish_deferred(told)
            result.deferred += waiting
            progress(f"Quota spent: the rest waits until {stop.reset_at:%Y-%m-%d %H:%M} UTC")
            break
    with transaction.atomic():
        changeset_settle_status(changeset=changeset)
        result.next_run_at = next_run_at(changeset=changeset)
        result.waiting = changeset.items.filter(
            status__in=(ChangeSetItem.Status.PENDING, ChangeSetItem.Status.DEFERRED)
        ).count()
        changeset.refresh_from_db(fields=["status"])
        changeset_audit(
            changeset=changeset,
            event_type=AuditEvent.Type.CHANGESET_PUSHED,
            user=acting_user,
            actor_label="" if acting_user is not None else actor_label,
            old={"status": status_before},
            new={"status": changeset.status},
            extra=push_result_outcomes(result),
        )
    logger.info(
        "Change set %s push: %s in %d ms; status %s. %s",
        changeset.pk,
        "ok" if not (result.failed or result.conflicts or result.waiting) else "incomplete",
        (time.monotonic() - started) * 1000,
        changeset.status,
        result.summary(),
    )
    return result
