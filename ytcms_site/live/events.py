"""The one door for live events: services call these after their writes.

Every send waits for the transaction to commit (`transaction.on_commit`): a write that rolls back
never shows up in anyone's browser. Frames go only to the groups of the content owner and channel
concerned (and `live.all`, the superusers'); groups.py decides who is in which group. A failed
send (Redis down) is logged and never fails the write that caused it.

Rates: per-row work (imports) emits processing_update only; progress frames are throttled to about
one a second per report / change set, with a final frame that always goes out.

Besides frames, one control message never reaches a browser: `publish_access_changed` tells a
user's open sockets to recompute their groups when their memberships or flags change (signals.py).
"""

import asyncio
import logging
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from functools import partial

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import Count
from django.utils import formats, timezone

from ytcms_site.live.groups import QUOTA_GROUP, groups_for_event, user_group
from ytcms_site.live.outbox import layer_is_per_process, messages_of, outbox_write, relay

logger = logging.getLogger("ytcms.live")

# The consumer method that receives every event (LiveConsumer.live_event).
MESSAGE_TYPE = "live.event"
# The consumer method that recomputes a socket's groups (LiveConsumer.live_access_changed).
ACCESS_CHANGED_TYPE = "live.access_changed"
PROGRESS_SECONDS = 1.0
QUOTA_SECONDS = 1.0
# One admin bulk edit may change up to BULK_EDIT_MAX_VIDEOS videos; a frame per video beyond a page
# or two would only flood every browser, so at most this many video_update frames go out per edit.
VIDEO_UPDATES_PER_EDIT = 1000
BATCH = 500
NEWEST_ERRORS = 20

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


