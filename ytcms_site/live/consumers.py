"""The live-updates websocket at /ws/live/: authenticated, and scoped to what the user may see."""

import json
import logging
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ytcms_site.live.events import timestamp
from ytcms_site.live.groups import groups_for_user

logger = logging.getLogger("ytcms.live")

# Close codes in the private range (4000-4999), so the browser can tell "sign in again" apart
# from a network failure and stop reconnecting.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Ids of the last frames delivered, to drop the copy of a frame sent to two of the user's groups.
SEEN_IDS = 256


class LiveConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str] = []

    async def connect(self):
        user = self.scope.get("user")
        # Accept, then close with a code: a refused handshake reaches the browser only as 1006.
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not (user.is_active and user.is_staff):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.seen = deque(maxlen=SEEN_IDS)
        self.groups_joined = await database_sync_to_async(groups_for_user)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json(
            {
                "type": "connection_status",
                "status": "connected",
                "user": user.get_username(),
                "ts": timestamp(),
            }
        )

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

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

    async def live_event(self, message):
        """A frame from ytcms_site.live.events, relayed as it is."""
        event_id = message.get("id")
        if event_id is not None:
            if event_id in self.seen:
                return
            self.seen.append(event_id)
        await self.send_json(message["frame"])
