"""Editing a change set from its own page or the API, and what that does to its approval (#19).

Every other edit (video page, bulk edit, edit sheet, claim actions, templates) lands in its
author's open draft, never in an approved or scheduled change set. A change set's own page and
`POST /api/v1/changesets/{id}/amend/` are the one door that changes the items of a given change
set: a fix to a scheduled release stays in that release. The rule lives here, once:

    An approved change set whose items change goes back to draft: its approval is withdrawn (one
    audit row, "approval withdrawn (edited after approval)", with the approver and the edit), its
    schedule is kept, and it must be approved again (four-eyes when on) before it is pushed, or at
    its moment the scheduler refuses it as it refuses any draft.

Only a change set nothing of which was sent yet (a draft or an approved one, never pushed) can be
amended: a queued or pushed one is YouTube's business now (resolve its conflicts, or revert it).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit.models import AuditEvent
from syncs.changesets.errors import ChangeSetError, ChangeSetStateConflict
from syncs.changesets.release import ChangeSetOverbooked, changeset_schedule_quota
from syncs.changesets.services import (
    changeset_audit,
    changeset_record_edits_into,
    changeset_refresh_needs_approval,
)
from syncs.events import publish_changeset_update
from syncs.models import ChangeSet, ChangeSetItem
from videos.models import Video
from videos.selectors import videos_editable_by
from videos.services import WRITABLE_FIELDS, video_update
from videos.snapshot import model_value, snapshot_value

AMENDABLE_STATUSES = (ChangeSet.Status.DRAFT, ChangeSet.Status.APPROVED)
APPROVAL_WITHDRAWN_REASON = "edited after approval"


def changeset_amend_refusal(*, changeset: ChangeSet) -> str | None:
    """Why the change set's items cannot be changed from its page; None when they can."""
    if changeset.status not in AMENDABLE_STATUSES:
        return (
            f"This change set is {changeset.get_status_display()}: its items can no longer be edited. "
            "Edit the videos instead: the edits go to your draft."
        )
    if changeset.pushed_at is not None:
        return "Part of this change set reached YouTube already: its items can no longer be edited."
    return None


@dataclass(frozen=True)
class AmendResult:
    changeset: ChangeSet
    changed: int  # items added, changed or removed
    approval_withdrawn: bool
    warning: str = ""  # CHANGESET_SCHEDULE_OVERBOOK=warn: its quota day no longer holds it


@transaction.atomic
def changeset_amend(
    *,
    changeset: ChangeSet,
    user,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    remove_item_ids: Iterable[int] = (),
) -> AmendResult:
    """Set {video id: {field: value (model form)}} in this change set and remove items from it.

    A value is an edit of the video like any other (validated against YouTube's limits, the
    video's audit row and live frame), recorded in this change set instead of the user's draft; a
    value equal to YouTube's removes the item. Removing an item puts the video's field back to
    YouTube's value when the item still held what we want, so nothing of it stays pending unseen.
    The videos must be the change set's owner's and editable by the user. An approved change set
    loses its approval (changeset_approval_withdraw). Raises ChangeSetError (nothing saved).
    """
    changeset = ChangeSet.objects.select_for_update().get(pk=changeset.pk)
    if (refusal := changeset_amend_refusal(changeset=changeset)) is not None:
        raise ChangeSetStateConflict(refusal)
    values = {video_id: dict(fields) for video_id, fields in (values or {}).items() if fields}
    remove_item_ids = set(remove_item_ids)
    if not values and not remove_item_ids:
        raise ChangeSetError("Nothing to change: name a value to set or an item to remove.")
    not_writable = sorted({name for fields in values.values() for name in fields} - set(WRITABLE_FIELDS))
    if not_writable:
        raise ChangeSetError(
            f"{', '.join(not_writable)} cannot be sent to YouTube: only {', '.join(WRITABLE_FIELDS)}."
        )
    editable = set(videos_editable_by(user=user).filter(pk__in=list(values)).values_list("pk", flat=True))
    if missing := sorted(set(values) - editable):
        raise ChangeSetError(f"Not among the videos you may edit: {', '.join(missing[:20])}.")
    removing = list(
        ChangeSetItem.objects.select_for_update().filter(changeset=changeset, pk__in=remove_item_ids)
    )
    if len(removing) != len(remove_item_ids):
        raise ChangeSetError("Some of the items to remove are not items of this change set.")
    if unsent := [item.pk for item in removing if item.status != ChangeSetItem.Status.PENDING]:
        raise ChangeSetError(f"Items {unsent} are not pending: they cannot be removed.")

    changed = 0
    for video_id, fields in sorted(values.items()):
        changed += _set_values(changeset=changeset, user=user, video_id=video_id, fields=fields)
    for item in removing:
        changed += _remove_item(changeset=changeset, user=user, item=item)
    if not changed:
        return AmendResult(changeset=changeset, changed=0, approval_withdrawn=False)

    changeset_refresh_needs_approval(changeset=changeset)
    withdrawn = changeset_approval_withdraw(changeset=changeset, user=user)
    warning = _check_scheduled_quota(changeset=changeset)
    publish_changeset_update(changeset)
    return AmendResult(changeset=changeset, changed=changed, approval_withdrawn=withdrawn, warning=warning)


