"""Writes to the catalogue. Every edit of what we want goes through here, whatever its door."""

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.audit.models import AuditEvent
from core.audit.services import AuditEntry, audit_events_record
from core.errors import DomainError
from videos.events import publish_video_update, publish_videos_update
from videos.models import Claim, Policy, Video
from videos.policies import claim_policy_text, policy_rank
from videos.selectors import assignable_category_ids
from videos.snapshot import model_value, snapshot_value
from videos.validation import (
    TEXT_LIMITS,
    Violation,
    normalise_line_endings,
    normalise_tags,
    normalise_video_texts,
    text_measure,
    validate_bulk_edit_texts,
    validate_text_measure,
    validate_video_metadata,
)

# The properties videos.update lets us set (developers.google.com/youtube/v3/docs/videos/update).
WRITABLE_FIELDS = (
    "title",
    "description",
    "tags",
    "category_id",
    "default_language",
    "privacy_status",
    "embeddable",
    "public_stats_viewable",
    "license",
    "self_declared_made_for_kids",
    "publish_at",
    "contains_synthetic_media",
    "localizations",
)
# YouTube's counters of a video (statistics.viewCount, likeCount, commentCount): every daily
# report brings new ones though nobody edited the video. Recording them is not a change of the
# catalogue's values: an import writes them alone, leaving updated_at (the API's "changed since"
# cursor) and every other column as they are, so no index of videos_video is written either.
STATISTICS_FIELDS = ("view_count", "like_count", "comment_count")
# Our own metadata: edited here, never sent to YouTube.
OWN_FIELDS = ("artists", "genres", "isrc", "custom_id", "notes")
EDITABLE_FIELDS = WRITABLE_FIELDS + OWN_FIELDS
# Rows per UPDATE/INSERT when many videos change at once.
BULK_WRITE_BATCH = 500


class VideoValidationError(DomainError):
    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__("; ".join(v.message for v in violations))

    def api_errors(self) -> list[dict]:
        return [{"field": v.field, "code": v.code, "message": v.message} for v in self.violations]


def video_wanted_state(video: Video) -> dict:
    """What we want YouTube to have, in snapshot form."""
    return {name: snapshot_value(name, getattr(video, name)) for name in WRITABLE_FIELDS}


def _pending_fields(video: Video, *, edited: Iterable[str] = ()) -> list[str]:
    snapshot = video.remote_snapshot or {}
    wanted = video_wanted_state(video)
    carried = set(video.pending_fields) | set(edited)
    pending = []
    for name in WRITABLE_FIELDS:
        if name in snapshot:
            if wanted[name] != snapshot[name]:
                pending.append(name)
        elif name in carried:
            # YouTube's value is unknown (reports do not carry every field): an edit stays
            # pending until a read from YouTube shows the value.
            pending.append(name)
    return pending


def video_search_keywords(*, tags: Iterable[str], artists: Iterable[str], genres: Iterable[str]) -> str:
    """The search_keywords column of a video holding these lists: one upper-cased string."""
    return " | ".join([*tags, *artists, *genres]).upper()


def _search_keywords(video: Video) -> str:
    return video_search_keywords(tags=video.tags, artists=video.artists, genres=video.genres)


def video_refresh_derived(video: Video, *, edited: Iterable[str] = ()) -> None:
    video.pending_fields = _pending_fields(video, edited=edited)
    video.has_pending_changes = bool(video.pending_fields)
    video.search_keywords = _search_keywords(video)


