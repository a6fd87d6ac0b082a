"""Writes of who may do what: memberships of content owners and channels, each with its audit row."""

from django.db import transaction

from channels_app.models import Membership
from core.audit.models import AuditEvent
from core.audit.services import audit_event_record


def _membership_state(membership: Membership) -> dict:
    return {
        "user": membership.user.get_username() if membership.user_id else None,
        "role": membership.role,
        "content_owner_id": membership.content_owner_id,
        "channel_id": membership.channel_id,
    }


def _membership_owner_id(membership: Membership) -> str | None:
    if membership.content_owner_id:
        return membership.content_owner_id
    return membership.channel.content_owner_id if membership.channel_id else None


def _audit(*, membership: Membership, event_type: str, acting_user, old, new) -> None:
    audit_event_record(
        event_type=event_type,
        acting_user=acting_user,
        content_owner_id=_membership_owner_id(membership),
        channel_id=membership.channel_id,
        object_type="membership",
        object_id=membership.pk,
        object_repr=str(membership),
        old=old,
        new=new,
    )


@transaction.atomic
def membership_save(*, membership: Membership, acting_user) -> Membership:
    """Grant a role (a new membership) or change one; the audit row holds the old and new state."""
    before = (
        Membership.objects.select_for_update().select_related("user").filter(pk=membership.pk).first()
        if membership.pk
        else None
    )
    membership.save()
    old = _membership_state(before) if before is not None else None
    new = _membership_state(membership)
    if old != new:
        _audit(
            membership=membership,
            event_type=AuditEvent.Type.MEMBERSHIP_ADDED
            if before is None
            else AuditEvent.Type.MEMBERSHIP_CHANGED,
            acting_user=acting_user,
            old=old,
            new=new,
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user) -> None:
    """Take a role away; the audit row keeps what it was (the row outlives the membership)."""
    old = _membership_state(membership)
    membership_id = membership.pk
    _audit(
        membership=membership,
        event_type=AuditEvent.Type.MEMBERSHIP_REMOVED,
        acting_user=acting_user,
        old=old,
        new=None,
    )
    membership.delete()
    membership.pk = membership_id
