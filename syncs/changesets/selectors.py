"""Reads of change sets: who may see and act on which."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from channels_app.selectors import content_owners_managed_by
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.models import Video
from videos.selectors import videos_editable_by, videos_visible_to

# The group permission acting on a change set needs: the one a video edit needs (videos/api.py
# _check_may_edit), since approving, pushing, reverting and resolving change videos at YouTube.
CHANGESET_ACT_PERMISSION = "videos.change_video"
CHANGESET_ACTIONS = ("approve", "push", "revert", "resolve")


def changesets_visible_to(*, user) -> QuerySet[ChangeSet]:
    """Change sets holding a video the user may see, and the user's own empty ones.

    A change set none of whose items the user may see is not theirs to see, even if they made it
    (they lost the role since): its items are another owner's now.
    """
    if user.is_active and user.is_superuser:
        return ChangeSet.objects.all()
    touches = ChangeSetItem.objects.filter(changeset=OuterRef("pk"), video__in=videos_visible_to(user=user))
    holds_any = ChangeSetItem.objects.filter(changeset=OuterRef("pk"))
    return ChangeSet.objects.filter(Exists(touches)) | ChangeSet.objects.filter(created_by=user).exclude(
        Exists(holds_any)
    )


def changeset_open_drafts(*, user) -> QuerySet[ChangeSet]:
    """The user's open drafts, oldest first: the change sets their edits extend, one per content
    owner (changeset_open_draft makes them). A revert is a draft too, but of its own: edits never
    go into it. Nor into a scheduled change set: a release holds what was put into it from its own
    page (syncs.changesets.amend), never a stray edit made elsewhere."""
    return ChangeSet.objects.filter(
        created_by=user, status=ChangeSet.Status.DRAFT, revert_of__isnull=True, scheduled_for__isnull=True
    ).order_by("pk")


def changeset_open_drafts_of(*, user, content_owner_ids) -> list[ChangeSet]:
    """The drafts that edits of this user to these owners' videos extend (changeset_open_draft's
    choice, one per owner), without creating any."""
    drafts = changeset_open_drafts(user=user)
    chosen: dict = {}
    for owner_id in content_owner_ids:
        draft = drafts.filter(content_owner_id=owner_id).first()
        if draft is not None:
            chosen[draft.pk] = draft
    return sorted(chosen.values(), key=lambda draft: draft.pk)


def changeset_items_visible_to(*, user, changeset: ChangeSet | None = None) -> QuerySet[ChangeSetItem]:
    """Items of videos the user may see (of one change set, if given): every page lists only these.

    One content owner per change set makes this all of a visible change set's items; a change set
    from before #14 may still span owners.
    """
    items = (
        ChangeSetItem.objects.all()
        if changeset is None
        else ChangeSetItem.objects.filter(changeset=changeset)
    )
    if user.is_active and user.is_superuser:
        return items
    # An item of a visible video makes its change set visible (changesets_visible_to): no join needed.
    return items.filter(video__in=videos_visible_to(user=user))


def changeset_owner_ids(*, changeset: ChangeSet) -> set[str | None]:
    """The content owners of the videos a change set touches (None: a channel without one)."""
    return set(
        changeset.items.order_by().values_list("video__channel__content_owner_id", flat=True).distinct()
    )


def changeset_action_refusal(*, user, changeset: ChangeSet, action: str) -> str | None:
    """Why the user may not approve, push, revert or resolve the change set; None when they may.

    The rule of a video edit: the role group's change permission, and an editor or manager
    membership on every video the change set touches. With CHANGESET_FOUR_EYES on, approving also
    needs the manager role of every content owner in it.
    """
    if action not in CHANGESET_ACTIONS:
        raise ValueError(f"Unknown change-set action {action!r}.")
    if not (user.is_active and user.is_staff and user.has_perm(CHANGESET_ACT_PERMISSION)):
        return (
            "Your account may read change sets but not act on them: approving, pushing, reverting and "
            "resolving conflicts change videos, which your role group does not allow."
        )
    video_ids = set(changeset.items.values_list("video_id", flat=True))
    editable = set(videos_editable_by(user=user).filter(pk__in=video_ids).values_list("pk", flat=True))
    if video_ids != editable:
        return (
            "Approving, pushing, reverting or resolving a change set needs an editor or manager role on "
            "every video it touches."
        )
    if action == "approve" and settings.CHANGESET_FOUR_EYES and not user.is_superuser:
        owners = changeset_owner_ids(changeset=changeset)
        managed = set(content_owners_managed_by(user=user).filter(pk__in=owners).values_list("pk", flat=True))
        if owners - managed:
            return (
                "With the four-eyes rule on, approving a change set needs the manager role of its "
                "content owner."
            )
    return None


def changeset_may_act(*, user, changeset: ChangeSet, action: str) -> bool:
    return changeset_action_refusal(user=user, changeset=changeset, action=action) is None


def sync_records_visible_to(*, user) -> QuerySet[SyncRecord]:
    if user.is_active and user.is_superuser:
        return SyncRecord.objects.all()
    return SyncRecord.objects.filter(video__in=videos_visible_to(user=user))


# How many audit rows the video's page shows; the rest are one click away in the audit trail.
VIDEO_HISTORY_ROWS = 20


def video_sync_history(*, video_id: str, limit: int = VIDEO_HISTORY_ROWS) -> tuple[list[SyncRecord], int]:
    """The video's newest push attempts (audit rows) and how many there are in all.

    The caller has already checked that the user may see the video.
    """
    records = SyncRecord.objects.filter(video_id=video_id)
    newest = list(records.select_related("user", "changeset").order_by("-created_at", "-id")[:limit])
    total = len(newest) if len(newest) < limit else records.count()
    return newest, total


# A change set that has not finished reaching YouTube, and an item of it that is not there yet.
UNFINISHED_CHANGESET_STATUSES = (
    ChangeSet.Status.DRAFT,
    ChangeSet.Status.APPROVED,
    ChangeSet.Status.QUEUED,
    ChangeSet.Status.PUSHING,
    ChangeSet.Status.HAS_CONFLICTS,
    ChangeSet.Status.PARTLY_FAILED,
)
UNSENT_ITEM_STATUSES = (
    ChangeSetItem.Status.PENDING,
    ChangeSetItem.Status.PUSHING,
    ChangeSetItem.Status.DEFERRED,
    ChangeSetItem.Status.CONFLICT,
    ChangeSetItem.Status.FAILED,
)


def changesets_holding_video(*, video_id: str, field: str | None = None) -> QuerySet[ChangeSet]:
    """The unfinished change sets holding an edit of this video not yet at YouTube, oldest first;
    with `field`, only edits of that item field (a claim's is "claim:<claim id>").

    The caller has checked that the user may see the video; whoever may see it may see these (an
    item of a visible video makes its change set visible, changesets_visible_to).
    """
    items = {"items__field": field} if field is not None else {}
    return (
        ChangeSet.objects.filter(
            status__in=UNFINISHED_CHANGESET_STATUSES,
            items__video_id=video_id,
            items__status__in=UNSENT_ITEM_STATUSES,
            **items,
        )
        .distinct()
        .select_related("created_by")
        .order_by("created_at", "pk")
    )


def video_changeset_marks(*, videos: Mapping[str, Video]) -> dict[str, set[str]]:
    """What the change sets in flight say of these videos ({id: video}): conflict, failed, pushing.

    The videos' sync statuses (videos.events.video_sync_statuses) add drift and pending from the
    videos' own fields; SyncsConfig.ready hands this reader to them.
    """
    found: dict[str, set[str]] = {pk: set() for pk in videos}
    items = (
        ChangeSetItem.objects.filter(video_id__in=list(videos))
        .exclude(
            changeset__status__in=[ChangeSet.Status.DRAFT, ChangeSet.Status.DONE, ChangeSet.Status.REVERTED]
        )
        .exclude(status__in=[ChangeSetItem.Status.DONE, ChangeSetItem.Status.SKIPPED])
        .values_list("video_id", "field", "kind", "status")
    )
    for video_id, field_name, kind, status in items:
        # A metadata item no longer pending was overtaken (edited back, pushed by a later set).
        if kind == ChangeSetItem.Kind.METADATA and field_name not in videos[video_id].pending_fields:
            continue
        if status == ChangeSetItem.Status.CONFLICT:
            found[video_id].add("conflict")
        elif status == ChangeSetItem.Status.FAILED:
            found[video_id].add("failed")
        else:
            found[video_id].add("pushing")
    return found


# A change set that may still write to YouTube, and an item of it that has not been written yet: two
# of these holding one video's field with different values overwrite each other, whichever goes last.
CHANGESET_WAITING_STATUSES = (
    ChangeSet.Status.DRAFT,
    ChangeSet.Status.APPROVED,
    ChangeSet.Status.QUEUED,
    ChangeSet.Status.PUSHING,
)
WAITING_ITEM_STATUSES = (
    ChangeSetItem.Status.PENDING,
    ChangeSetItem.Status.DEFERRED,
    ChangeSetItem.Status.PUSHING,
    ChangeSetItem.Status.CONFLICT,
)


@dataclass(frozen=True)
class AlsoWaiting:
    """Another change set's item of the same video and field, with another new value."""

    item: ChangeSetItem  # this change set's item
    other: ChangeSetItem  # the other change set's (its .changeset is loaded)


def changeset_items_also_waiting(
    *, changeset: ChangeSet, items: Iterable[ChangeSetItem] | QuerySet[ChangeSetItem], user=None
) -> dict[int, list[AlsoWaiting]]:
    """For these items of the change set ({item pk: …}), the items of OTHER waiting change sets
    (draft, approved, queued, pushing) holding the same video and field with another value, oldest
    change set first; only change sets `user` may see (every one when None: the push command).

    Pushing both writes one value over the other (or the second meets a conflict): a person must
    choose. Items already written or skipped wait for nothing, so they have none.
    """
    mine = ChangeSetItem.objects.filter(
        changeset=changeset,
        video_id=OuterRef("video_id"),
        field=OuterRef("field"),
        status__in=WAITING_ITEM_STATUSES,
    )
    others = (
        ChangeSetItem.objects.filter(
            Exists(mine), changeset__status__in=CHANGESET_WAITING_STATUSES, status__in=WAITING_ITEM_STATUSES
        )
        .exclude(changeset=changeset)
        .select_related("changeset")
        .order_by("changeset__created_at", "changeset_id", "video_id", "field")
    )
    if user is not None:
        others = others.filter(changeset__in=changesets_visible_to(user=user))
    others = list(others)
    if not others:
        return {}
    if isinstance(items, QuerySet):
        # A detail page of a 10,000-item change set reads only the items some other set shares.
        items = items.filter(video_id__in={other.video_id for other in others})
    waiting = {(item.video_id, item.field): item for item in items if item.status in WAITING_ITEM_STATUSES}
    found: dict[int, list[AlsoWaiting]] = {}
    for other in others:
        item = waiting.get((other.video_id, other.field))
        if item is not None and other.new_value != item.new_value:
            found.setdefault(item.pk, []).append(AlsoWaiting(item=item, other=other))
    return found


def changeset_also_waiting_sets(
    *, also_waiting: Mapping[int, list[AlsoWaiting]]
) -> list[tuple[ChangeSet, int]]:
    """The other change sets these overlaps name, oldest first, each with how many videos it shares."""
    videos_by_set: dict[int, set[str]] = {}
    sets: dict[int, ChangeSet] = {}
    for overlaps in also_waiting.values():
        for overlap in overlaps:
            sets[overlap.other.changeset_id] = overlap.other.changeset
            videos_by_set.setdefault(overlap.other.changeset_id, set()).add(overlap.item.video_id)
    ordered = sorted(sets.values(), key=lambda other: (other.created_at, other.pk))
    return [(other, len(videos_by_set[other.pk])) for other in ordered]


def changeset_also_waiting_summary(*, also_waiting: Mapping[int, list[AlsoWaiting]]) -> str:
    """One sentence for the person approving or pushing: how many videos wait elsewhere, and where
    ("" when none): '3 videos are also waiting in change set #4 “…” with other values: …'."""
    sets = changeset_also_waiting_sets(also_waiting=also_waiting)
    if not sets:
        return ""
    videos = len({overlap.item.video_id for overlaps in also_waiting.values() for overlap in overlaps})
    named = ", ".join(f"#{other.pk} “{other}”" for other, _ in sets)
    return (
        f"{videos:,} video{'s are' if videos != 1 else ' is'} also waiting in change "
        f"set{'s' if len(sets) > 1 else ''} {named} with other values: whichever is pushed later "
        "overwrites the other (or stops in a conflict). Remove the item from one of them to choose."
    )