def video_normalise_changes(changes: Mapping) -> dict:
    """An edit's values as they are compared, checked and stored, whatever door they came through:
    texts as YouTube keeps them (videos.validation.normalise_video_texts), the ISRC without
    hyphens. Raises VideoValidationError for a field that cannot be edited."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise VideoValidationError(
            [Violation(name, "not_editable", f"{name} cannot be edited.") for name in sorted(unknown)]
        )
    normalised = normalise_video_texts(changes)
    if "isrc" in normalised and normalised["isrc"]:
        normalised["isrc"] = normalised["isrc"].replace("-", "").upper()
    return normalised


def video_validate_changes(*, video: Video, changes: Mapping) -> list[Violation]:
    """Check an edit against YouTube's limits; cross-field rules see the merged result."""
    merged = {name: getattr(video, name) for name in ("privacy_status", "default_language")}
    merged.update(changes)
    to_check = dict(changes)
    if "publish_at" in changes or "privacy_status" in changes:
        to_check["publish_at"] = merged.get("publish_at", video.publish_at)
        to_check["privacy_status"] = merged["privacy_status"]
    if "localizations" in changes or "default_language" in changes:
        to_check["localizations"] = changes.get("localizations", video.localizations)
        to_check["default_language"] = merged["default_language"]
    categories = assignable_category_ids() if "category_id" in changes else None
    return validate_video_metadata(to_check, assignable_category_ids=categories)


def _change_message(changed: Mapping[str, tuple]) -> list:
    """The admin's change-message format, plus the old and new values for the audit trail."""
    return [
        {"changed": {"fields": [str(Video._meta.get_field(name).verbose_name) for name in changed]}},
        {
            "values": {
                name: {"old": snapshot_value(name, old), "new": snapshot_value(name, new)}
                for name, (old, new) in changed.items()
            }
        },
    ]


def _apply(video: Video, changes: Mapping) -> dict[str, tuple]:
    """Set the changes on the video; return {field: (old, new)} for those that differ."""
    changed = {}
    for name, value in changes.items():
        old = getattr(video, name)
        if old != value:
            setattr(video, name, value)
            changed[name] = (old, value)
    return changed


@transaction.atomic
def video_update(*, video: Video, changes: Mapping, user) -> list[str]:
    """Change what we want for one video; returns the names of the fields that changed.

    Raises VideoValidationError (nothing saved) when any value breaks a YouTube limit. The doors
    (admin, API, edit sheets) call syncs.changesets.edits.video_edit_in_changeset, which reads the
    row under its lock first and records the edit in the user's open draft.
    """
    changes = video_normalise_changes(changes)
    violations = video_validate_changes(video=video, changes=changes)
    if violations:
        raise VideoValidationError(violations)
    changed = _apply(video, changes)
    if not changed:
        return []
    video_refresh_derived(video, edited=changed)
    video.save()
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[video],
        action_flag=CHANGE,
        change_message=_change_message(changed),
        single_object=True,
    )
    videos_audit_edits(edits={video: changed}, user=user)
    publish_video_update(video)
    return list(changed)


def _owner_ids(*, video_ids: list[str]) -> dict[str, str | None]:
    """{video id: its content owner's id}, in batches: a bulk edit's thousands of ids stay under
    SQLite's parameter limit."""
    owner_of = {}
    for start in range(0, len(video_ids), 900):
        owner_of.update(
            Video.objects.filter(pk__in=video_ids[start : start + 900]).values_list(
                "pk", "channel__content_owner_id"
            )
        )
    return owner_of


def videos_audit_edits(*, edits: Mapping[Video, Mapping[str, tuple]], user) -> int:
    """One "video.edited" audit row per video: each changed field's old and new value (as JSON)."""
    owner_of = _owner_ids(video_ids=[video.pk for video in edits])
    return audit_events_record(
        acting_user=user,
        entries=[
            AuditEntry(
                event_type=AuditEvent.Type.VIDEO_EDITED,
                object_type="video",
                object_id=video.pk,
                object_repr=str(video),
                channel_id=video.channel_id,
                content_owner_id=owner_of.get(video.pk),
                old={name: snapshot_value(name, old) for name, (old, _) in changed.items()},
                new={name: snapshot_value(name, new) for name, (_, new) in changed.items()},
            )
            for video, changed in edits.items()
        ],
    )


