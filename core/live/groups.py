"""Which channel-layer groups carry which events: names computed from ids, so publishing knows no app.

Every event goes to the group of its content owner, the group of its channel (when it has one)
and `live.all`. A user joins (access.py, which reads memberships) the owner groups of the owners
they may see as a whole (an owner membership), the channel groups of channels they see only
through a channel membership, and a superuser joins `live.all` alone: so each user is in exactly
one group an event is sent to, and nobody gets it twice.

Each socket also joins its user's own group (`user_group`), which carries no frames: only the
"access changed" control message (events.publish_access_changed) that makes it recompute the rest.
"""

import hashlib
import re

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
