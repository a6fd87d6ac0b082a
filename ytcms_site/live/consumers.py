"""The live-updates websocket at /ws/live/: authenticated, and scoped to what the user may see.

What the user may see is read at connect and again whenever it changes: each socket sits in its
user's own group, where signals.py sends access_changed after a membership or the user's flags
change, and the socket then leaves the groups it lost (or closes) before it relays another frame.
"""

import json
import logging
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from core.live.groups import user_group
from core.live.outbox import layer_is_per_process, relay
from core.live.transport import timestamp
from ytcms_site.live.access import groups_for_user

logger = logging.getLogger("ytcms.live")

# Close codes in the private range (4000-4999), so the browser can tell "sign in again" apart
# from a network failure and stop reconnecting.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Ids of the last frames delivered, to drop the copy of a frame sent to two of the user's groups.
SEEN_IDS = 256


def refusal_code(user) -> int | None:
    """The close code for a user who may not (or no longer) listen; None for one who may."""
    if user is None or not user.is_authenticated:
        return CLOSE_UNAUTHENTICATED
    if not (user.is_active and user.is_staff):
        return CLOSE_FORBIDDEN
    return None


def _user_as_stored(user_id):
    """The user as the database has them now (None once deleted), not the copy read at connect."""
    return get_user_model()._default_manager.filter(pk=user_id).first()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    # A set: live_event looks every frame's group up in it.
    groups_joined: frozenset[str] = frozenset()
    own_group: str | None = None

    async def connect(self):
        user = self.scope.get("user")
        # Accept, then close with a code: a refused handshake reaches the browser only as 1006.
        await self.accept()
        code = refusal_code(user)
        if code is not None:
            await self.close(code=code)
            return
        if layer_is_per_process(self.channel_layer):
            # Before any group is joined: frames other processes leave from now on reach this socket.
            await relay.ensure_running()
        self.seen = deque(maxlen=SEEN_IDS)
        self.user_id = user.pk
        # Joined before the memberships are read: a change committed after that read still
        # reaches this socket as an access_changed.
        self.own_group = user_group(user.pk)
        await self.channel_layer.group_add(self.own_group, self.channel_name)
        joining = await database_sync_to_async(groups_for_user)(user)
        for group in joining:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = frozenset(joining)
        await self.send_json(
            {
                "type": "connection_status",
                "status": "connected",
                "user": user.get_username(),
                "ts": timestamp(),
            }
        )

    async def disconnect(self, code):
        await self._leave_all()

    async def _leave_all(self) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = frozenset()
        if self.own_group is not None:
            await self.channel_layer.group_discard(self.own_group, self.channel_name)
            self.own_group = None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A client sends little (ping); anything unreadable is ignored rather than closing on it.
        if not text_data:
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "ts": timestamp()})

    async def live_access_changed(self, message):
        """The user's memberships or flags changed (signals.py): recompute groups, or close."""
        if self.own_group is None:
            return
        user = await database_sync_to_async(_user_as_stored)(self.user_id)
        code = refusal_code(user)
        if code is not None:
            # Left before closing: nothing more is relayed while the close is on its way.
            await self._leave_all()
            await self.close(code=code)
            return
        wanted = await database_sync_to_async(groups_for_user)(user)
        keeping = frozenset(wanted)
        # Leave first: a lost group must not deliver while the new ones are being joined.
        for group in self.groups_joined - keeping:
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in wanted:
            if group not in self.groups_joined:
                await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = keeping

    async def live_event(self, message):
        """A frame from core.live.transport, relayed as it is."""
        # A copy queued for a group this socket has left since (access revoked) is not relayed.
        # Checked before the seen ids: a dropped copy must not hide one from a group still joined.
        group = message.get("group")
        if group is not None and group not in self.groups_joined:
            return
        event_id = message.get("id")
        if event_id is not None:
            if event_id in self.seen:
                return
            self.seen.append(event_id)
        await self.send_json(message["frame"])