def video_record_push_result(*, video: Video, remote: Mapping, etag: str = "") -> None:
    """Store the answer to our own videos.update as the snapshot: no drift (we made the change).

    Wanted values that were not pending follow YouTube (a revert restores them); pending ones stay.
    Does not save.
    """
    snapshot = dict(video.remote_snapshot or {})
    pending = set(video.pending_fields)
    for name, value in remote.items():
        if name in WRITABLE_FIELDS:
            snapshot[name] = snapshot_value(name, value)
            if name not in pending:
                setattr(video, name, model_value(name, snapshot[name]))
        else:
            setattr(video, name, value)
    video.remote_snapshot = snapshot
    video.remote_etag = etag
    video.remote_source = Video.SnapshotSource.API
    video.remote_fetched_at = timezone.now()
    video_refresh_derived(video)


def video_apply_remote_state(
    *,
    video: Video,
    remote: Mapping,
    source: str,
    etag: str = "",
    fetched_at: datetime | None = None,
) -> None:
    """Record what YouTube has, and let wanted values follow it where nobody edited them.

    `remote` maps field names (writable and read-only) to YouTube's values. A writable field with
    a pending edit keeps the wanted value; any other follows YouTube. A writable field whose value
    differs from the previous snapshot was changed outside ytcms: it is marked as drifted.
    Does not save.
    """
    old_snapshot = video.remote_snapshot or {}
    pending = set(video.pending_fields)
    snapshot = dict(old_snapshot)
    drifted = []
    for name, value in remote.items():
        if name in WRITABLE_FIELDS:
            snapshot[name] = snapshot_value(name, value)
            if name in old_snapshot and old_snapshot[name] != snapshot[name]:
                drifted.append(name)
            if name not in pending:
                setattr(video, name, model_value(name, snapshot[name]))
        else:
            setattr(video, name, value)
    if drifted:
        video.drifted_fields = [n for n in WRITABLE_FIELDS if n in set(video.drifted_fields) | set(drifted)]
        video.has_drift = True
        video.drift_detected_at = fetched_at or timezone.now()
    video.remote_snapshot = snapshot
    video.remote_etag = etag
    video.remote_source = source
    video.remote_fetched_at = fetched_at or timezone.now()
    video_refresh_derived(video)


@transaction.atomic
def video_create(*, channel, video_id: str, remote: Mapping, source: str, user=None) -> Video:
    video = Video(id=video_id, channel=channel)
    video_apply_remote_state(video=video, remote=remote, source=source)
    video.full_clean(validate_unique=False, exclude=["remote_snapshot"])
    video.save()
    if user is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=[video], action_flag=ADDITION, single_object=True
        )
    return video


@transaction.atomic
def videos_acknowledge_drift(*, videos: Iterable[Video], user) -> int:
    """Clear the drift marks of these videos once a person has looked at them."""
    video_type = ContentType.objects.get_for_model(Video)
    acknowledged = [video for video in videos if video.has_drift]
    owner_of = _owner_ids(video_ids=[video.pk for video in acknowledged])
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=video_type.pk,
            object_id=video.pk,
            object_repr=str(video)[:200],
            action_flag=CHANGE,
            change_message=f"Acknowledged drift of {', '.join(video.drifted_fields)}.",
        )
        for video in acknowledged
    ]
    Video.objects.filter(pk__in=[video.pk for video in acknowledged]).update(
        drifted_fields=[], has_drift=False, drift_detected_at=None, updated_at=timezone.now()
    )
    LogEntry.objects.bulk_create(entries, batch_size=BULK_WRITE_BATCH)
    audit_events_record(
        acting_user=user,
        entries=[
            AuditEntry(
                event_type=AuditEvent.Type.VIDEO_DRIFT_ACKNOWLEDGED,
                object_type="video",
                object_id=video.pk,
                object_repr=str(video),
                channel_id=video.channel_id,
                content_owner_id=owner_of.get(video.pk),
                old={"drifted_fields": list(video.drifted_fields)},
                new={"drifted_fields": []},
            )
            for video in acknowledged
        ],
    )
    publish_videos_update(video.pk for video in acknowledged)
    return len(acknowledged)


# ---------------------------------------------------------------------------- bulk edits


