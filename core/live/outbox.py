"""Live messages from other processes when there is no Redis: an outbox table the web server relays.

Without REDIS_URL the channel layer is Channels' InMemoryChannelLayer: a dict of asyncio queues
inside the web server process. The task worker (`manage.py db_worker`), the scheduler and commands
run in a terminal (import_report, youtube_push) are other processes; a group_send there reaches
nobody. So, on that layer only:

- a process whose event loop holds the sockets (the web server, once a socket has connected: the
  relay below runs there) sends on that loop, as before;
- any other process writes the messages it would have sent to LiveOutboxBatch, in the database
  every process already shares (SQLite file or PostgreSQL);
- the web server's relay, an asyncio task on the server's loop started by the first websocket
  connect, reads new rows every POLL_SECONDS (id > the last one seen, from the newest id at its
  start) and group_sends them into its in-memory layer, on the loop that owns its queues.

Rows older than KEEP_SECONDS are deleted (by the relay and by writers, at most once a minute each):
a browser that was not connected when a frame went out would not have received it anyway.
With REDIS_URL set nothing here runs: every process sends through Redis.
"""

import asyncio
import contextvars
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.utils import timezone

from core.live.models import LiveOutboxBatch

logger = logging.getLogger("ytcms.live")

POLL_SECONDS = 0.25
KEEP_SECONDS = 300
PRUNE_SECONDS = 60
BATCHES_PER_READ = 500
# PostgreSQL hands out ids before commit, so a row can become visible after a higher id already
# was: a skipped id is looked for again for this long (SQLite writers commit in id order).
LATE_ID_SECONDS = 5
LATE_IDS_MAX = 1000

Messages = list[list]  # [[group, channel layer message], ...]


def layer_is_per_process(layer) -> bool:
    """Whether a group_send on this layer reaches only this process's sockets (the in-memory layer)."""
    return isinstance(layer, InMemoryChannelLayer)


class MessageRecorder:
    """Stands in for the channel layer: keeps the group messages a send would have made."""

    def __init__(self):
        self.messages: Messages = []

    async def group_send(self, group: str, message: dict) -> None:
        self.messages.append([group, message])


def messages_of(send: Callable[[object], Awaitable[None]]) -> Messages:
    """The group messages `send(layer)` makes, run against a recorder (no event loop needed)."""
    recorder = MessageRecorder()
    coroutine = send(recorder)
    # The recorder never waits, so the coroutine finishes at its first step.
    try:
        coroutine.send(None)
    except StopIteration:
        return recorder.messages
    coroutine.close()
    raise RuntimeError("A live send waited on something besides group_send.")


class _PruneClock:
    """At most one prune per PRUNE_SECONDS in this process."""

    def __init__(self):
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + PRUNE_SECONDS
            return True


_writer_prunes = _PruneClock()


def outbox_prune(*, older_than_seconds: float = KEEP_SECONDS) -> int:
    """Delete batches older than this; return how many."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    deleted, _ = LiveOutboxBatch.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def outbox_write(*, messages: Messages) -> None:
    """Leave these group messages for the web server's relay (one row)."""
    if not messages:
        return
    LiveOutboxBatch.objects.create(messages=messages)
    if _writer_prunes.due():
        outbox_prune()


def outbox_newest_id() -> int:
    return LiveOutboxBatch.objects.order_by("-id").values_list("id", flat=True).first() or 0


def outbox_batches(*, after_id: int, late_ids: list[int]) -> list[tuple[int, Messages]]:
    """Batches with an id above `after_id`, and any of `late_ids` that have appeared, by id."""
    rows = list(
        LiveOutboxBatch.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "messages")[:BATCHES_PER_READ]
    )
    if late_ids:
        rows += LiveOutboxBatch.objects.filter(id__in=late_ids).values_list("id", "messages")
        rows.sort()
    return rows


class OutboxRelay:
    """Sends the outbox's new batches into this process's in-memory layer, on the server's loop."""

    def __init__(self):
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None
        self._next_warning = 0.0

    def serving_loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the relay runs on (the web server's), while it runs; None in other processes."""
        loop, task = self.loop, self.task
        if loop is None or task is None or task.done() or loop.is_closed() or not loop.is_running():
            return None
        return loop

    async def ensure_running(self) -> None:
        """Start relaying on this loop unless it already runs (call from the server's loop)."""
        if self.serving_loop() is not None:
            return
        newest = await database_sync_to_async(outbox_newest_id)()
        if self.serving_loop() is not None:  # another socket started it while the id was read
            return
        self.loop = asyncio.get_running_loop()
        # A context of its own: the connecting consumer's (with its thread-sensitive executor,
        # which ends with the socket) must not be inherited by a task that outlives it.
        self.task = self.loop.create_task(
            self._relay(after_id=newest), name="ytcms-live-outbox-relay", context=contextvars.Context()
        )

    async def _relay(self, *, after_id: int) -> None:
        read = database_sync_to_async(outbox_batches)
        prune = database_sync_to_async(outbox_prune)
        late: dict[int, float] = {}  # id -> until when it is looked for
        next_prune = time.monotonic() + PRUNE_SECONDS
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                batches = await read(after_id=after_id, late_ids=list(late))
                now = time.monotonic()
                layer = get_channel_layer()
                for batch_id, messages in batches:
                    late.pop(batch_id, None)
                    if batch_id > after_id:
                        skipped = range(after_id + 1, batch_id)
                        if len(late) + len(skipped) <= LATE_IDS_MAX:
                            late.update(dict.fromkeys(skipped, now + LATE_ID_SECONDS))
                        after_id = batch_id
                    for group, message in messages:
                        await layer.group_send(group, message)
                late = {batch_id: until for batch_id, until in late.items() if until > now}
                if now >= next_prune:
                    next_prune = now + PRUNE_SECONDS
                    await prune()
            except Exception:
                # The database may be busy or away for a while: keep polling, log once a minute.
                if time.monotonic() >= self._next_warning:
                    self._next_warning = time.monotonic() + 60
                    logger.warning("Live outbox not read; retrying.", exc_info=True)


relay = OutboxRelay()
