"""Which channel-layer groups carry which events, and which of them a user joins.

Every event goes to the group of its content owner, the group of its channel (when it has one)
and `live.all`. A user joins the owner groups of the owners they may see as a whole (an owner
membership), the channel groups of channels they see only through a channel membership, and a
superuser joins `live.all` alone: so each user is in exactly one group an event is sent to, and
nobody gets it twice.

Each socket also joins its user's own group (`user_group`), which carries no frames: only the
"access changed" control message (events.publish_access_changed) that makes it recompute the rest.
"""

import hashlib
import re

from channels_app.models import Membership
from channels_app.selectors import channels_visible_to

ALL_GROUP = "live.all"
QUOTA_GROUP = "live.quota"
# Channels' rule for group names: ASCII letters, digits, hyphens, underscores and periods, < 100.
_GROUP_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _key(value) -> str:
    text = str(value)
    if _GROUP_SAFE.match(text):
        return text
    # A content owner id is free text in our model: anything else is hashed into a safe name.
    return "h" + hashlib.sha256(text.encode()).hexdigest()[:40]


def owner_group(content_owner_id) -> str:
    return f"live.owner.{_key(content_owner_id)}"


def channel_group(channel_id) -> str:
    return f"live.channel.{_key(channel_id)}"


def user_group(user_id) -> str:
    return f"live.user.{_key(user_id)}"


def groups_for_event(*, content_owner_id=None, channel_id=None) -> list[str]:
    """The groups one event about this owner / channel is sent to (superusers always hear it)."""
    groups = [ALL_GROUP]
    if content_owner_id:
        groups.append(owner_group(content_owner_id))
    if channel_id:
        groups.append(channel_group(channel_id))
    return groups


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