@dataclass(frozen=True)
class BulkEdit:
    """One bulk edit as a rights manager describes it; None means "leave as it is"."""

    privacy_status: str | None = None
    category_id: str | None = None
    license: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    find: str = ""
    replace: str = ""
    find_in: tuple[str, ...] = ("title", "description")
    artists: tuple[str, ...] | None = None
    genres: tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return (
            self.privacy_status is None
            and self.category_id is None
            and self.license is None
            and not self.add_tags
            and not self.remove_tags
            and not self.find
            and self.artists is None
            and self.genres is None
        )

    def replaced_measure(self, name: str, text: str) -> int:
        """The size (as YouTube measures field `name`) `text` would have after the find/replace,
        without building it."""
        growth = text_measure(name, self.replace) - text_measure(name, self.find)
        return text_measure(name, text) + text.count(self.find) * growth

    def oversized_fields(self, video: Video) -> dict[str, int]:
        """Fields the find/replace would make too long for YouTube: name -> size after it."""
        if not self.find or len(self.replace) <= len(self.find):
            return {}
        sizes = {name: self.replaced_measure(name, getattr(video, name)) for name in self.find_in}
        return {name: size for name, size in sizes.items() if size > TEXT_LIMITS[name][0]}

    def changes_for(self, video: Video, *, skip: Iterable[str] = ()) -> dict:
        """The new values this edit gives one video (only fields that actually change).

        Fields in `skip` are left out of the find/replace (the preview's oversized fields).
        """
        new = {}
        if self.privacy_status is not None:
            new["privacy_status"] = self.privacy_status
        if self.category_id is not None:
            new["category_id"] = self.category_id
        if self.license is not None:
            new["license"] = self.license
        if self.add_tags or self.remove_tags:
            removed = {tag.casefold() for tag in self.remove_tags}
            tags = [tag for tag in video.tags if tag.casefold() not in removed]
            present = {tag.casefold() for tag in tags}
            for tag in self.add_tags:
                if tag.casefold() not in present:
                    tags.append(tag)
                    present.add(tag.casefold())
            new["tags"] = tags
        if self.find:
            for name in self.find_in:
                if name not in skip:
                    new[name] = getattr(video, name).replace(self.find, self.replace)
        if self.artists is not None:
            new["artists"] = list(self.artists)
        if self.genres is not None:
            new["genres"] = list(self.genres)
        return {name: value for name, value in new.items() if getattr(video, name) != value}


@dataclass
class VideoEditPreview:
    video: Video
    changes: dict  # field -> (old, new)
    violations: list[Violation] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.violations


@dataclass
class BulkEditPreview:
    rows: list[VideoEditPreview]

    @property
    def changing(self) -> list[VideoEditPreview]:
        return [row for row in self.rows if row.changes]

    @property
    def invalid(self) -> list[VideoEditPreview]:
        return [row for row in self.rows if row.changes and not row.is_valid]

    @property
    def unchanged_count(self) -> int:
        return sum(1 for row in self.rows if not row.changes)


def bulk_edit_normalise(edit: BulkEdit) -> BulkEdit:
    """The edit with its texts as the videos' are stored: a find typed with CRLF line breaks
    matches a description's LF ones, and a replace never brings a CR in."""
    return dataclasses.replace(
        edit,
        find=normalise_line_endings(edit.find),
        replace=normalise_line_endings(edit.replace),
        add_tags=tuple(normalise_tags(list(edit.add_tags))),
        remove_tags=tuple(normalise_tags(list(edit.remove_tags))),
    )


def videos_bulk_edit_validate(*, edit: BulkEdit) -> list[Violation]:
    """Check the edit itself once, before any video: its texts fit their fields, its category exists.

    The admin form and the API call this to refuse an edit with field errors; the preview and the
    apply refuse it too (VideoValidationError), so no door builds a preview of an oversized edit.
    """
    edit = bulk_edit_normalise(edit)
    violations = validate_bulk_edit_texts(
        find=edit.find,
        replace=edit.replace,
        find_in=edit.find_in,
        add_tags=edit.add_tags,
        remove_tags=edit.remove_tags,
        artists=edit.artists,
        genres=edit.genres,
    )
    if edit.category_id is not None:
        violations += validate_video_metadata(
            {"category_id": edit.category_id}, assignable_category_ids=assignable_category_ids()
        )
    return violations


