"""The live transport: the one door every app's events go out through, knowing no app.

Each app builds its own frames (videos/events.py, reports/events.py, syncs/events.py) from its own
models and hands them to `publish` or `send_after_commit` here. Every send waits for the
transaction to commit (`transaction.on_commit`): a write that rolls back never shows up in
anyone's browser. Frames go only to the groups of the content owner and channel concerned (and
`live.all`, the superusers'), named from their ids by core/live/groups.py. A failed send (Redis down) is
logged and never fails the write that caused it.

Rates: per-row work (imports) emits processing_update only; progress frames are throttled to about
one a second (PROGRESS_SECONDS) per report / change set, with a final frame that always goes out.
Every `Throttle` and `TrailingSender` registers itself, so `reset_throttles` forgets them all.

Besides frames, one control message never reaches a browser: `publish_access_changed` tells a
user's open sockets to recompute their groups when their memberships or flags change
(ytcms_site/live/signals.py).
"""

import asyncio
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable
from datetime import UTC, datetime
from functools import partial

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction

from core.live.groups import groups_for_event, user_group
from core.live.outbox import layer_is_per_process, messages_of, outbox_write, relay

logger = logging.getLogger("ytcms.live")

# The consumer method that receives every event (LiveConsumer.live_event).
MESSAGE_TYPE = "live.event"
# The consumer method that recomputes a socket's groups (LiveConsumer.live_access_changed).
ACCESS_CHANGED_TYPE = "live.access_changed"
# Progress frames (an import's, a push's) go out about once a second per report / change set.
PROGRESS_SECONDS = 1.0

Frame = dict
Outgoing = list[tuple[list[str], Frame]]


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame(event_type: str, payload: dict) -> Frame:
    return {"type": event_type, **payload, "ts": timestamp()}


# ------------------------------------------------------------------------------ sending


async def _send_all(layer, outgoing: Outgoing) -> None:
    for groups, built in outgoing:
        # One id for all the groups of one frame: a user in two of them (a channel-only member of
        # two channels a change set touches) gets it once; the consumer drops the repeat.
        event_id = uuid.uuid4().hex
        for group in dict.fromkeys(groups):
            # The group rides along so a socket that has just left it (access revoked) can drop
            # a copy already queued for it before the revocation was processed.
            await layer.group_send(
                group, {"type": MESSAGE_TYPE, "id": event_id, "group": group, "frame": built}
            )


def _deliver(
    send: Callable[[object], Awaitable[None]], *, what: str, loop: asyncio.AbstractEventLoop | None = None
) -> None:
    """Run `send(layer)` to completion from sync code; log, never raise, when it fails.

    On the in-memory layer (no REDIS_URL) only the web server's loop reaches its sockets: there
    the send runs on that loop, whatever thread calls; any other process (the task worker, a
    command, the scheduler) leaves the messages in the outbox for the web server to relay.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if layer_is_per_process(layer):
            loop = relay.serving_loop()
            if loop is None:
                outbox_write(messages=messages_of(send))
                return
            if asyncio_running_loop() is loop:
                # Sync code on the loop's own thread cannot wait for the loop: let it run next.
                loop.create_task(send(layer))
                return
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(send(layer), loop).result(timeout=10)
        else:
            async_to_sync(send)(layer)
    except Exception:
        logger.warning("Live event %s not sent.", what, exc_info=True)


def asyncio_running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def send_now(outgoing: Outgoing, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Send frames to their groups now (sync code only). Never raises.

    `loop`: the server's event loop, for a thread of our own (the quota timer) to send on, as
    async_to_sync does for request threads; the in-memory layer only delivers within its loop.
    """
    if not outgoing:
        return
    _deliver(partial(_send_all, outgoing=outgoing), what=str(outgoing[0][1].get("type")), loop=loop)


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop this sync thread was called from (request threads under ASGI), if any."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return getattr(SyncToAsync.threadlocal, "main_event_loop", None)


def send_after_commit(build: Callable[[], Outgoing]) -> None:
    """Build and send frames once the current transaction commits (now, outside one)."""

    def run():
        try:
            outgoing = build()
        except Exception:
            logger.warning("Live event not built.", exc_info=True)
            return
        send_now(outgoing)

    transaction.on_commit(run, robust=True)


