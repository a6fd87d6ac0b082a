"""Writes of change sets: recording edits, approval, queueing, conflict resolution, revert."""

from collections.abc import Mapping

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.models import ContentOwner
from core.audit.models import AuditEvent
from core.audit.services import AuditEntry, audit_event_record, audit_events_record
from syncs.changesets.errors import (
    ChangeSetError,
    ChangeSetNeedsApproval,
    ChangeSetNeedsOtherApprover,
    ChangeSetStateConflict,
)
from syncs.changesets.push import changeset_settle_status, video_forget_drift
from syncs.changesets.quota_plan import SCHEDULED_STATUSES
from syncs.changesets.scheduling import changeset_push_waiting, changeset_schedule_push
from syncs.changesets.selectors import changeset_open_drafts
from syncs.events import publish_changeset_update, publish_sync_status
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from syncs.youtube.mapping import claim_policy_canonical
from videos.events import publish_videos_update
from videos.models import Video
from videos.policies import claim_policy_described
from videos.services import WRITABLE_FIELDS, video_refresh_derived
from videos.snapshot import model_value, snapshot_value

# Fields whose change needs a second manager's approval when CHANGESET_FOUR_EYES is on; every
# Content ID item (a claim's policy: how the video is monetized) needs it too.
FOUR_EYES_FIELDS = frozenset({"privacy_status", "license"})
CLAIM_KINDS = (
    ChangeSetItem.Kind.CLAIM_INSERT,
    ChangeSetItem.Kind.CLAIM_PATCH,
    ChangeSetItem.Kind.CLAIM_RELEASE,
)
TITLE_MAX_CHARS = ChangeSet._meta.get_field("title").max_length
# A change set still collecting edits or waiting to be pushed again after a resolution.
OPEN_FOR_PUSH = (ChangeSet.Status.APPROVED, ChangeSet.Status.QUEUED, ChangeSet.Status.PUSHING)


def four_eyes_required() -> bool:
    return settings.CHANGESET_FOUR_EYES


def changeset_refresh_needs_approval(*, changeset: ChangeSet) -> None:
    touched = set(changeset.items.values_list("field", "kind"))
    needs = four_eyes_required() and any(
        field in FOUR_EYES_FIELDS or kind in CLAIM_KINDS for field, kind in touched
    )
    if needs != changeset.needs_approval:
        changeset.needs_approval = needs
        changeset.save(update_fields=["needs_approval", "updated_at"])


def changeset_open_draft(*, user, content_owner_id: str | None) -> ChangeSet:
    """The user's one open draft for a content owner (created on the first edit of its videos).

    One content owner per change set: whoever may see a change set sees every item in it, and the
    owner's people approve and push it. Reverts are drafts of their own.
    """
    draft = (
        changeset_open_drafts(user=user).select_for_update().filter(content_owner_id=content_owner_id).first()
    )
    if draft is None:
        draft = ChangeSet.objects.create(
            created_by=user,
            content_owner_id=content_owner_id,
            title=changeset_unique_title(
                title=changeset_draft_title(user=user, content_owner_id=content_owner_id)
            ),
        )
    return draft


def changeset_draft_title(*, user, content_owner_id: str | None) -> str:
    """What a person reads in lists and messages: whose videos, whose edits, since when (#15).

    E.g. "Label A · alice edits · 2026-12-07 18:20": one draft per user per owner, so the owner and
    the user tell open drafts apart, and the minute tells them from the pushed ones.
    """
    owner_name = (
        ContentOwner.objects.filter(pk=content_owner_id).values_list("name", flat=True).first()
        if content_owner_id
        else None
    )
    return (
        f"{owner_name or content_owner_id or 'No content owner'} · {user.get_username()} edits · "
        f"{timezone.localtime():%Y-%m-%d %H:%M}"
    )


def changeset_unique_title(*, title: str) -> str:
    """The title, or the title with " (2)", " (3)"… when another change set already has it."""
    stem = title[: TITLE_MAX_CHARS - 6]  # room for " (99)"
    taken = set(ChangeSet.objects.filter(title__startswith=stem).values_list("title", flat=True))
    candidate, number = title[:TITLE_MAX_CHARS], 1
    while candidate in taken:
        number += 1
        candidate = f"{stem} ({number})"
    return candidate