def _check_bulk_edit(edit: BulkEdit) -> None:
    violations = videos_bulk_edit_validate(edit=edit)
    if violations:
        raise VideoValidationError(violations)


def videos_bulk_edit_preview(*, videos: Iterable[Video], edit: BulkEdit) -> BulkEditPreview:
    """Per video: old and new values and the YouTube limits the new values would break."""
    edit = bulk_edit_normalise(edit)
    _check_bulk_edit(edit)
    categories = assignable_category_ids() if edit.category_id is not None else None
    rows = []
    for video in videos:
        # A find/replace that would make a field too long is measured, not built: one small find
        # in a long description times a long replace is megabytes per video.
        oversized = edit.oversized_fields(video)
        changes = edit.changes_for(video, skip=oversized)
        violations = []
        if changes:
            normalised = video_normalise_changes(changes)
            to_check = dict(normalised)
            if "privacy_status" in normalised and video.publish_at is not None:
                to_check["publish_at"] = video.publish_at
            violations = validate_video_metadata(to_check, assignable_category_ids=categories)
        shown = {name: (getattr(video, name), value) for name, value in changes.items()}
        for name, size in oversized.items():
            old = getattr(video, name)
            # The start of the new value, from a bounded number of replacements.
            limit = TEXT_LIMITS[name][0]
            start = old.replace(edit.find, edit.replace, limit // len(edit.replace) + 1)
            shown[name] = (old, start[:limit] + "…")
            violations += validate_text_measure(name, size)
        rows.append(VideoEditPreview(video=video, changes=shown, violations=violations))
    return BulkEditPreview(rows=rows)


@dataclass
class BulkEditResult:
    updated: int
    skipped_invalid: int
    unchanged: int
    # {video: {field: (old, new)}} of the videos saved: what syncs records in the change sets.
    edits: dict = field(default_factory=dict, compare=False, repr=False)


@transaction.atomic
def videos_bulk_edit(*, videos: Iterable[Video], edit: BulkEdit, user) -> BulkEditResult:
    """Apply a bulk edit to what we want; videos whose new values break a limit are skipped.

    The doors call syncs.changesets.edits.videos_bulk_edit_in_changeset, which records the edits
    in the user's open drafts as well.
    """
    preview = videos_bulk_edit_preview(videos=videos, edit=edit)
    video_type = ContentType.objects.get_for_model(Video)
    to_save = []
    for row in preview.changing:
        if not row.is_valid:
            continue
        video = row.video
        changed = _apply(video, video_normalise_changes({n: new for n, (_, new) in row.changes.items()}))
        video_refresh_derived(video, edited=changed)
        to_save.append((video, changed))
    saved_fields = set(EDITABLE_FIELDS) | {"pending_fields", "has_pending_changes", "search_keywords"}
    now = timezone.now()
    for video, _ in to_save:
        video.updated_at = now
    for start in range(0, len(to_save), BULK_WRITE_BATCH):
        batch = [video for video, _ in to_save[start : start + BULK_WRITE_BATCH]]
        Video.objects.bulk_update(batch, sorted(saved_fields | {"updated_at"}))
    # One audit entry per video with its own old and new values, written in one INSERT per batch.
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=video_type.pk,
            object_id=video.pk,
            object_repr=str(video)[:200],
            action_flag=CHANGE,
            change_message=json.dumps(_change_message(changed)),
        )
        for video, changed in to_save
    ]
    LogEntry.objects.bulk_create(entries, batch_size=BULK_WRITE_BATCH)
    videos_audit_edits(edits=dict(to_save), user=user)
    publish_videos_update(video.pk for video, _ in to_save)
    return BulkEditResult(
        updated=len(to_save),
        skipped_invalid=len(preview.invalid),
        unchanged=preview.unchanged_count,
        edits=dict(to_save),
    )


# ---------------------------------------------------------------------------- claims' policies


