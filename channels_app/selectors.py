"""Who may see and edit which channels: the one place access is decided."""

import hashlib
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from channels_app.models import EDITING_ROLES, Channel, ContentOwner, Membership
from core.audit.models import AuditEvent


def _membership_filter(user, roles=None) -> Q:
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return Q(
        content_owner_id__in=memberships.filter(content_owner__isnull=False).values("content_owner_id")
    ) | Q(id__in=memberships.filter(channel__isnull=False).values("channel_id"))


def user_may_use_site(*, user) -> bool:
    """Active staff with at least one membership, or a superuser: may sign in to the API at all.

    API tokens and API sessions both ask this on every request, so a token stops working the
    moment its user is deactivated, loses the staff flag or loses their last membership.
    """
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or Membership.objects.filter(user=user).exists()


def membership_scope_key(*, user) -> str:
    """Same memberships, same key: 'all' for superusers, else a digest of owners and channels.

    Users with the same key see the same rows, so per-scope caches key on it, not on the user.
    """
    if user.is_active and user.is_superuser:
        return "all"
    memberships = Membership.objects.filter(user=user).values_list("content_owner_id", "channel_id")
    owners = sorted({str(owner) for owner, _ in memberships if owner})
    channels = sorted({str(channel) for _, channel in memberships if channel})
    text = "o:" + ",".join(owners) + "|c:" + ",".join(channels)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def channel_ids_of_other_owners(*, owner_id: str, channel_ids: Iterable[str]) -> set[str]:
    """The channels among these ids that exist and belong to another content owner.

    A channel with no owner is nobody's: a pull for an owner that YouTube lists it for adopts it.
    A YouTube answer (or a stand-in's) is never enough to move a channel from one owner to another.
    """
    return set(
        Channel.objects.filter(pk__in=set(channel_ids), content_owner__isnull=False)
        .exclude(content_owner_id=owner_id)
        .values_list("pk", flat=True)
    )


def channels_visible_to(*, user) -> QuerySet[Channel]:
    if not user.is_authenticated or not user.is_active:
        return Channel.objects.none()
    if user.is_superuser:
        return Channel.objects.all()
    return Channel.objects.filter(_membership_filter(user))


def channels_editable_by(*, user) -> QuerySet[Channel]:
    if not user.is_authenticated or not user.is_active:
        return Channel.objects.none()
    if user.is_superuser:
        return Channel.objects.all()
    return Channel.objects.filter(_membership_filter(user, EDITING_ROLES))


def content_owners_visible_to(*, user) -> QuerySet[ContentOwner]:
    if not user.is_authenticated or not user.is_active:
        return ContentOwner.objects.none()
    if user.is_superuser:
        return ContentOwner.objects.all()
    memberships = Membership.objects.filter(user=user)
    return ContentOwner.objects.filter(
        Q(id__in=memberships.values("content_owner_id"))
        | Q(channels__id__in=memberships.values("channel_id"))
    ).distinct()


def content_owners_joined_by(*, user) -> QuerySet[ContentOwner]:
    """The owners the user holds an owner-level membership of (any role); a channel's does not count.

    For records that belong to the owner as a whole and name no channel (the YouTube API-call
    log): a member of one channel must not read what was done for the owner's other channels.
    """
    if not user.is_authenticated or not user.is_active:
        return ContentOwner.objects.none()
    if user.is_superuser:
        return ContentOwner.objects.all()
    return ContentOwner.objects.filter(
        id__in=Membership.objects.filter(user=user, content_owner__isnull=False).values("content_owner_id")
    )


def content_owners_edited_by(*, user) -> QuerySet[ContentOwner]:
    """The owners the user edits as a whole: an owner-level membership with an editing role.

    For what belongs to the owner and serves all its channels (metadata templates and their
    blocks): an editor of one channel may use them on the channel but not change them.
    """
    if not user.is_authenticated or not user.is_active:
        return ContentOwner.objects.none()
    if user.is_superuser:
        return ContentOwner.objects.all()
    return ContentOwner.objects.filter(
        id__in=Membership.objects.filter(
            user=user, content_owner__isnull=False, role__in=EDITING_ROLES
        ).values("content_owner_id")
    )


def content_owners_managed_by(*, user) -> QuerySet[ContentOwner]:
    if not user.is_authenticated or not user.is_active:
        return ContentOwner.objects.none()
    if user.is_superuser:
        return ContentOwner.objects.all()
    return ContentOwner.objects.filter(memberships__user=user, memberships__role="manager").distinct()


def channel_role_of(*, user, channel_id: str) -> str | None:
    """The strongest role the user holds on a channel, directly or through its owner."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return "manager"
    roles = set(
        Membership.objects.filter(user=user)
        .filter(Q(channel_id=channel_id) | Q(content_owner__channels__id=channel_id))
        .values_list("role", flat=True)
    )
    for role in ("manager", "editor", "viewer"):
        if role in roles:
            return role
    return None


def audit_events_visible_to(*, user) -> QuerySet[AuditEvent]:
    """The audit rows a user may read: their owners' (owner-level membership), their channels'.

    A channel's member reads the rows that name the channel (its videos' edits), not the owner-wide
    ones (change sets, credentials): those may tell of the owner's other channels.
    """
    if not (user.is_authenticated and user.is_active):
        return AuditEvent.objects.none()
    if user.is_superuser:
        return AuditEvent.objects.all()
    memberships = Membership.objects.filter(user=user)
    return AuditEvent.objects.filter(
        Q(content_owner_id__in=memberships.filter(content_owner__isnull=False).values("content_owner_id"))
        | Q(channel_id__in=memberships.filter(channel__isnull=False).values("channel_id"))
    )


def audit_events_of(*, user, object_type: str, object_id, limit: int = 20) -> list[AuditEvent]:
    """The latest events of one object that the user may read, newest first (an object's page)."""
    return list(
        audit_events_visible_to(user=user)
        .filter(object_type=object_type, object_id=str(object_id))
        .select_related("acting_user")
        .order_by("-created_at", "-id")[:limit]
    )
