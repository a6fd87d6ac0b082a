"""The ingestion engine: read a stored report, check and chunk its rows, merge, account, resume.

    file ──ReportReader──▶ feeder (this thread) ──chunks──▶ merger (one chunk per transaction)

The feeder parses, turns each row into a staged tuple, rejects rows that may not be imported
(another content owner's channel, video, claim or asset, no channel to create a video with;
ownership as videos.selectors decides it, the same for every merge) and cuts the stream into
chunks at video boundaries. The merger merges a chunk (set-based SQL on PostgreSQL and on
SQLite, the ORM reference elsewhere), writes its row errors and adds its counts to the Report,
all in one transaction, which also moves the report's checkpoint to the chunk's last line.

Kill safety: a chunk is committed whole or not at all, so after a kill -9 the Report holds exact
counts for every line up to its checkpoint and nothing after it. A re-run (the reaper requeues
it) reads the file again from the start, skips the lines up to the checkpoint without touching
the database, and goes on: no row is counted twice, none is lost, and the merges are upserts
keyed by YouTube ids, so a video can never be duplicated. A run token on the Report makes a
second run of the same report (a worker wrongly reaped while alive) stop at its next commit.

On PostgreSQL outside a transaction, the merger runs in a second thread with its own connection,
so the database merges chunk N while this thread parses chunk N+1 (the GIL is released while
the merger waits for PostgreSQL).

Bulk mode (PostgreSQL, not a dry run, outside a transaction): when the first chunk shows that
the file will add at least REPORTS_BULK_MIN_PERCENT of the catalogue's current size in new
videos (and at least REPORTS_BULK_MIN_ROWS rows), the catalogue's secondary indexes are dropped
before the first chunk and built once at the end (merge_postgres.bulk_indexes_drop / _restore,
in a `finally`). Every run first builds any index a killed bulk run left dropped.
"""

import hashlib
import io
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, connections, reset_queries, transaction
from django.db.models import F
from django.utils import timezone

from channels_app.models import Channel
from reports import merge_postgres, merge_python, merge_sqlite
from reports.models import Report, ReportRowError
from reports.parsing import ReportLimits, ReportReader, RowError
from reports.parsing.base import excerpt
from reports.staging import (
    ASSET_ID,
    CHANNEL,
    CLAIM_ID,
    REMOTE_FIELDS,
    VIDEO,
    ChunkResult,
    ConcurrentChange,
    MergeContext,
)
from videos.models import Video
from videos.policies import policy_rank
from videos.selectors import asset_ids_of_other_owners, claim_ids_of_other_owners

logger = logging.getLogger(__name__)

LOOKUP_BATCH = 900
MERGE_ATTEMPTS = 3
HEARTBEAT_SECONDS = 30
CHANNEL_CACHE_MAX = 100_000
# Progress is committed per chunk. A report smaller than one chunk (REPORTS_CHUNK_ROWS rows: a
# 3,356-row Reporting API file was one) would sit at 0 % until its end, so a chunk also ends at a
# PROGRESS_STEPS-th of the file's bytes, once it holds PROGRESS_MIN_CHUNK_ROWS rows (each chunk
# costs its lookups and statements).
PROGRESS_STEPS = 20
PROGRESS_MIN_CHUNK_ROWS = 200
MERGES = {
    "sql": merge_postgres.merge_chunk,
    "sqlite": merge_sqlite.merge_chunk,
    "python": merge_python.merge_chunk,
}
_NEW_CHANNEL = object()  # a channel this import creates: it will belong to the report's owner


class Superseded(Exception):
    """Another run of the same report took over (its run token replaced ours)."""


class SourceError(Exception):
    """The report's file cannot be opened at all; the message is for the user."""


@dataclass
class Chunk:
    rows: list[tuple]
    errors: list[RowError]
    last_line: int
    bytes_read: int


def report_limits() -> ReportLimits:
    return ReportLimits(
        max_file_bytes=settings.REPORTS_MAX_FILE_BYTES,
        max_uncompressed_bytes=settings.REPORTS_MAX_UNCOMPRESSED_BYTES,
        max_compression_ratio=settings.REPORTS_MAX_COMPRESSION_RATIO,
        max_field_chars=settings.REPORTS_MAX_FIELD_CHARS,
    )