def video_owner_ids(*, video_ids) -> dict[str, str | None]:
    """{video id: its content owner's id}: the key change sets are split by."""
    return dict(Video.objects.filter(pk__in=list(video_ids)).values_list("pk", "channel__content_owner_id"))


def changeset_check_owner(*, changeset: ChangeSet, video_ids) -> None:
    """Refuse videos of another content owner than the change set's (one owner per change set)."""
    others = sorted(
        video_id
        for video_id, owner_id in video_owner_ids(video_ids=video_ids).items()
        if owner_id != changeset.content_owner_id
    )
    if others:
        raise ChangeSetError(
            f"{changeset} holds videos of one content owner only; {', '.join(others[:20])}"
            f"{' and more' if len(others) > 20 else ''} belong to another. Edit them in their own change set."
        )


@transaction.atomic
def changeset_record_edits(*, user, edits: Mapping) -> list[ChangeSet]:
    """Extend the user's open drafts with {video: {field: (old, new)}} edits of writable fields.

    Each video's edits go into the draft of its content owner: an edit spanning owners makes one
    change set per owner. The base is YouTube's value (the snapshot) when the field was first
    edited; editing a field back to its base removes the item.
    """
    edits = {
        video: {name: values for name, values in changed.items() if name in WRITABLE_FIELDS}
        for video, changed in edits.items()
    }
    edits = {video: changed for video, changed in edits.items() if changed}
    owner_of = video_owner_ids(video_ids=[video.pk for video in edits])
    by_owner: dict[str | None, dict] = {}
    for video, changed in edits.items():
        by_owner.setdefault(owner_of.get(video.pk), {})[video] = changed
    return [
        _record_edits_of_owner(user=user, content_owner_id=owner_id, edits=owner_edits)
        for owner_id, owner_edits in sorted(by_owner.items(), key=lambda pair: pair[0] or "")
    ]


def changeset_audit(
    *,
    changeset: ChangeSet,
    event_type: str,
    user=None,
    actor_label: str = "",
    old=None,
    new=None,
    extra: dict | None = None,
) -> None:
    """The audit row of an action on a change set (in the action's transaction)."""
    audit_event_record(
        event_type=event_type,
        acting_user=user,
        actor_label=actor_label,
        content_owner_id=changeset.content_owner_id,
        object_type="changeset",
        object_id=changeset.pk,
        object_repr=changeset.title,
        old=old,
        new=new,
        extra=extra,
    )


def _record_edits_of_owner(*, user, content_owner_id: str | None, edits: Mapping) -> ChangeSet:
    draft = changeset_open_draft(user=user, content_owner_id=content_owner_id)
    return changeset_record_edits_into(changeset=draft, user=user, edits=edits)


def changeset_record_edits_into(*, changeset: ChangeSet, user, edits: Mapping) -> ChangeSet:
    """Record {video: {field: (old, new)}} edits of writable fields as items of this change set.

    The user's open draft for every edit made elsewhere; a change set's own page names it
    (syncs.changesets.amend), which also says what the edit does to an approval.
    """
    draft = changeset
    changeset_check_owner(changeset=draft, video_ids=[video.pk for video in edits])
    existing = {
        (item.video_id, item.field): item
        for item in draft.items.filter(video_id__in=[video.pk for video in edits])
    }
    to_create, to_update, to_delete = [], [], []
    # {video id: {field: value}}: what the draft asked of YouTube before and after these edits.
    audit_old: dict[str, dict] = {}
    audit_new: dict[str, dict] = {}
    for video, changed in edits.items():
        snapshot = video.remote_snapshot or {}
        for name, (old, new) in changed.items():
            new_json = snapshot_value(name, new)
            item = existing.get((video.pk, name))
            audit_old.setdefault(video.pk, {})[name] = None if item is None else item.new_value
            audit_new.setdefault(video.pk, {})[name] = new_json
            if item is None:
                base = snapshot[name] if name in snapshot else snapshot_value(name, old)
                if base != new_json:
                    to_create.append(
                        ChangeSetItem(
                            changeset=draft, video=video, field=name, base_value=base, new_value=new_json
                        )
                    )
            elif item.base_value == new_json:
                to_delete.append(item.pk)
                audit_new[video.pk][name] = None  # back to YouTube's value: nothing to push
            else:
                item.new_value = new_json
                to_update.append(item)
    ChangeSetItem.objects.bulk_create(to_create, batch_size=500)
    ChangeSetItem.objects.bulk_update(to_update, ["new_value"], batch_size=500)
    ChangeSetItem.objects.filter(pk__in=to_delete).delete()
    changeset_refresh_needs_approval(changeset=draft)
    ChangeSet.objects.filter(pk=draft.pk).update(updated_at=timezone.now())
    if audit_old != audit_new:
        changeset_audit(
            changeset=draft,
            event_type=AuditEvent.Type.CHANGESET_EDITED,
            user=user,
            old=audit_old,
            new=audit_new,
            extra={"added": len(to_create), "changed": len(to_update), "removed": len(to_delete)},
        )
    return draft