def publish(event_type: str, payload: dict, *, content_owner_id, channel_id=None) -> None:
    """Send one frame to this owner's (and channel's) listeners after commit."""
    groups = groups_for_event(content_owner_id=content_owner_id, channel_id=channel_id)
    send_after_commit(lambda: [(groups, frame(event_type, payload))])


# ------------------------------------------------------------------------------ access_changed

# Users whose sockets are owed an access_changed by this thread's next commit. One admin save can
# touch many memberships of one user (inline formsets, an owner's cascade delete): one message
# each would make the socket recompute its groups as many times. Left over after a rollback, an id
# goes out with the next commit: a recompute that finds nothing to change, never a leak.
_access_pending = threading.local()


def _pending_user_ids() -> set:
    if not hasattr(_access_pending, "user_ids"):
        _access_pending.user_ids = set()
    return _access_pending.user_ids


async def _send_access_changed(layer, *, user_ids: list) -> None:
    for user_id in user_ids:
        await layer.group_send(user_group(user_id), {"type": ACCESS_CHANGED_TYPE})


def _flush_access_changed() -> None:
    pending = _pending_user_ids()
    if not pending:
        return
    user_ids = sorted(pending, key=str)
    pending.clear()
    _deliver(partial(_send_access_changed, user_ids=user_ids), what=ACCESS_CHANGED_TYPE)


def publish_access_changed(user_ids: Iterable) -> None:
    """After commit, make these users' open sockets recompute what they may hear (no frame)."""
    pending = _pending_user_ids()
    pending.update(user_id for user_id in user_ids if user_id is not None)
    transaction.on_commit(_flush_access_changed, robust=True)


# Every throttle and trailing sender of every app, for reset_throttles (weak: a throttle made for
# a moment, in a test, goes when it is no longer used).
_throttles: weakref.WeakSet = weakref.WeakSet()


class Throttle:
    """At most one pass per key every `seconds` (leading edge); thread-safe, per process."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last: dict = {}
        self._lock = threading.Lock()
        _throttles.add(self)

    def ready(self, key, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.seconds:
                return False
            if len(self._last) > 10_000:
                self._last.clear()
            self._last[key] = now
            return True

    def reset(self) -> None:
        with self._lock:
            self._last.clear()


class TrailingSender:
    """Frames at most one a window per key, and the last one always.

    A frame built inside the window is held and sent when the window is over, in place of any it
    arrived after (a timer thread holding the frame, never a database connection): a page always
    ends on the final count, as the quota dashboard must.
    """

    def __init__(self, seconds: float):
        self.throttle = Throttle(seconds)
        self._lock = threading.Lock()
        self._pending: dict[Hashable, tuple[Outgoing, asyncio.AbstractEventLoop | None]] = {}
        self._timers: dict[Hashable, threading.Timer] = {}
        _throttles.add(self)

    def send(self, key: Hashable, outgoing: Outgoing) -> None:
        """Send now, or hold until this key's window is over (sync code, after commit)."""
        if self.throttle.ready(key):
            with self._lock:
                self._pending.pop(key, None)
            send_now(outgoing)
            return
        with self._lock:
            scheduled = key in self._pending
            self._pending[key] = (outgoing, _server_loop())
            if not scheduled:
                timer = threading.Timer(self.throttle.seconds, self._send_pending, args=(key,))
                timer.daemon = True
                self._timers[key] = timer
                timer.start()

    def _send_pending(self, key: Hashable) -> None:
        with self._lock:
            pending = self._pending.pop(key, None)
            self._timers.pop(key, None)
        if pending is not None:
            outgoing, loop = pending
            self.throttle.ready(key)  # restart the window: this frame is the latest news
            try:
                send_now([(groups, {**built, "ts": timestamp()}) for groups, built in outgoing], loop=loop)
            finally:
                # This timer thread ends here: the connection an outbox write opened must not outlive it.
                connection.close()

    def reset(self) -> None:
        self.throttle.reset()
        with self._lock:
            self._pending.clear()
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()


def reset_throttles() -> None:
    """Forget every throttle window and drop the frames still waiting for theirs (tests: a timer
    thread writing the outbox during the next test's set-up finds SQLite's tables locked)."""
    for throttle in list(_throttles):
        throttle.reset()