class Throttle:
    """At most one pass per key every `seconds` (leading edge); thread-safe, per process."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last: dict = {}
        self._lock = threading.Lock()

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


# ------------------------------------------------------------------------------ video_update


def video_sync_statuses(videos) -> dict[str, str]:
    """Per video: in_sync, pending, pushing, drift, conflict or failed (worst first)."""
    from syncs.models import ChangeSet, ChangeSetItem

    by_id = {video.pk: video for video in videos}
    found: dict[str, set] = {pk: set() for pk in by_id}
    items = (
        ChangeSetItem.objects.filter(video_id__in=list(by_id))
        .exclude(
            changeset__status__in=[ChangeSet.Status.DRAFT, ChangeSet.Status.DONE, ChangeSet.Status.REVERTED]
        )
        .exclude(status__in=[ChangeSetItem.Status.DONE, ChangeSetItem.Status.SKIPPED])
        .values_list("video_id", "field", "kind", "status")
    )
    for video_id, field_name, kind, status in items:
        # A metadata item no longer pending was overtaken (edited back, pushed by a later set).
        if kind == ChangeSetItem.Kind.METADATA and field_name not in by_id[video_id].pending_fields:
            continue
        if status == ChangeSetItem.Status.CONFLICT:
            found[video_id].add("conflict")
        elif status == ChangeSetItem.Status.FAILED:
            found[video_id].add("failed")
        else:
            found[video_id].add("pushing")
    statuses = {}
    for pk, video in by_id.items():
        marks = found[pk]
        if video.has_drift:
            marks.add("drift")
        if video.pending_fields:
            marks.add("pending")
        statuses[pk] = next(
            (name for name in ("conflict", "failed", "pushing", "drift", "pending") if name in marks),
            "in_sync",
        )
    return statuses


def video_frames(video_ids: Iterable[str]) -> Outgoing:
    from videos.models import Video

    ids = list(dict.fromkeys(video_ids))
    outgoing: Outgoing = []
    for start in range(0, len(ids), BATCH):
        videos = list(
            Video.objects.filter(pk__in=ids[start : start + BATCH])
            .select_related("channel")
            .only("id", "title", "channel_id", "channel__content_owner_id", "pending_fields", "has_drift")
        )
        statuses = video_sync_statuses(videos)
        for video in videos:
            owner_id = video.channel.content_owner_id if video.channel_id else None
            payload = {
                "video_id": video.pk,
                "title": video.title,
                "channel_id": video.channel_id,
                "content_owner_id": owner_id,
                "sync_status": statuses[video.pk],
                "pending_fields": list(video.pending_fields),
                "has_drift": video.has_drift,
            }
            groups = groups_for_event(content_owner_id=owner_id, channel_id=video.channel_id)
            outgoing.append((groups, frame("video_update", payload)))
    return outgoing


def publish_videos_update(video_ids: Iterable[str]) -> None:
    """video_update for each of these videos, read as committed (interactive edits and pushes)."""
    ids = list(dict.fromkeys(video_ids))
    if len(ids) > VIDEO_UPDATES_PER_EDIT:
        logger.info(
            "Live: %d videos changed at once; video_update sent for the first %d.",
            len(ids),
            VIDEO_UPDATES_PER_EDIT,
        )
        ids = ids[:VIDEO_UPDATES_PER_EDIT]
    if ids:
        send_after_commit(lambda: video_frames(ids))


def publish_video_update(video) -> None:
    publish_videos_update([video.pk])


# ------------------------------------------------------------------------------ processing_update


# A report's counters a processing_update carries besides rows_read (reports.models.Report).
FRAME_COUNTERS = (
    "rows_imported",
    "rows_unchanged",
    "rows_rejected",
    "videos_created",
    "videos_updated",
    "videos_unchanged",
    "channels_created",
    "claims_upserted",
    "assets_created",
)


# A report's times its page shows as read-only fields (reports.admin.ReportAdmin's "Run" fieldset).
FRAME_TIMES = ("started_at", "progress_at", "finished_at")


def report_times_shown(report) -> dict[str, str]:
    """The report's times as its admin page renders them (display_for_field's localized local
    time, "-" for none), so a live update reads as a reload would."""
    values = {name: getattr(report, name) for name in FRAME_TIMES}
    return {
        name: formats.localize(timezone.template_localtime(value)) if value else "-"
        for name, value in values.items()
    }


class ReportProgress:
    """The numbers of one run of a report import: the live frames and `import_report` show the same.

    `update` is the pipeline's on_progress (called after every committed chunk, maybe from the
    merger thread): it sends a throttled frame and hands the numbers on to `then`.
    """

    def __init__(self, report, *, then: Callable[[dict], None] | None = None, seconds: float | None = None):
        from reports.models import ReportRowError

        self.report_id = report.pk
        self.content_owner_id = report.content_owner_id
        # A preview's counts are what an import would do: pages word them so (live-report.js).
        self.dry_run = report.dry_run
        self.bytes_total = report.bytes_total
        self.rows_at_start = report.rows_read
        self.times_at_start = report_times_shown(report)
        self.started = time.monotonic()
        self.then = then
        self.seconds = PROGRESS_SECONDS if seconds is None else seconds
        self._last_sent: float | None = None
        self._lock = threading.Lock()
        # Errors of an earlier run (a resume keeps them) are not news.
        self._error_id = (
            ReportRowError.objects.filter(report_id=report.pk)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
            or 0
        )
        self.numbers(
            {"rows_read": report.rows_read, "bytes_processed": report.bytes_processed}, status=report.status
        )

    def numbers(
        self, counters: dict, *, status: str = "running", done: bool = False, message: str = ""
    ) -> dict:
        """processing_update's payload from the report's counters."""
        total = counters.get("bytes_total") or self.bytes_total or 0
        processed = counters.get("bytes_processed") or 0
        rows_read = counters.get("rows_read") or 0
        if done and status == "done":
            progress = 100
        elif total:
            # 100 is for the final frame: bytes can be all read before the last chunk commits.
            progress = max(0, min(99, int(100 * processed / total)))
        else:
            progress = 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.last = {
            "report_id": self.report_id,
            "content_owner_id": self.content_owner_id,
            "dry_run": self.dry_run,
            "status": status,
            "progress": progress,
            "rows_read": rows_read,
            "rows_total": rows_read if done else None,
            # Every count the report's page shows (live-report.js), so none of its fields stays stale.
            **{name: counters.get(name) or 0 for name in FRAME_COUNTERS},
            "bytes_processed": processed,
            "rate": round(max(rows_read - self.rows_at_start, 0) / elapsed, 1),
            "message": message,
            "done": done,
        }
        return self.last

    def _new_errors(self) -> list[dict]:
        from reports.models import ReportRowError

        rows = list(
            ReportRowError.objects.filter(report_id=self.report_id, id__gt=self._error_id)
            .order_by("-id")
            .values("id", "line_number", "column", "reason")[:NEWEST_ERRORS]
        )
        if rows:
            self._error_id = rows[0]["id"]
        return [
            {"row": row["line_number"], "column": row["column"], "message": row["reason"]}
            for row in reversed(rows)
        ]

    def _publish(self, payload: dict) -> None:
        payload = {**payload, "errors": self._new_errors()}
        publish("processing_update", payload, content_owner_id=self.content_owner_id)

    def start(self) -> None:
        with self._lock:
            self._last_sent = time.monotonic()
            self._publish({**self.last, "times": self.times_at_start})

    def update(self, counters: dict) -> None:
        payload = self.numbers(counters)
        with self._lock:
            now = time.monotonic()
            if self._last_sent is None or now - self._last_sent >= self.seconds:
                self._last_sent = now
                self._publish(payload)
        if self.then is not None:
            self.then({**counters, **payload})

    def finish(self, report) -> None:
        """The final frame (done=true), whatever the outcome."""
        counters = {
            name: getattr(report, name)
            for name in ("rows_read", "bytes_processed", "bytes_total", *FRAME_COUNTERS)
        }
        payload = self.numbers(counters, status=report.status, done=True, message=report.message)
        payload["times"] = report_times_shown(report)
        with self._lock:
            self._last_sent = time.monotonic()
            self._publish(payload)


def publish_processing_update(report, **numbers) -> None:
    """One processing_update for a report from its stored counters (overrides in `numbers`)."""
    progress = ReportProgress(report)
    done = numbers.pop("done", report.status in ("done", "failed"))
    payload = progress.numbers(
        {name: getattr(report, name) for name in ("rows_read", "bytes_processed", *FRAME_COUNTERS)},
        status=report.status,
        done=done,
        message=report.message,
    )
    payload.update(numbers)
    payload["times"] = report_times_shown(report)
    publish("processing_update", {**payload, "errors": []}, content_owner_id=report.content_owner_id)


# ------------------------------------------------------------------------------ sync_status_update


def publish_sync_status(items: Iterable, *, worded: Mapping[int, dict] | None = None) -> None:
    """sync_status_update per video (and status) of these change set items, after commit.

    `worded` ({item pk: {"base", "theirs", "ours"}}, from the app that owns the items) gives a
    conflict's values as a person reads them: the page shows those, the raw values are for scripts.
    """
    from videos.models import Video

    groups_of: dict[tuple, list] = {}
    for item in items:
        groups_of.setdefault((item.video_id, item.changeset_id, item.status), []).append(item)
    if not groups_of:
        return
    snapshot = [
        (
            video_id,
            changeset_id,
            status,
            [item.pk for item in settled],
            next((item.error_message for item in settled if item.error_message), ""),
            [
                {
                    "field": item.field,
                    "base": item.base_value,
                    "theirs": item.theirs_value,
                    "ours": item.new_value,
                    "worded": (worded or {}).get(item.pk),
                }
                for item in settled
                if status == "conflict"
            ],
        )
        for (video_id, changeset_id, status), settled in groups_of.items()
    ]

    def build() -> Outgoing:
        video_ids = {row[0] for row in snapshot}
        scopes = dict(
            (pk, (owner_id, channel_id))
            for pk, owner_id, channel_id in Video.objects.filter(pk__in=video_ids).values_list(
                "pk", "channel__content_owner_id", "channel_id"
            )
        )
        outgoing = []
        for video_id, changeset_id, status, item_ids, error, conflicts in snapshot:
            if video_id not in scopes:
                continue
            owner_id, channel_id = scopes[video_id]
            payload = {
                "video_id": video_id,
                "changeset_id": changeset_id,
                "item_ids": item_ids,
                "status": status,
                "error": error,
                "conflict": conflicts[0] if conflicts else None,
                "conflicts": conflicts,
            }
            outgoing.append(
                (
                    groups_for_event(content_owner_id=owner_id, channel_id=channel_id),
                    frame("sync_status_update", payload),
                )
            )
        return outgoing

    send_after_commit(build)


# ------------------------------------------------------------------------------ changeset_update

_changeset_throttle = Throttle(PROGRESS_SECONDS)
SETTLED_ITEM_STATUSES = ("done", "failed", "conflict", "skipped")


def changeset_numbers(changeset_id: int) -> dict:
    """counts per item status and progress 0-100: the live frame and `youtube_push` show these."""
    from syncs.models import ChangeSetItem

    counts = dict(
        ChangeSetItem.objects.filter(changeset_id=changeset_id)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    total = sum(counts.values())
    settled = sum(counts.get(status, 0) for status in SETTLED_ITEM_STATUSES)
    return {"counts": counts, "total": total, "progress": int(100 * settled / total) if total else 100}


def changeset_frames(changeset_id: int) -> Outgoing:
    from syncs.models import ChangeSet
    from videos.models import Video

    changeset = ChangeSet.objects.filter(pk=changeset_id).only("id", "title", "status").first()
    if changeset is None:
        return []
    numbers = changeset_numbers(changeset_id)
    payload = {
        "changeset_id": changeset.pk,
        "status": changeset.status,
        "counts": numbers["counts"],
        "progress": numbers["progress"],
        "title": str(changeset),
    }
    # Whoever sees one video of a change set sees the change set (changesets_visible_to).
    scopes = (
        Video.objects.filter(changeset_items__changeset_id=changeset_id)
        .order_by()
        .values_list("channel__content_owner_id", "channel_id")
        .distinct()
    )
    groups: list[str] = []
    for owner_id, channel_id in scopes:
        groups += groups_for_event(content_owner_id=owner_id, channel_id=channel_id)
    if not groups:
        groups = groups_for_event()
    return [(list(dict.fromkeys(groups)), frame("changeset_update", payload))]


def publish_changeset_update(changeset, *, throttle: bool = False) -> None:
    """changeset_update after commit; `throttle` for progress during a push (state changes always go)."""
    if throttle and not _changeset_throttle.ready(changeset.pk):
        return
    changeset_id = changeset.pk
    send_after_commit(lambda: changeset_frames(changeset_id))


# ------------------------------------------------------------------------------ quota_update

_quota_throttle = Throttle(QUOTA_SECONDS)
_quota_lock = threading.Lock()
_quota_pending: dict[tuple, tuple[Frame, asyncio.AbstractEventLoop | None]] = {}
_quota_timers: dict[tuple, threading.Timer] = {}


def quota_frame(*, project: str, api: str, day) -> Frame | None:
    from syncs.models import QuotaLedger

    row = QuotaLedger.objects.filter(project=project, api=api, day=day).first()
    if row is None:
        return None
    return frame(
        "quota_update",
        {
            "project": project,
            "api": api,
            "day": day.isoformat() if isinstance(day, date) else str(day),
            "used": row.units_used,
            "budget": row.budget,
            "reserve": row.reserve,
            "remaining": row.remaining,
            "exhausted": row.exhausted_at is not None,
        },
    )


def _send_pending_quota(key: tuple) -> None:
    with _quota_lock:
        pending = _quota_pending.pop(key, None)
        _quota_timers.pop(key, None)
    if pending is not None:
        built, loop = pending
        _quota_throttle.ready(key)  # restart the window: this frame is the latest news
        try:
            send_now([([QUOTA_GROUP], {**built, "ts": timestamp()})], loop=loop)
        finally:
            # This timer thread ends here: the connection an outbox write opened must not outlive it.
            connection.close()


def publish_quota_update(project: str, api: str, day) -> None:
    """quota_update after commit: at most one a second per project/API/day, and the last one always.

    A frame inside the second is kept and sent when the second is over (a timer thread holding the
    frame, never a database connection), so the dashboard always ends on the final count.
    """
    key = (project, api, str(day))

    def run():
        built = quota_frame(project=project, api=api, day=day)
        if built is None:
            return
        if _quota_throttle.ready(key):
            with _quota_lock:
                _quota_pending.pop(key, None)
            send_now([([QUOTA_GROUP], built)])
            return
        with _quota_lock:
            scheduled = key in _quota_pending
            _quota_pending[key] = (built, _server_loop())
            if not scheduled:
                timer = threading.Timer(_quota_throttle.seconds, _send_pending_quota, args=(key,))
                timer.daemon = True
                _quota_timers[key] = timer
                timer.start()

    transaction.on_commit(run, robust=True)


def reset_throttles() -> None:
    """Forget every throttle window and drop the frames still waiting for theirs (tests: a timer
    thread writing the outbox during the next test's set-up finds SQLite's tables locked)."""
    _changeset_throttle.reset()
    _quota_throttle.reset()
    with _quota_lock:
        _quota_pending.clear()
        for timer in _quota_timers.values():
            timer.cancel()
        _quota_timers.clear()