@transaction.atomic
def changeset_approve(*, changeset: ChangeSet, user) -> ChangeSet:
    changeset = ChangeSet.objects.select_for_update().get(pk=changeset.pk)
    if changeset.status != ChangeSet.Status.DRAFT:
        raise ChangeSetStateConflict(
            f"Only a draft can be approved; this one is {changeset.get_status_display()}."
        )
    if not changeset.items.exists():
        raise ChangeSetStateConflict("This change set has no items: there is nothing to approve.")
    changeset_refresh_needs_approval(changeset=changeset)
    if changeset.needs_approval and changeset.created_by_id == user.pk:
        raise ChangeSetNeedsOtherApprover(
            "This change set touches privacy, license or a claim policy: a second manager must approve it "
            "(four-eyes rule)."
        )
    old_status = changeset.status
    changeset.status = ChangeSet.Status.APPROVED
    changeset.approved_by = user
    changeset.approved_at = timezone.now()
    changeset.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    changeset_audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_APPROVED,
        user=user,
        old={"status": old_status},
        new={"status": changeset.status, "approved_by": user.get_username()},
        extra={"created_by": changeset.created_by.get_username() if changeset.created_by_id else None},
    )
    publish_changeset_update(changeset)
    return changeset


@transaction.atomic
def changeset_queue(*, changeset: ChangeSet, user, enqueue: bool = True, actor_label: str = "") -> ChangeSet:
    """Ready a change set for pushing (the Push button); the task does the work after commit.

    `actor_label` names a command that queues on the author's behalf (the audit row says so).
    """
    changeset = ChangeSet.objects.select_for_update().get(pk=changeset.pk)
    if changeset.status == ChangeSet.Status.DRAFT:
        if not changeset.items.exists():
            raise ChangeSetStateConflict("This change set has no items.")
        changeset_refresh_needs_approval(changeset=changeset)
        if changeset.needs_approval:
            raise ChangeSetNeedsApproval(
                "This change set touches privacy, license or a claim policy: another manager must approve it "
                "before it is pushed (four-eyes rule)."
            )
    elif changeset.status not in (
        *OPEN_FOR_PUSH,
        ChangeSet.Status.HAS_CONFLICTS,
        ChangeSet.Status.PARTLY_FAILED,
    ):
        raise ChangeSetStateConflict(
            f"A change set that is {changeset.get_status_display()} cannot be pushed."
        )
    if (
        changeset.status in SCHEDULED_STATUSES
        and changeset.scheduled_for is not None
        and changeset.scheduled_for > timezone.now()
    ):
        # Pushed by hand before its moment: this push takes the scheduled one's place, so the
        # schedule goes as Unschedule drops it (its waiting task, its reserved units, an audit
        # row); otherwise the page would count down to a push already done. Imported here:
        # release.py builds on this module.
        from syncs.changesets.release import changeset_unschedule

        changeset = changeset_unschedule(
            changeset=changeset,
            user=None if actor_label else user,
            actor_label=actor_label,
            reason="Pushed by hand before its scheduled moment.",
        )
    old_status = changeset.status
    changeset.status = ChangeSet.Status.QUEUED
    changeset.save(update_fields=["status", "updated_at"])
    changeset_audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_QUEUED,
        user=None if actor_label else user,
        actor_label=actor_label,
        old={"status": old_status},
        new={"status": changeset.status},
    )
    publish_changeset_update(changeset)
    if enqueue:
        transaction.on_commit(lambda: changeset_schedule_push(changeset=changeset))
    return changeset


