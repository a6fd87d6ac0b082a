"""Which live groups a user may join: the one place the websocket's scope meets memberships.

Apart from groups.py (names only) so that publishing an event needs no app: the consumer joins what
`groups_for_user` says, through the selector that decides what a user may see.
"""

from channels_app.models import Membership
from channels_app.selectors import channels_visible_to
from core.live.groups import ALL_GROUP, QUOTA_GROUP, channel_group, owner_group


def may_view_quota(user) -> bool:
    # The quota ledger is open to every active member of the staff (syncs.admin.StaffReadOnlyAdmin).
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def groups_for_user(user) -> list[str]:
    """The groups a connected user joins (sync: reads memberships through the admin's selector)."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [ALL_GROUP, QUOTA_GROUP]
    whole_owners = set(
        Membership.objects.filter(user=user, content_owner__isnull=False).values_list(
            "content_owner_id", flat=True
        )
    )
    groups = [owner_group(owner_id) for owner_id in sorted(whole_owners)]
    # The selector decides what is visible; channels of a whole owner are already heard through it.
    channels = channels_visible_to(user=user).exclude(content_owner_id__in=whole_owners)
    groups += [
        channel_group(channel_id) for channel_id in channels.order_by("pk").values_list("pk", flat=True)
    ]
    if may_view_quota(user):
        groups.append(QUOTA_GROUP)
    return groups