def merge_engine() -> str:
    """ "sql" on PostgreSQL, "sqlite" on SQLite, "python" (the ORM reference) when
    REPORTS_MERGE_ENGINE says so or on any other database."""
    if settings.REPORTS_MERGE_ENGINE == "python":
        return "python"
    return {"postgresql": "sql", "sqlite": "sqlite"}.get(connection.vendor, "python")


class HashingStream(io.RawIOBase):
    """The source stream, hashed as it is read (when it is read straight through).

    Only reads that continue where hashing stopped are hashed, so a peek at the end (the gzip
    size trailer) and a seek back keep the hash; a zip, read by seeking around, usually has none.
    """

    def __init__(self, stream):
        self._stream = stream
        self._sha = hashlib.sha256()
        self._position = 0
        self._hashed = 0  # bytes 0.._hashed went into the hash, in order
        self.at_eof = False

    def readable(self):
        return True

    def read(self, size=-1):
        data = self._stream.read(size)
        if self._position == self._hashed:
            self._sha.update(data)
            self._hashed += len(data)
            if not data and size != 0:
                self.at_eof = True
        self._position += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seekable(self):
        try:
            return self._stream.seekable()
        except AttributeError:
            return False

    def seek(self, offset, whence=io.SEEK_SET):
        self._position = self._stream.seek(offset, whence)
        return self._position

    def tell(self):
        return self._stream.tell()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest() if self.at_eof else ""