def _video_follow_theirs(item: ChangeSetItem) -> tuple | None:
    """Keeping YouTube's value: what we want for the field becomes it, so nothing stays pending.

    Choosing YouTube's value is looking at what changed there: the field's drift mark goes too.
    Returns (old, new) of the video's wanted value when it changed (for the audit row), else None.
    """
    video = Video.objects.select_for_update().get(pk=item.video_id)
    changed = video_forget_drift(video=video, fields=[item.field])
    wanted = None
    if snapshot_value(item.field, getattr(video, item.field)) == item.new_value:
        wanted = (item.new_value, item.theirs_value)
        setattr(video, item.field, model_value(item.field, item.theirs_value))
        video_refresh_derived(video)
        changed = True
    if changed:
        video.save()
    return wanted


# How an audit row (SyncRecord, status "resolved") names the value a resolution kept.
KEPT_BY_RESOLUTION = {
    ChangeSetItem.Resolution.KEEP_THEIRS: "theirs",
    ChangeSetItem.Resolution.OVERWRITE: "ours",
}
RESOLUTION_MESSAGES = {
    ChangeSetItem.Resolution.KEEP_THEIRS: "Conflict resolved: YouTube's value kept, ours dropped.",
    ChangeSetItem.Resolution.OVERWRITE: "Conflict resolved: ours replaces YouTube's value at the next push.",
}


@transaction.atomic
def changeset_resolve(*, items, resolution: str, user) -> int:
    """Settle conflicts: keep theirs (item skipped) or overwrite (base := theirs, pushed again).

    Each video's settled fields get one audit row (SyncRecord "resolved": theirs, ours and which was
    kept, by whom). Nothing is pushed here: a change set with fields to overwrite waits for Push
    (Approved), unless a push task of it is already waiting or running (then it stays Queued and
    that push sends them).
    """
    if resolution not in KEPT_BY_RESOLUTION:
        raise ChangeSetError(f"Unknown resolution {resolution!r}.")
    resolved = []
    wanted_changes: dict[tuple[str, str], tuple] = {}  # (video id, field): the wanted value's (old, new)
    for item in ChangeSetItem.objects.select_for_update().filter(
        pk__in=[item.pk for item in items], status=ChangeSetItem.Status.CONFLICT
    ):
        item.resolution = resolution
        # The conflict is settled: its "changed on YouTube" message is no longer the item's state.
        item.error_reason = item.error_message = ""
        if resolution == ChangeSetItem.Resolution.KEEP_THEIRS:
            item.status = ChangeSetItem.Status.SKIPPED
            # A claim's item ("claim:<id>") names no video field: there is nothing to follow.
            if item.kind == ChangeSetItem.Kind.METADATA:
                if (wanted := _video_follow_theirs(item)) is not None:
                    wanted_changes[(item.video_id, item.field)] = wanted
        else:
            item.base_value = item.theirs_value
            item.status = ChangeSetItem.Status.PENDING
            item.attempts = 0
        item.save()
        resolved.append(item)
    _record_resolutions(resolved, resolution=resolution, user=user)
    _audit_resolutions(resolved, resolution=resolution, user=user, wanted_changes=wanted_changes)
    publish_sync_status(resolved)
    publish_videos_update(item.video_id for item in resolved)
    for changeset in ChangeSet.objects.filter(items__in=[item.pk for item in resolved]).distinct():
        waiting = ChangeSet.Status.QUEUED if changeset_push_waiting(changeset=changeset) else None
        changeset_settle_status(changeset=changeset, unsettled=waiting or ChangeSet.Status.APPROVED)
    return len(resolved)


def _record_resolutions(items: list[ChangeSetItem], *, resolution: str, user) -> None:
    """One audit row per change set and video: each field's theirs and ours, and which one was kept."""
    by_video: dict[tuple[int, str], dict] = {}
    for item in items:
        by_video.setdefault((item.changeset_id, item.video_id), {})[item.field] = {
            "theirs": item.theirs_value,
            "ours": item.new_value,
            "kept": KEPT_BY_RESOLUTION[resolution],
        }
    SyncRecord.objects.bulk_create(
        SyncRecord(
            changeset_id=changeset_id,
            video_id=video_id,
            user=user,
            fields=fields,
            status=SyncRecord.Status.RESOLVED,
            message=RESOLUTION_MESSAGES[resolution],
        )
        for (changeset_id, video_id), fields in by_video.items()
    )


AUDIT_RESOLUTION_TYPES = {
    ChangeSetItem.Resolution.KEEP_THEIRS: AuditEvent.Type.CONFLICT_RESOLVED_THEIRS,
    ChangeSetItem.Resolution.OVERWRITE: AuditEvent.Type.CONFLICT_RESOLVED_OURS,
}