def claim_policy_id_named(*, policy: dict | None, owner_id: str | None) -> str | None:
    """The saved policy a claim's policy column names for YouTube's policy: the saved policy when the
    owner's catalogue knows it; None for rules (the column would claim a saved policy they are not)
    and for a saved policy not read yet (its old value would be wrong)."""
    policy_id = (policy or {}).get("id")
    if not policy_id:
        return None
    known = Policy.objects.filter(pk=policy_id)
    known = known.filter(content_owner_id=owner_id) | known.filter(content_owner__isnull=True)
    return policy_id if known.exists() else None


def claims_record_remote_policy(*, owner_id: str, policies: Mapping[str, dict]) -> int:
    """YouTube answered these claims' policies ({claim id: canonical policy}): each claim of the
    owner's videos keeps it as remote_policy, its policy column follows it (claim_policy_id_named)
    and its video's effective policy is worked out again. Claims of other owners are not touched.

    A snapshot of YouTube, like a video's remote_snapshot: recorded without an audit row (the push's
    SyncRecord or the pull that read it is the record). Returns how many claims were written.
    """
    claims = Claim.objects.filter(pk__in=list(policies), video__channel__content_owner_id=owner_id)
    video_ids, written = set(), 0
    for claim_id, video_id in claims.values_list("pk", "video_id"):
        policy = policies[claim_id]
        written += Claim.objects.filter(pk=claim_id).update(
            remote_policy=policy,
            policy_id=claim_policy_id_named(policy=policy, owner_id=owner_id),
            updated_at=timezone.now(),
        )
        video_ids.add(video_id)
    videos_refresh_effective_policy(video_ids=video_ids)
    return written


def video_record_claimed(*, video_id: str) -> bool:
    """YouTube answered an active claim of the owner on this video (a push's claims.insert): the
    video reads Claimed at once, as the next report's claimed_by_this_owner will say, rather than
    "Not claimed" until then. A snapshot of YouTube, recorded without an audit row (the push's
    SyncRecord is the record). Only ever raised: the owner's last claim released may leave
    another owner's claim, which only the next report tells. Returns whether it changed."""
    changed = (
        Video.objects.filter(pk=video_id)
        .exclude(claimed_status=Video.ClaimedStatus.CLAIMED)
        .update(claimed_status=Video.ClaimedStatus.CLAIMED, updated_at=timezone.now())
    )
    if changed:
        publish_videos_update([video_id])
    return bool(changed)


def videos_refresh_effective_policy(*, video_ids: Iterable[str]) -> list[str]:
    """A video's effective policy from its active claims, the report's rule (reports.staging): the
    most restrictive of their policies (policy_rank, ties to the first claim), "" with none.

    A claim's policy reads as the saved policy's name when the column names one, else as YouTube's
    rules (claim_policy_text). A video with an active claim whose policy ytcms does not know keeps
    the report's label. Returns the ids of the videos whose effective policy changed.
    """
    ids = sorted(set(video_ids))
    claims = (
        Claim.objects.filter(video_id__in=ids, status=Claim.Status.ACTIVE)
        .select_related("policy")
        .order_by("video_id", "pk")
    )
    labels: dict[str, list[str | None]] = {video_id: [] for video_id in ids}
    for claim in claims:
        if claim.policy is not None:
            labels[claim.video_id].append(claim.policy.name)
        elif claim.remote_policy:
            labels[claim.video_id].append(claim_policy_text(claim.remote_policy, names={}))
        else:
            labels[claim.video_id].append(None)
    changed = []
    current = dict(Video.objects.filter(pk__in=ids).values_list("pk", "effective_policy"))
    for video_id, found in labels.items():
        if video_id not in current or None in found:
            continue
        best = max((policy_rank(label) for label in found), default=0)
        label = next((label for label in found if policy_rank(label) == best), "")
        if label != current[video_id]:
            Video.objects.filter(pk=video_id).update(effective_policy=label, updated_at=timezone.now())
            changed.append(video_id)
    if changed:
        publish_videos_update(changed)
    return changed