def changeset_approval_withdraw(*, changeset: ChangeSet, user) -> bool:
    """The rule: an approved change set whose items changed is a draft again, schedule kept.

    Returns whether an approval was withdrawn. The caller holds the change set's row lock.
    """
    if changeset.status != ChangeSet.Status.APPROVED:
        return False
    old = {
        "status": changeset.status,
        "approved_by": changeset.approved_by.get_username() if changeset.approved_by_id else None,
        "approved_at": changeset.approved_at.isoformat() if changeset.approved_at else None,
    }
    changeset.status = ChangeSet.Status.DRAFT
    changeset.approved_by = None
    changeset.approved_at = None
    changeset.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    changeset_audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_APPROVAL_WITHDRAWN,
        user=user,
        old=old,
        new={"status": changeset.status, "approved_by": None, "approved_at": None},
        extra={
            "reason": APPROVAL_WITHDRAWN_REASON,
            "scheduled_for": changeset.scheduled_for.isoformat() if changeset.scheduled_for else None,
            "scheduled_tz": changeset.scheduled_tz,
        },
    )
    return True


def _set_values(*, changeset: ChangeSet, user, video_id: str, fields: Mapping[str, Any]) -> int:
    video = Video.objects.select_for_update().get(pk=video_id)
    before = {name: getattr(video, name) for name in fields}
    edited = video_update(video=video, changes=fields, user=user)
    edits = {name: (before[name], getattr(video, name)) for name in edited}
    # A value already what we want for the video (edited elsewhere) is still this change set's
    # to send: record it with the video's value as both old and new.
    for name in fields:
        if name not in edits:
            edits[name] = (before[name], getattr(video, name))
    items_before = _items_of(changeset, video_id)
    changeset_record_edits_into(changeset=changeset, user=user, edits={video: edits})
    return int(items_before != _items_of(changeset, video_id))


def _items_of(changeset: ChangeSet, video_id: str) -> dict:
    return dict(
        ChangeSetItem.objects.filter(changeset=changeset, video_id=video_id).values_list("field", "new_value")
    )


def _remove_item(*, changeset: ChangeSet, user, item: ChangeSetItem) -> int:
    if item.kind == ChangeSetItem.Kind.METADATA:
        video = Video.objects.select_for_update().get(pk=item.video_id)
        if snapshot_value(item.field, getattr(video, item.field)) == item.new_value:
            # Back to YouTube's value: the edit recorded that way removes the item (base == new).
            base = model_value(item.field, item.base_value)
            before = getattr(video, item.field)
            video_update(video=video, changes={item.field: base}, user=user)
            changeset_record_edits_into(
                changeset=changeset, user=user, edits={video: {item.field: (before, base)}}
            )
            if not ChangeSetItem.objects.filter(pk=item.pk).exists():
                return 1
    # What we want for the video moved on since (another draft holds it), or a claim's item: the
    # item alone goes.
    ChangeSetItem.objects.filter(pk=item.pk).delete()
    changeset_audit(
        changeset=changeset,
        event_type=AuditEvent.Type.CHANGESET_EDITED,
        user=user,
        old={item.video_id: {item.field: item.new_value}},
        new={item.video_id: {item.field: None}},
        extra={"added": 0, "changed": 0, "removed": 1},
    )
    return 1


def _check_scheduled_quota(*, changeset: ChangeSet) -> str:
    """A scheduled change set that grew must still fit its Pacific day (as scheduling checks)."""
    if changeset.scheduled_for is None or changeset.scheduled_for <= timezone.now():
        return ""
    quota = changeset_schedule_quota(changeset=changeset, at=changeset.scheduled_for)
    if quota.fits:
        return ""
    message = (
        f"The push now needs {quota.units:,} units on quota day {quota.day} (Pacific), where other "
        f"scheduled change sets already commit {quota.committed:,} of {quota.budget:,}."
    )
    if settings.CHANGESET_SCHEDULE_OVERBOOK == "refuse":
        raise ChangeSetOverbooked(f"{message} Nothing was changed.")
    return f"{message} Kept anyway: what the day cannot pay for waits for the next reset."