def _audit_resolutions(
    items: list[ChangeSetItem], *, resolution: str, user, wanted_changes: Mapping[tuple[str, str], tuple]
) -> None:
    """Two rows per change set and video, one on each object the resolution changed.

    On the video, old/new are what we want for each field: keeping theirs changes it (ours → theirs);
    overwriting leaves it (ours stays, to be pushed over theirs). On the change set, old/new are what
    its item brings YouTube: ours before; after, theirs when kept (the item is skipped), else ours.
    """
    if not items:
        return
    owner_of = video_owner_ids(video_ids={item.video_id for item in items})
    channel_of = dict(
        Video.objects.filter(pk__in={item.video_id for item in items}).values_list("pk", "channel_id")
    )
    changesets = {cs.pk: cs for cs in ChangeSet.objects.filter(pk__in={item.changeset_id for item in items})}
    by_pair: dict[tuple[int, str], list[ChangeSetItem]] = {}
    for item in items:
        by_pair.setdefault((item.changeset_id, item.video_id), []).append(item)
    event_type = AUDIT_RESOLUTION_TYPES[resolution]
    entries = []
    for (changeset_id, video_id), pair_items in by_pair.items():
        changeset = changesets[changeset_id]
        video_old, video_new = {}, {}
        for item in pair_items:
            if item.kind != ChangeSetItem.Kind.METADATA:
                continue
            old, new = wanted_changes.get((video_id, item.field), (item.new_value, item.new_value))
            video_old[item.field], video_new[item.field] = old, new
        fields = {
            item.field: {
                "theirs": item.theirs_value,
                "ours": item.new_value,
                "kept": KEPT_BY_RESOLUTION[resolution],
            }
            for item in pair_items
        }
        common = {
            "event_type": event_type,
            "content_owner_id": owner_of.get(video_id),
            "channel_id": channel_of.get(video_id),
        }
        entries.append(
            AuditEntry(
                **common,
                object_type="video",
                object_id=video_id,
                object_repr=video_id,
                old=video_old,
                new=video_new,
                extra={"changeset_id": changeset_id, "fields": fields},
            )
        )
        # On the change set: its base for the fields ("theirs" after an overwrite).
        entries.append(
            AuditEntry(
                **{**common, "content_owner_id": changeset.content_owner_id},
                object_type="changeset",
                object_id=changeset_id,
                object_repr=changeset.title,
                old={video_id: {name: value["ours"] for name, value in fields.items()}},
                new={
                    video_id: {
                        name: value["theirs"] if value["kept"] == "theirs" else value["ours"]
                        for name, value in fields.items()
                    }
                },
                extra={"video_id": video_id, "fields": fields},
            )
        )
    audit_events_record(entries=entries, acting_user=user)


@transaction.atomic
def changeset_revert(*, changeset: ChangeSet, user) -> ChangeSet:
    """The inverse of a done change set as a new draft: new = the before values, base = what we pushed.

    A claims.patch goes back to the claim's previous policy; a claim we inserted is released
    (claims.patch status inactive: Content ID has no delete and allows no other status change). A
    released claim cannot be made active again, so releases are not reverted. A change set from
    before #14 that spans content owners gets one revert per owner; the first is returned.
    """
    if (refusal := changeset_revert_refusal(changeset=changeset)) is not None:
        raise ChangeSetStateConflict(refusal)
    inverse = _inverse_items(changeset)
    # One revert per content owner: a change set from before #14 may span several.
    owner_of = video_owner_ids(video_ids={item.video_id for item in inverse})
    reverts = []
    for owner_id in sorted({owner_of.get(item.video_id) for item in inverse}, key=lambda owner: owner or ""):
        revert = ChangeSet.objects.create(
            created_by=user,
            revert_of=changeset,
            content_owner_id=owner_id,
            title=changeset_unique_title(title=f"Revert of {changeset}"),
        )
        of_owner = [item for item in inverse if owner_of.get(item.video_id) == owner_id]
        changeset_check_owner(changeset=revert, video_ids={item.video_id for item in of_owner})
        for item in of_owner:
            item.changeset = revert
        ChangeSetItem.objects.bulk_create(of_owner)
        changeset_refresh_needs_approval(changeset=revert)
        publish_changeset_update(revert)
        reverts.append(revert)
    changeset_audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_REVERTED,
        user=user,
        new={"reverts": [revert.pk for revert in reverts]},
        extra={"items": len(inverse)},
    )
    for revert in reverts:
        changeset_audit(
            changeset=revert,
            event_type=AuditEvent.Type.CHANGESET_REVERTED,
            user=user,
            new={"revert_of": changeset.pk, "items": revert.items.count()},
        )
    return reverts[0]


