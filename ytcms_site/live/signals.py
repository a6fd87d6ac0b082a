"""Changes to who may hear what, turned into an access_changed for the user's open sockets.

These are exactly the inputs of the consumer's checks: access.groups_for_user reads the user's
memberships (user, content owner, channel) and is_active / is_superuser, may_view_quota and
connect() read is_active / is_staff / is_superuser. A membership's role, the user's auth groups and
permissions decide what a user may *edit* or which admin pages they get, not which live groups
they join, so they are not watched.

Signals rather than services, against the house rule, because no service of ours sits on these
writes: memberships are granted and removed in the admin's inlines (channels_app.admin), a content
owner's or channel's deletion cascades to them, and users' flags change in Django's own User admin
and commands (createsuperuser, ensure_admin). QuerySet.update() sends no signal: code that
changes these fields in bulk must call events.publish_access_changed itself.
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from channels_app.models import Membership
from core.live.transport import publish_access_changed

MEMBERSHIP_SCOPE_FIELDS = ("user_id", "content_owner_id", "channel_id")
USER_ACCESS_FIELDS = ("is_active", "is_staff", "is_superuser")
# pre_save's verdict when the save cannot change access (a new row, or update_fields without them).
_UNCHANGED = object()


def _watched(update_fields, names) -> bool:
    """Whether a save with these update_fields can touch one of these fields (None: all of them)."""
    if update_fields is None:
        return True
    touched = set(update_fields)
    return any(name in touched or name.removesuffix("_id") in touched for name in names)


@receiver(pre_save, sender=Membership, dispatch_uid="ytcms_live_membership_before")
def _membership_before(sender, instance, update_fields=None, **kwargs):
    # The row as stored: moving a membership to another user revokes the first one's access.
    if instance._state.adding or not _watched(update_fields, MEMBERSHIP_SCOPE_FIELDS):
        instance._live_before = None if instance._state.adding else _UNCHANGED
        return
    instance._live_before = (
        sender.objects.filter(pk=instance.pk).values_list(*MEMBERSHIP_SCOPE_FIELDS).first()
    )


@receiver(post_save, sender=Membership, dispatch_uid="ytcms_live_membership_saved")
def _membership_saved(sender, instance, **kwargs):
    before = getattr(instance, "_live_before", None)
    if before is _UNCHANGED:
        return
    after = tuple(getattr(instance, name) for name in MEMBERSHIP_SCOPE_FIELDS)
    if before == after:
        return  # only the role changed: it decides editing, not what the sockets hear
    publish_access_changed([after[0], before[0] if before else None])


@receiver(post_delete, sender=Membership, dispatch_uid="ytcms_live_membership_deleted")
def _membership_deleted(sender, instance, **kwargs):
    publish_access_changed([instance.user_id])


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="ytcms_live_user_before")
def _user_before(sender, instance, update_fields=None, **kwargs):
    # A sign-in saves last_login only (update_fields): no query then, nor on creation.
    if instance._state.adding or not _watched(update_fields, USER_ACCESS_FIELDS):
        instance._live_before = _UNCHANGED
        return
    instance._live_before = (
        sender._default_manager.filter(pk=instance.pk).values_list(*USER_ACCESS_FIELDS).first()
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="ytcms_live_user_saved")
def _user_saved(sender, instance, **kwargs):
    before = getattr(instance, "_live_before", _UNCHANGED)
    if before is _UNCHANGED:
        return
    if before != tuple(getattr(instance, name) for name in USER_ACCESS_FIELDS):
        publish_access_changed([instance.pk])


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="ytcms_live_user_deleted")
def _user_deleted(sender, instance, **kwargs):
    # The socket finds no user any more and closes as signed out.
    publish_access_changed([instance.pk])