class _MergerThread(threading.Thread):
    """Merges chunks on its own database connection while the feeder parses the next one."""

    def __init__(self, process: Callable[[Chunk], None]):
        super().__init__(name="report-merger", daemon=True)
        self._process = process
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None

    def run(self):
        try:
            merge_postgres.prepare_session()
        except BaseException as exc:
            self.error = exc
        try:
            while True:
                chunk = self._queue.get()
                try:
                    if chunk is None:
                        return
                    if self.error is None:
                        self._process(chunk)
                        reset_queries()  # this thread's DEBUG query log
                except BaseException as exc:
                    self.error = exc
                finally:
                    self._queue.task_done()
        finally:
            connections.close_all()  # this thread's connection only

    def submit(self, chunk: Chunk):
        if self.error is not None:
            raise self.error
        self._queue.put(chunk)

    def drain(self):
        self._queue.join()
        if self.error is not None:
            raise self.error

    def finish(self):
        self._queue.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class ReportRun:
    """One run of report_ingest over one Report."""

    def __init__(self, report: Report, *, on_progress: Callable[[dict], None] | None = None):
        self.report = report
        self.token = report.run_token
        self.on_progress = on_progress
        self.owner_id = report.content_owner_id
        self.checkpoint = report.checkpoint_line
        self.engine = merge_engine()
        self.pipelined = self.engine == "sql" and settings.REPORTS_PIPELINE and not connection.in_atomic_block
        self.ctx: MergeContext | None = None
        self.preview = list(report.preview) if report.checkpoint_line else []
        self.channel_owners: dict = {}
        self._merger: _MergerThread | None = None
        self.bulk = False  # secondary indexes dropped for this run (see the module docstring)

    # -- the run -----------------------------------------------------------------------------

    def execute(self, stream, *, name: str) -> str:
        """Read the whole stream and merge it; return its sha256 ("" when it could not be hashed)."""
        hashing = HashingStream(stream)
        with ReportReader(hashing, name=name, limits=report_limits()) as reader:
            if not self.checkpoint:
                self._update(
                    layout=reader.layout, header=reader.header, unknown_columns=reader.unknown_columns
                )
            self.ctx = MergeContext(
                report_id=self.report.pk,
                owner_id=self.owner_id,
                dry_run=self.report.dry_run,
                has_policy_column="effective_policy" in reader.columns,
                claims_complete=(
                    self.owner_id is not None
                    and "claim_id" in reader.columns
                    and "asset_id" in reader.columns
                ),
                fetched_at=timezone.now(),
                preview_limit=settings.REPORTS_PREVIEW_VIDEOS,
                preview_taken=len(self.preview),
            )
            if self.engine == "sql":
                merge_postgres.bulk_indexes_restore()  # left dropped by a killed bulk run
            if self.pipelined:
                self._merger = _MergerThread(self._commit_chunk)
                self._merger.start()
                submit = self._merger.submit
            else:
                if self.engine == "sql":
                    merge_postgres.prepare_session()
                submit = self._commit_chunk
            try:
                self._feed(reader, submit)
            finally:
                try:
                    if self._merger is not None:
                        merger, self._merger = self._merger, None
                        merger.finish()
                finally:
                    if self.bulk:
                        self.bulk = False
                        started = time.monotonic()
                        built = merge_postgres.bulk_indexes_restore()
                        logger.info(
                            "Report %s: %s indexes built in %.1f s after the bulk import.",
                            self.report.pk,
                            built,
                            time.monotonic() - started,
                        )
        return hashing.sha256

    # -- bulk mode ---------------------------------------------------------------------------

    def _bulk_possible(self) -> bool:
        return (
            self.engine == "sql"
            and not self.report.dry_run
            and not connection.in_atomic_block
            and settings.REPORTS_BULK_MIN_ROWS > 0
        )

    def _maybe_enter_bulk(self, chunk: Chunk, reader: ReportReader) -> None:
        """Decide on bulk mode from the first chunk: rows the file will bring vs the catalogue's size."""
        if not self._bulk_possible() or not chunk.rows or not reader.bytes_read:
            return
        total_bytes = self.report.bytes_total or 0
        estimated_rows = (len(chunk.rows) + len(chunk.errors)) * total_bytes / reader.bytes_read
        if estimated_rows < settings.REPORTS_BULK_MIN_ROWS:
            return
        video_ids = {row[VIDEO] for row in chunk.rows}
        existing = sum(Video.objects.filter(pk__in=batch).count() for batch in _batches(video_ids))
        estimated_new = estimated_rows * (1 - existing / len(video_ids))
        catalogue = merge_postgres.catalogue_video_estimate()
        if estimated_new * 100 < settings.REPORTS_BULK_MIN_PERCENT * catalogue:
            return
        dropped = merge_postgres.bulk_indexes_drop(report_id=self.report.pk)
        self.bulk = bool(dropped)
        if dropped:
            logger.info(
                "Report %s: bulk mode (about %d new rows, %d videos in the catalogue): %d indexes dropped.",
                self.report.pk,
                estimated_new,
                catalogue,
                len(dropped),
            )

    def _feed(self, reader: ReportReader, submit: Callable[[Chunk], None]) -> None:
        checkpoint = self.checkpoint
        target_rows = settings.REPORTS_CHUNK_ROWS
        target_bytes = settings.REPORTS_CHUNK_BYTES
        # bytes_total and bytes_read count the same bytes: the file's (compressed for .gz and .zip).
        step_bytes = min(target_bytes, (self.report.bytes_total or 0) // PROGRESS_STEPS) or target_bytes
        check_all = self.owner_id is not None
        remote_fields = REMOTE_FIELDS
        ranks: dict[str, int] = {}
        rows: list[tuple] = []
        errors: list[RowError] = []
        raws: dict[int, list] = {}
        last_video = None
        last_line = checkpoint
        chunk_start = reader.bytes_read

        bulk_decided = False

        def flush():
            nonlocal rows, errors, raws, chunk_start, bulk_decided
            chunk = Chunk(rows, errors, last_line, reader.bytes_read)
            if raws:
                self._reject_out_of_scope(chunk, raws)
            if not bulk_decided:
                bulk_decided = True
                self._maybe_enter_bulk(chunk, reader)
            rows, errors, raws = [], [], {}
            chunk_start = reader.bytes_read
            submit(chunk)
            if not connection.in_atomic_block:
                reset_queries()  # with DEBUG on, Django keeps every statement: memory must stay flat

        seen = 0
        heartbeat = time.monotonic()
        for item in reader:
            seen += 1
            if not seen & 0xFFFF and time.monotonic() - heartbeat > HEARTBEAT_SECONDS:
                # Skipping a long committed prefix (or parsing rows that are all rejected) commits
                # nothing for a while: show the reaper this run is alive.
                heartbeat = time.monotonic()
                self._update(progress_at=timezone.now())
            line = item.line_number
            if line <= checkpoint:
                continue  # committed by an earlier run of this report
            if type(item) is RowError:
                errors.append(item)
                last_line = line
                if len(errors) >= target_rows:
                    flush()
                continue
            video_id = item.video_id
            if (
                video_id != last_video
                and rows
                and (
                    len(rows) >= target_rows
                    or (
                        # step_bytes <= target_bytes: one look at the position per row
                        (done := reader.bytes_read - chunk_start) >= step_bytes
                        and (len(rows) >= PROGRESS_MIN_CHUNK_ROWS or done >= target_bytes)
                    )
                )
            ):
                flush()
            claim = item.claim
            if claim is None:
                tail = (None, item.asset_id, None, None, None, item.custom_id, item.isrc)
            else:
                tail = (
                    claim["id"],
                    claim["asset_id"],
                    claim["content_type"],
                    claim["origin"],
                    claim["policy_label"],
                    claim["custom_id"],
                    claim["isrc"],
                )
            remote = item.remote
            label = remote.get("effective_policy")
            rank = ranks.get(label) if label else None
            if label and rank is None:
                rank = ranks[label] = policy_rank(label)
            rows.append(
                (
                    line,
                    video_id,
                    item.channel_id,
                    item.channel_title,
                    *map(remote.get, remote_fields),
                    *tail,
                    rank,
                )
            )
            if check_all or not item.channel_id:
                raws[line] = item.raw
            last_video = video_id
            last_line = line
        if rows or errors:
            flush()

    # -- scope checks (feeder side: they need the original cells of a rejected row) -------------

    def _reject_out_of_scope(self, chunk: Chunk, raws: dict[int, list]) -> None:
        owner_id = self.owner_id
        rows = chunk.rows
        unknown: set = set()
        if owner_id is not None:
            unknown = {
                row[CHANNEL] for row in rows if row[CHANNEL] and row[CHANNEL] not in self.channel_owners
            }
            if len(self.channel_owners) + len(unknown) > CHANNEL_CACHE_MAX:
                self.channel_owners.clear()
        lacking_channel = any(not row[CHANNEL] for row in rows)
        if lacking_channel and self._merger is not None:
            self._merger.drain()  # videos created by earlier chunks must be visible to the lookup
        looked_up = {row[VIDEO] for row in rows if owner_id is not None or not row[CHANNEL]}
        # Both merges write claims and assets by id alone: another owner's must never reach them.
        claim_ids = {row[CLAIM_ID] for row in rows if row[CLAIM_ID]} if owner_id is not None else set()
        asset_ids = {row[ASSET_ID] for row in rows if row[ASSET_ID]} if owner_id is not None else set()
        if self.engine == "sql":
            existing, found, foreign_claims, foreign_assets = merge_postgres.chunk_owners(
                owner_id=owner_id,
                video_ids=looked_up,
                channel_ids=unknown,
                claim_ids=claim_ids,
                asset_ids=asset_ids,
            )
        else:
            found = {}
            for batch in _batches(unknown):
                found.update(Channel.objects.filter(pk__in=batch).values_list("pk", "content_owner_id"))
            existing: dict[str, str | None] = {}
            for batch in _batches(looked_up):
                existing.update(
                    Video.objects.filter(pk__in=batch).values_list("pk", "channel__content_owner_id")
                )
            foreign_claims: set[str] = set()
            foreign_assets: set[str] = set()
            if owner_id is not None:
                foreign_claims = claim_ids_of_other_owners(owner_id=owner_id, claim_ids=claim_ids)
                foreign_assets = asset_ids_of_other_owners(owner_id=owner_id, asset_ids=asset_ids)
        for channel_id in unknown:
            self.channel_owners[channel_id] = found[channel_id] if channel_id in found else _NEW_CHANNEL
        kept = []
        for row in rows:
            reason = column = value = None
            video_id, channel_id = row[VIDEO], row[CHANNEL]
            if owner_id is not None:
                channel_owner = (
                    self.channel_owners.get(channel_id, _NEW_CHANNEL) if channel_id else _NEW_CHANNEL
                )
                # The texts below say "not ... of this report's content owner", true of an id that
                # exists under another owner and of one that does not exist: a preview must not tell
                # a user whether an id is taken elsewhere by the words of its row error.
                if channel_owner is not _NEW_CHANNEL and channel_owner != owner_id:
                    column, value = "channel_id", channel_id
                    reason = f"channel_id '{channel_id}' is not a channel of this report's content owner; not imported."
                elif not channel_id and (video_id not in existing or existing[video_id] != owner_id):
                    column, value = "video_id", video_id
                    reason = (
                        f"video_id '{video_id}' is not a video of this report's content owner, and the row "
                        "has no channel_id to create it on; not imported."
                    )
                elif video_id in existing and existing[video_id] != owner_id:
                    column, value = "video_id", video_id
                    reason = (
                        f"video_id '{video_id}' is not a video of this report's content owner; not imported."
                    )
                elif row[CLAIM_ID] in foreign_claims:
                    column, value = "claim_id", row[CLAIM_ID]
                    reason = (
                        f"claim_id '{value}' is not a claim of this report's content owner; not imported."
                    )
                elif row[ASSET_ID] in foreign_assets:
                    column, value = "asset_id", row[ASSET_ID]
                    reason = (
                        f"asset_id '{value}' is not an asset of this report's content owner; not imported."
                    )
            if reason is None and not channel_id and video_id not in existing:
                column, value = "channel_id", ""
                reason = (
                    f"video_id '{video_id}' is not in the catalogue yet, and the row has no channel_id "
                    "to create it on."
                )
            if reason is None:
                kept.append(row)
            else:
                chunk.errors.append(
                    RowError(row[0], column, excerpt(value), reason, raws.get(row[0], []), video_id)
                )
        if len(kept) != len(rows):
            chunk.rows = kept
            chunk.errors.sort(key=lambda error: error.line_number)

    # -- the merger side ---------------------------------------------------------------------

    def _commit_chunk(self, chunk: Chunk) -> None:
        for attempt in range(MERGE_ATTEMPTS):
            try:
                return self._commit_chunk_once(chunk)
            except (ConcurrentChange, IntegrityError):
                # Someone wrote one of the chunk's videos (or created one of its new rows) while it
                # was merged; the transaction rolled back whole, so merging again is safe.
                if attempt == MERGE_ATTEMPTS - 1:
                    raise
                logger.info(
                    "Report %s: chunk ending at line %s merged again.", self.report.pk, chunk.last_line
                )

    def _commit_chunk_once(self, chunk: Chunk) -> None:
        merge = MERGES[self.engine]
        with transaction.atomic():
            # A video with a rejected row in the chunk may be missing one of its claims.
            incomplete = {error.video_id for error in chunk.errors if error.video_id}
            result: ChunkResult = merge(chunk.rows, self.ctx, incomplete_videos=incomplete)
            ReportRowError.objects.bulk_create(
                [
                    ReportRowError(
                        report_id=self.report.pk,
                        line_number=error.line_number,
                        column=error.column[:255],
                        value_excerpt=error.value_excerpt[:255],
                        reason=error.reason,
                        raw=error.raw,
                    )
                    for error in chunk.errors
                ],
                batch_size=1000,
            )
            changes = {name: F(name) + getattr(result, name) for name in ChunkResult.COUNTERS}
            read = len(chunk.rows) + len(chunk.errors)
            changes.update(
                rows_read=F("rows_read") + read,
                rows_rejected=F("rows_rejected") + len(chunk.errors),
                checkpoint_line=chunk.last_line,
                bytes_processed=chunk.bytes_read,
                progress_at=timezone.now(),
            )
            if result.preview:
                changes["preview"] = self.preview + result.preview
            if not Report.objects.filter(pk=self.report.pk, run_token=self.token).update(**changes):
                raise Superseded(f"Report {self.report.pk} is being run by another worker.")
        if result.preview:
            self.preview += result.preview
            self.ctx.preview_taken += len(result.preview)
        if self.on_progress is not None:
            self.on_progress(
                Report.objects.filter(pk=self.report.pk)
                .values(*ChunkResult.COUNTERS, "rows_read", "rows_rejected", "bytes_processed", "bytes_total")
                .first()
            )

    def _update(self, **fields) -> None:
        if not Report.objects.filter(pk=self.report.pk, run_token=self.token).update(**fields):
            raise Superseded(f"Report {self.report.pk} is being run by another worker.")


def _batches(ids, size=LOOKUP_BATCH):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def new_run_token() -> str:
    return uuid.uuid4().hex