def changeset_revert_refusal(*, changeset: ChangeSet) -> str | None:
    """Why the change set has nothing to revert (the page then offers no Revert); None when it has."""
    if changeset.status not in (ChangeSet.Status.DONE, ChangeSet.Status.PARTLY_FAILED):
        return "Only a pushed change set can be reverted."
    if _inverse_items(changeset):
        return None
    if changeset.items.filter(status=ChangeSetItem.Status.DONE).exists():
        return "This change set only released claims; Content ID cannot make a released claim active again."
    if changeset.items.filter(resolution=ChangeSetItem.Resolution.KEEP_THEIRS).exists():
        return "Nothing of this change set reached YouTube (YouTube's values were kept); there is nothing to revert."
    return "Nothing of this change set reached YouTube; there is nothing to revert."


def _inverse_items(changeset: ChangeSet) -> list[ChangeSetItem]:
    """The items that undo what of the change set reached YouTube (released claims stay released)."""
    inverse = [
        _inverse_item(item)
        for item in changeset.items.filter(status=ChangeSetItem.Status.DONE).exclude(
            kind=ChangeSetItem.Kind.CLAIM_RELEASE
        )
    ]
    return [item for item in inverse if item is not None]


def _inverse_item(item: ChangeSetItem) -> ChangeSetItem | None:
    K = ChangeSetItem.Kind
    if item.kind == K.METADATA:
        return ChangeSetItem(
            video_id=item.video_id, field=item.field, base_value=item.new_value, new_value=item.base_value
        )
    if item.kind == K.CLAIM_PATCH and item.base_value is not None:
        return ChangeSetItem(
            video_id=item.video_id,
            field=item.field,
            kind=K.CLAIM_PATCH,
            payload={"claimId": item.payload["claimId"]},
            base_value=item.new_value,
            new_value=item.base_value,
        )
    if item.kind == K.CLAIM_INSERT and item.payload.get("claimId"):
        claim_id = item.payload["claimId"]
        return ChangeSetItem(
            video_id=item.video_id,
            field=f"claim:{claim_id}",
            kind=K.CLAIM_RELEASE,
            payload={"claimId": claim_id},
            base_value={"status": "active"},
            new_value={"status": "inactive"},
        )
    return None


# ---------------------------------------------------------------------------- Content ID


POLICY_ACTIONS = ("monetize", "track", "block")  # what a claim's policy rules do [docs/youtube.md#content-id]


def claim_policy(*, policy_id: str = "", rules: list | None = None) -> dict:
    """A claim's policy as Content ID takes it: a saved policy's id, or rules (monetize/track/block)."""
    if policy_id and rules:
        raise ChangeSetError("Choose a saved policy or rules (monetize, track or block), not both.")
    if policy_id:
        return {"id": policy_id}
    if rules:
        for rule in rules:
            action = rule.get("action") if isinstance(rule, dict) else None
            if action not in POLICY_ACTIONS:
                raise ChangeSetError(
                    f"A policy rule's action must be monetize, track or block, not {action!r}."
                )
        return claim_policy_canonical({"rules": rules})
    raise ChangeSetError("A claim needs a saved policy or rules (monetize, track or block).")


def _check_policy_owner(policy: dict, owner_id) -> None:
    """A saved policy the catalogue knows must be the content owner's own (Content ID refuses others)."""
    from videos.models import Policy

    if "id" not in policy:
        return
    known = Policy.objects.filter(pk=policy["id"]).values_list("content_owner_id", flat=True).first()
    if known is not None and known != owner_id:
        raise ChangeSetError(f"Policy {policy['id']} belongs to another content owner.")


@transaction.atomic
def changeset_add_claim_insert(
    *, user, video: Video, asset_id: str, content_type: str, policy_id: str = "", rules: list | None = None
) -> ChangeSetItem:
    """Associate the video with an asset (claims.insert) in the user's open draft.

    Assets and policies the catalogue does not know yet are left for YouTube to judge.
    """
    from videos.models import Asset, Claim

    policy = claim_policy(policy_id=policy_id, rules=rules)
    if content_type not in Claim.ContentType.values:
        raise ChangeSetError(f"The content type must be audio, video or audiovisual, not {content_type!r}.")
    owner_id = Video.objects.filter(pk=video.pk).values_list("channel__content_owner_id", flat=True).first()
    asset_owner = Asset.objects.filter(pk=asset_id).values_list("content_owner_id", flat=True).first()
    if asset_owner is not None and asset_owner != owner_id:
        raise ChangeSetError(
            f"Asset {asset_id} belongs to another content owner than video {video.pk}: Content ID only "
            "claims videos on the asset owner's own channels."
        )
    _check_policy_owner(policy, owner_id)
    existing = Claim.objects.filter(video=video, asset_id=asset_id, status=Claim.Status.ACTIVE).first()
    if existing is not None:
        raise ChangeSetError(
            f"Video {video.pk} is already claimed by asset {asset_id} (claim {existing.pk})."
        )
    draft = changeset_open_draft(user=user, content_owner_id=owner_id)
    changeset_check_owner(changeset=draft, video_ids=[video.pk])
    item, _ = ChangeSetItem.objects.update_or_create(
        changeset=draft,
        video=video,
        field=f"claim:{asset_id}",
        defaults={
            "kind": ChangeSetItem.Kind.CLAIM_INSERT,
            "base_value": None,
            "new_value": policy,
            "payload": {
                "assetId": asset_id,
                "videoId": video.pk,
                "contentType": content_type,
                "policy": policy,
            },
        },
    )
    changeset_refresh_needs_approval(changeset=draft)
    _audit_claim_item(item=item, changeset=draft, user=user, event_type=AuditEvent.Type.CLAIM_INSERT_RECORDED)
    return item


def _audit_claim_item(*, item: ChangeSetItem, changeset: ChangeSet, user, event_type: str) -> None:
    """The audit row of a claim item put in a draft: on the change set, YouTube's policy and ours."""
    changeset_audit(
        changeset=changeset,
        event_type=event_type,
        user=user,
        old={item.field: item.base_value},
        new={item.field: item.new_value},
        extra={"video_id": item.video_id, "kind": item.kind, "payload": item.payload},
    )


def claim_base_policy(*, claim) -> dict | None:
    """YouTube's policy for the claim as the catalogue last saw it: the snapshot a claims answer left
    (a saved policy's id or the rules themselves); for a claim never read through the API, the saved
    policy it names; None when neither is known."""
    if claim.remote_policy is not None:
        return claim_policy_canonical(claim.remote_policy)
    return {"id": claim.policy_id} if claim.policy_id else None


@transaction.atomic
def changeset_add_claim_policy(
    *, user, claim, policy_id: str = "", rules: list | None = None
) -> ChangeSetItem:
    """Change a claim's policy — how monetization is really set (claims.patch) — in the user's draft.

    The base is YouTube's policy as the catalogue last read it (claim_base_policy); when the
    catalogue has never read one, the push takes YouTube's policy at that moment as the base.
    """
    from videos.models import Claim

    policy = claim_policy(policy_id=policy_id, rules=rules)
    if claim.status != Claim.Status.ACTIVE:
        raise ChangeSetError(
            f"Claim {claim.pk} is {claim.get_status_display().lower()}: Content ID only changes the policy of "
            "an active claim."
        )
    base = claim_base_policy(claim=claim)
    owner_id = (
        Video.objects.filter(pk=claim.video_id).values_list("channel__content_owner_id", flat=True).first()
    )
    if policy == base:
        raise ChangeSetError(
            f"Claim {claim.pk} already has policy {claim_policy_described(base, owner_id=owner_id)}."
        )
    _check_policy_owner(policy, owner_id)
    draft = changeset_open_draft(user=user, content_owner_id=owner_id)
    changeset_check_owner(changeset=draft, video_ids=[claim.video_id])
    item, _ = ChangeSetItem.objects.update_or_create(
        changeset=draft,
        video_id=claim.video_id,
        field=f"claim:{claim.pk}",
        defaults={
            "kind": ChangeSetItem.Kind.CLAIM_PATCH,
            "base_value": base,
            "new_value": policy,
            "payload": {"claimId": claim.pk},
        },
    )
    changeset_refresh_needs_approval(changeset=draft)
    _audit_claim_item(item=item, changeset=draft, user=user, event_type=AuditEvent.Type.CLAIM_POLICY_RECORDED)
    return item
