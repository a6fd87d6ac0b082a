"""Writes for reports: create an import, queue it, run it, re-run it; edit-sheet imports.

report_ingest is what the background task and `manage.py import_report` call; the engine
(parsing, chunking, merging, kill safety) is reports.pipeline.
"""

import hashlib
import io
import logging
import os
import posixpath
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import ngettext

from core.audit.models import AuditEvent
from core.audit.services import audit_event_record
from reports import s3
from reports.counters import RUN_COUNTERS
from reports.events import ReportProgress, publish_processing_update, publish_reports_pull_finished
from reports.models import Report, ReportRowError, ReportsPullOutcome
from reports.parsing import ReportFileError, RowError, write_failed_rows
from reports.pipeline import ReportRun, SourceError, Superseded, new_run_token
from reports.selectors import report_owners_importable_by, report_s3_folders
from reports.sheets import SheetRow, parse_edit_sheet, write_edit_sheet
from videos.selection import SelectionTooLarge, selection_limit

logger = logging.getLogger(__name__)

HASH_CHUNK_BYTES = 1 << 20


class ReportStateError(Exception):
    """The report is not in a state that allows what was asked (e.g. re-running a running import)."""


# ---------------------------------------------------------------------------- creating imports


def _display_name(name: str) -> str:
    return get_valid_filename(posixpath.basename(name.replace("\\", "/"))) or "report.csv"


@transaction.atomic
def report_create_from_upload(*, uploaded_file, user, content_owner=None, dry_run: bool = False) -> Report:
    """Store an uploaded file (streamed by the storage, never read whole) and queue its import."""
    report = Report(
        source=Report.Source.UPLOAD,
        original_name=_display_name(uploaded_file.name)[:255],
        content_owner=content_owner,
        created_by=user,
        dry_run=dry_run,
        bytes_total=uploaded_file.size or 0,
    )
    report.file.save(report.original_name, uploaded_file, save=False)
    report.save()
    report_enqueue(report=report)
    return report


@transaction.atomic
def report_create_from_path(
    *, path: str, user=None, content_owner=None, dry_run: bool = False, enqueue: bool = True
) -> Report:
    """Copy a local file into the report storage (chunk by chunk) and create its import."""
    return _report_from_local_file(
        path=path,
        name=os.path.basename(path),
        enqueue=enqueue,
        source=Report.Source.UPLOAD,
        content_owner=content_owner,
        created_by=user,
        dry_run=dry_run,
    )


def _report_from_local_file(*, path: str, name: str, enqueue: bool, **fields) -> Report:
    name = _display_name(name)[:255]
    with open(path, "rb") as handle:
        report = Report(original_name=name, bytes_total=os.fstat(handle.fileno()).st_size, **fields)
        report.file.save(name, File(handle, name=name), save=False)
    report.save()
    if enqueue:
        report_enqueue(report=report)
    return report


@transaction.atomic
def report_create_from_s3(
    *,
    key: str,
    bucket: str | None = None,
    user=None,
    content_owner=None,
    dry_run: bool = False,
    enqueue: bool = True,
) -> Report:
    """Create the import of an S3 object; it is streamed from S3 when the import runs.

    `user` None is an operator (manage.py import_report); anyone else is held to their S3 folders
    (report_s3_key_check), whichever interface called.
    """
    bucket = bucket or settings.S3_BUCKET_NAME
    if not bucket:
        raise s3.S3Error("No S3 bucket is configured (set S3_BUCKET_NAME).")
    report_s3_key_check(key=key, bucket=bucket, user=user, content_owner=content_owner)
    described = s3.describe(bucket=bucket, key=key)
    report = Report.objects.create(
        source=Report.Source.S3,
        original_name=_display_name(described.name)[:255],
        s3_bucket=bucket,
        s3_key=key,
        s3_etag=described.etag,
        content_owner=content_owner,
        created_by=user,
        dry_run=dry_run,
        bytes_total=described.size,
    )
    if enqueue:
        report_enqueue(report=report)
    return report


def report_s3_key_check(*, key: str, bucket: str, user, content_owner) -> None:
    """Refuse (S3Error) a key the user may not import: the S3 folder-scope rule.

    Every key must be a plain key under S3_REPORTS_PREFIX. A user other than a superuser or an
    operator (None) imports only from S3_BUCKET_NAME, for a content owner they may import into,
    from that owner's folder (report_s3_folders).
    """
    s3.check_key(key)
    prefix = settings.S3_REPORTS_PREFIX
    if not key.startswith(prefix):
        raise s3.S3Error(f"{key!r} is not under {prefix!r}.")
    if user is None or user.is_superuser:
        return
    if bucket != settings.S3_BUCKET_NAME:
        raise s3.S3Error(f"Reports are imported from the S3 bucket {settings.S3_BUCKET_NAME!r} only.")
    if (
        content_owner is None
        or not report_owners_importable_by(user=user).filter(pk=content_owner.pk).exists()
    ):
        raise s3.S3Error("You may not import reports for that content owner.")
    folder = f"{prefix}{content_owner.pk}/"
    if folder not in report_s3_folders(user=user) or not key.startswith(folder):
        raise s3.S3Error(f"{key!r} is not in the folder of {content_owner} ({folder}).")


@transaction.atomic
def report_create_from_youtube(
    *,
    youtube_report_id: str,
    path: str,
    name: str,
    content_owner,
    enqueue: bool = True,
) -> Report:
    """Store a report downloaded from the Reporting API (copied chunk by chunk) and queue its import.

    youtube_report_id is unique on Report: a second import of the same report fails with
    IntegrityError instead of importing twice.
    """
    return _report_from_local_file(
        path=path,
        name=name,
        enqueue=enqueue,
        source=Report.Source.REPORTING_API,
        youtube_report_id=youtube_report_id,
        content_owner=content_owner,
    )


def report_enqueue(*, report: Report) -> Report:
    """Queue the import task. With the database backend this is part of the caller's transaction."""
    from reports.tasks import report_ingest_task

    result = report_ingest_task.enqueue(report.pk)
    Report.objects.filter(pk=report.pk).update(task_id=str(result.id))
    report.task_id = str(result.id)
    return report


# A re-run's audit entry: what the page showed before and what it shows once queued.
RERUN_AUDITED = ("status", "dry_run", "message", *RUN_COUNTERS)


def _start_over(report: Report) -> None:
    """Forget the last run's counts, sample rows and rejected rows (saved by the caller)."""
    ReportRowError.objects.filter(report=report).delete()
    for name in RUN_COUNTERS:
        setattr(report, name, 0)
    report.preview = []


def report_rerun(*, report: Report, dry_run: bool | None = None, user=None) -> Report:
    """Queue a finished report again: a failed one resumes after its checkpoint, others start over.

    Starting over clears the last run's counts at once: after *Import now* on a preview the page
    (and the live frame sent after commit) shows the import's zeros, not the preview's numbers,
    until the worker starts. `user` (who asked) gets an admin-log entry with old and new values.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status in (Report.Status.QUEUED, Report.Status.RUNNING):
            raise ReportStateError(f"Report #{report.pk} is already {report.get_status_display().lower()}.")
        before = {name: getattr(report, name) for name in RERUN_AUDITED}
        mode_changed = dry_run is not None and dry_run != report.dry_run
        if dry_run is not None:
            report.dry_run = dry_run
        if report.status == Report.Status.DONE or mode_changed or report.dry_run:
            _start_over(report)  # start over; re-importing is idempotent
        report.status = Report.Status.QUEUED
        report.message = ""
        report.finished_at = None
        report.save(update_fields=[*RERUN_AUDITED, "preview", "finished_at"])
        report_enqueue(report=report)
        changed = {
            name: {"old": old, "new": getattr(report, name)}
            for name, old in before.items()
            if old != getattr(report, name)
        }
        if user is not None:
            LogEntry.objects.log_actions(
                user_id=user.pk,
                queryset=[report],
                action_flag=CHANGE,
                change_message=[
                    {
                        "changed": {
                            "fields": [str(Report._meta.get_field(name).verbose_name) for name in changed]
                        }
                    },
                    {"values": changed},
                ],
                single_object=True,
            )
        publish_processing_update(report)
    return report


# ---------------------------------------------------------------------------- running


def _claim_run(report_id: int) -> Report | None:
    """Mark the report running under a fresh token; None when it is not queued."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status != Report.Status.QUEUED:
            return None
        now = timezone.now()
        resume = report.checkpoint_line > 0 and not report.dry_run
        if not resume:
            _start_over(report)
            report.started_at = now
            report.message = ""
        else:
            report.message = f"Resumed after line {report.checkpoint_line:,} (attempt {report.attempts + 1})."
        report.status = Report.Status.RUNNING
        report.run_token = new_run_token()
        report.attempts += 1
        report.progress_at = now
        report.finished_at = None
        report.save()
        return report


def _open_source(report: Report):
    if report.source == Report.Source.S3:
        return s3.S3ObjectReader(
            bucket=report.s3_bucket or settings.S3_BUCKET_NAME or "",
            key=report.s3_key,
            size=report.bytes_total or None,
            etag=report.s3_etag,
        )
    if not report.file:
        raise SourceError("The report has no stored file to read.")
    try:
        return report.file.storage.open(report.file.name, "rb")
    except OSError as exc:
        raise SourceError(f"The stored file {report.file.name!r} cannot be opened ({exc}).") from exc


def _sha256_of_stored_file(report: Report) -> str:
    if report.source == Report.Source.S3 or not report.file:
        return ""  # hashing an S3 zip would mean downloading it a second time
    digest = hashlib.sha256()
    with report.file.storage.open(report.file.name, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number:,} {ngettext(singular, plural, number)}"


def report_summary(report: Report) -> str:
    """One line: what the import read and did (or, for a preview, would do)."""
    would = "would be " if report.dry_run else ""
    return (
        f"{_count(report.rows_read, 'row', 'rows')} read: {report.rows_imported:,} {would}imported, "
        f"{report.rows_unchanged:,} unchanged, {report.rows_rejected:,} rejected; "
        f"videos {report.videos_created:,} {would}created, {report.videos_updated:,} {would}updated, "
        f"{report.videos_unchanged:,} unchanged; {_count(report.claims_upserted, 'claim', 'claims')} "
        f"{would}upserted, {_count(report.claims_deactivated, 'claim', 'claims')} {would}deactivated; "
        f"{_count(report.assets_created, 'asset', 'assets')} and "
        f"{_count(report.channels_created, 'channel', 'channels')} {would}created."
    )


def _final_message(report: Report, sha256: str) -> str:
    lines = []
    if report.dry_run:
        lines.append("Preview only: nothing was written to the catalogue.")
    if report.rows_read and not report.rows_imported and not report.channels_created:
        lines.append(
            "Nothing would change: the catalogue already matches this report."
            if report.dry_run
            else "Nothing changed: the catalogue already matches this report."
        )
    lines.append(report_summary(report))
    if report.unknown_columns:
        lines.append("Ignored unknown columns: " + ", ".join(report.unknown_columns[:30]) + ".")
    if sha256:
        earlier = (
            Report.objects.filter(sha256=sha256, status=Report.Status.DONE, dry_run=False)
            .exclude(pk=report.pk)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if earlier:
            lines.append(f"Same file as report #{earlier}.")
    return " ".join(lines)


def report_ingest(*, report_id: int, on_progress: Callable[[dict], None] | None = None) -> Report | None:
    """Run (or resume) the import of a queued report; returns it finished, or None if not queued.

    A file that cannot be read at all (or is refused: size limits, bombs) fails the report with a
    message for the user. Bad rows never fail it: each becomes a ReportRowError.
    """
    report = _claim_run(report_id)
    if report is None:
        logger.info("Report %s is not queued; nothing to run.", report_id)
        return None
    # Live frames (throttled) and the caller's on_progress get the same numbers.
    live = ReportProgress(report, then=on_progress)
    live.start()
    run = ReportRun(report, on_progress=live.update)
    started = time.monotonic()
    status, message, sha256 = Report.Status.DONE, "", ""
    try:
        stream = _open_source(report)
        try:
            sha256 = run.execute(
                stream, name=report.original_name or posixpath.basename(report.s3_key) or "report.csv"
            )
        finally:
            stream.close()
        if not sha256 and report.source != Report.Source.S3:
            sha256 = _sha256_of_stored_file(report)
    except Superseded:
        logger.warning("Report %s: another run took over; this one stops.", report_id)
        return Report.objects.get(pk=report_id)
    except (ReportFileError, SourceError, s3.S3Error) as exc:
        status, message = Report.Status.FAILED, str(exc)
    except Exception as exc:
        failed = _finish(
            report,
            Report.Status.FAILED,
            message=f"The import stopped on an internal error ({type(exc).__name__}: {exc}). "
            "Re-run it: it resumes after the last committed line.",
        )
        live.finish(failed)
        raise
    report = _finish(report, status, message=message, sha256=sha256)
    live.finish(report)
    logger.info(
        "Report %s import %s in %d ms: %s",
        report.pk,
        report.status,
        (time.monotonic() - started) * 1000,
        report.message,
    )
    return report


def _finish(report: Report, status: str, *, message: str, sha256: str = "") -> Report:
    report.refresh_from_db()
    if report.run_token and status == Report.Status.FAILED and report.rows_read:
        message = (
            f"{message} Rows up to line {report.checkpoint_line:,} were processed: {report_summary(report)}"
        )
    fields = {"status": status, "finished_at": timezone.now(), "progress_at": timezone.now()}
    if sha256:
        fields["sha256"] = sha256
        report.sha256 = sha256
    if status == Report.Status.DONE:
        message = _final_message(report, sha256)
    fields["message"] = message
    with transaction.atomic():
        finished = Report.objects.filter(pk=report.pk, run_token=report.run_token).update(**fields)
        report.refresh_from_db()
        if finished:
            _audit_finished(report)
    return report


# Who the audit log names for an import's end: the worker runs it; acting_user is who asked for it.
IMPORT_ACTOR = "report import"


def _audit_finished(report: Report) -> None:
    """The "report.imported" audit row: how the run ended and its counts."""
    audit_event_record(
        event_type=AuditEvent.Type.REPORT_IMPORTED,
        acting_user=report.created_by,
        actor_label=IMPORT_ACTOR,
        content_owner_id=report.content_owner_id,
        object_type="report",
        object_id=report.pk,
        object_repr=report.original_name or report.s3_key or f"Report #{report.pk}",
        new={"status": report.status, **{name: getattr(report, name) for name in RUN_COUNTERS}},
        extra={"source": report.source, "dry_run": report.dry_run, "message": report.message[:2000]},
    )


# ---------------------------------------------------------------------------- Reporting API pulls

# Who the audit log names for a pull's outcome: the task (a button or the scheduler queued it) or
# the command.
REPORTS_PULL_ACTOR = "Reporting API pull"


def reports_pull_outcome_record(
    *, owner_id: str, summary: str, failed: bool, actor_label: str = REPORTS_PULL_ACTOR
) -> ReportsPullOutcome:
    """Keep what a pull found for one owner (its page shows it), audit it, tell the owner's members."""
    with transaction.atomic():
        old = ReportsPullOutcome.objects.select_for_update().filter(content_owner_id=owner_id).first()
        outcome, _ = ReportsPullOutcome.objects.update_or_create(
            content_owner_id=owner_id,
            defaults={"finished_at": timezone.now(), "summary": summary, "failed": failed},
        )
        audit_event_record(
            event_type=AuditEvent.Type.REPORTS_PULLED,
            actor_label=actor_label,
            content_owner_id=owner_id,
            object_type="content_owner",
            object_id=owner_id,
            object_repr=owner_id,
            old=None if old is None else {"summary": old.summary, "failed": old.failed},
            new={"summary": summary, "failed": failed},
            extra={"finished_at": outcome.finished_at.isoformat()},
        )
        publish_reports_pull_finished(outcome)
    return outcome


# ---------------------------------------------------------------------------- failed rows


def report_failed_rows_csv(*, report: Report, batch: int = 2000) -> Iterator[str]:
    """The failed-rows CSV of a report, as text chunks for a streamed download."""
    header = list(report.header or [])
    head = io.StringIO()
    write_failed_rows([], header, head)
    head_text = head.getvalue()
    yield "\ufeff" + head_text  # a BOM so Excel reads UTF-8
    pending: list[RowError] = []

    def flush():
        buffer = io.StringIO()
        write_failed_rows(pending, header, buffer)
        pending.clear()
        return buffer.getvalue()[len(head_text) :]

    for error in report.row_errors.order_by("line_number", "id").iterator(chunk_size=batch):
        pending.append(
            RowError(
                error.line_number, error.column, error.value_excerpt, error.reason, list(error.raw or [])
            )
        )
        if len(pending) >= batch:
            yield flush()
    if pending:
        yield flush()


# ---------------------------------------------------------------------------- edit sheets


def edit_sheet_rows(videos: Iterable, *, batch: int = 1000) -> Iterator[str]:
    """The edit sheet of these videos, as text chunks for a streamed download (formula-escaped)."""
    head = io.StringIO()
    write_edit_sheet([], head)
    head_text = head.getvalue()
    yield "\ufeff" + head_text
    pending = []

    def flush():
        buffer = io.StringIO()
        write_edit_sheet(pending, buffer)
        pending.clear()
        return buffer.getvalue()[len(head_text) :]

    for video in videos:
        pending.append(video)
        if len(pending) >= batch:
            yield flush()
    if pending:
        yield flush()


# An edit sheet is read in batches: one query per batch finds the videos, and memory holds one
# batch, never the whole sheet. A batch ends at this many rows or this many characters of cells.
EDIT_SHEET_BATCH_ROWS = 500
EDIT_SHEET_BATCH_CHARS = 4 * 2**20


@dataclass
class SheetChange:
    line_number: int
    video_id: str
    title: str
    changes: dict  # field -> (old, new)
    violations: list = field(default_factory=list)


@dataclass
class SheetPreview:
    """What a sheet would do: counts over every row, and the first REPORTS_PREVIEW_VIDEOS of each."""

    changes: list[SheetChange]  # the first valid rows that change something
    errors: list[RowError]  # the first parse errors, unknown/foreign videos, limit violations (no raw cells)
    changing: int
    error_count: int
    unchanged: int
    unknown_columns: list[str]

    @property
    def rows_read(self) -> int:
        return self.changing + self.error_count + self.unchanged


def _open_edit_sheet(stream, name: str):
    from reports.pipeline import report_limits
    from videos.validation import TEXT_LIMITS

    # A title or description cell longer than the field can hold (in characters, which never
    # exceed bytes) is a row error at once; every other cell is capped by REPORTS_MAX_FIELD_CHARS.
    caps = {column: limit for column, (limit, _unit) in TEXT_LIMITS.items()}
    return parse_edit_sheet(stream, name=name, limits=report_limits(), max_cell_chars=caps)


def _without_cells(error: RowError) -> RowError:
    return RowError(error.line_number, error.column, error.value_excerpt, error.reason, [], error.video_id)


def _edit_sheet_batches(*, sheet, user) -> Iterator[list[SheetChange | RowError | None]]:
    """The sheet's rows checked batch by batch, in line order: a SheetChange, a RowError, or None
    (already as the sheet says). A video the user may not edit is reported exactly like one that
    does not exist: "not found"."""
    limit = selection_limit()
    batch: list[SheetRow | RowError] = []
    chars = rows_read = 0
    try:
        for item in sheet:
            rows_read += 1
            if rows_read > limit:
                too_many = SelectionTooLarge(
                    count=None, limit=limit, noun="rows", subject="The sheet has ", fix="Split the sheet."
                )
                raise ReportFileError(str(too_many))
            batch.append(item)
            chars += sum(len(cell) for cell in item.raw)
            if len(batch) >= EDIT_SHEET_BATCH_ROWS or chars >= EDIT_SHEET_BATCH_CHARS:
                yield _edit_sheet_check_batch(batch, user=user)
                batch, chars = [], 0
        if batch:
            yield _edit_sheet_check_batch(batch, user=user)
    finally:
        sheet.close()


def _edit_sheet_check_batch(batch: list, *, user) -> list[SheetChange | RowError | None]:
    from videos.selectors import videos_editable_by
    from videos.services import video_normalise_changes, video_validate_changes

    ids = [item.video_id for item in batch if isinstance(item, SheetRow)]
    editable = videos_editable_by(user=user).in_bulk(ids) if ids else {}
    checked: list[SheetChange | RowError | None] = []
    for row in batch:
        if isinstance(row, RowError):
            checked.append(row)
            continue
        video = editable.get(row.video_id)
        if video is None:
            checked.append(
                RowError(
                    row.line_number,
                    "video_id",
                    row.video_id,
                    f"video_id '{row.video_id}' was not found.",
                    row.raw,
                    row.video_id,
                )
            )
            continue
        try:
            normalised = video_normalise_changes(row.changes)
        except Exception as exc:  # VideoValidationError for a column that is not editable
            checked.append(RowError(row.line_number, "", "", str(exc), row.raw, row.video_id))
            continue
        differing = {name: value for name, value in normalised.items() if getattr(video, name) != value}
        if not differing:
            checked.append(None)
            continue
        violations = video_validate_changes(video=video, changes=differing)
        if violations:
            checked.extend(
                RowError(
                    row.line_number,
                    violation.field,
                    str(differing.get(violation.field, ""))[:100],
                    violation.message,
                    row.raw,
                    row.video_id,
                )
                for violation in violations
            )
            continue
        checked.append(
            SheetChange(
                line_number=row.line_number,
                video_id=row.video_id,
                title=video.title,
                changes={name: (getattr(video, name), value) for name, value in differing.items()},
            )
        )
    return checked


def edit_sheet_preview(*, stream, name: str, user) -> SheetPreview:
    """Read an edit sheet and say, per video, what would change and which rows cannot be applied.

    Streams: counts cover every row, but only the first REPORTS_PREVIEW_VIDEOS changes and row
    problems are kept (problems without their cells), so memory does not grow with the file.
    """
    sheet = _open_edit_sheet(stream, name)
    keep = settings.REPORTS_PREVIEW_VIDEOS
    changes: list[SheetChange] = []
    errors: list[RowError] = []
    changing = error_count = unchanged = 0
    for batch in _edit_sheet_batches(sheet=sheet, user=user):
        for item in batch:
            if item is None:
                unchanged += 1
            elif isinstance(item, RowError):
                error_count += 1
                if len(errors) < keep:
                    errors.append(_without_cells(item))
            else:
                changing += 1
                if len(changes) < keep:
                    changes.append(item)
    return SheetPreview(
        changes=changes,
        errors=errors,
        changing=changing,
        error_count=error_count,
        unchanged=unchanged,
        unknown_columns=list(sheet.unknown_columns),
    )


@dataclass
class SheetResult:
    updated: int
    unchanged: int
    failed: list[RowError]  # the first REPORTS_PREVIEW_VIDEOS rows that could not be applied (no cells)
    failed_count: int


def edit_sheet_apply(*, stream, name: str, user) -> SheetResult:
    """Re-read the sheet, check it again (the catalogue may have moved) and record the edits as
    pending changes in the user's drafts through syncs.changesets.edits.video_edit_in_changeset:
    one audit entry per video.

    Streams batch by batch in one transaction: a sheet found too long halfway saves nothing.
    """
    from syncs.changesets.edits import video_edit_in_changeset
    from videos.models import Video
    from videos.services import VideoValidationError

    sheet = _open_edit_sheet(stream, name)
    keep = settings.REPORTS_PREVIEW_VIDEOS
    updated = unchanged = failed_count = 0
    failed: list[RowError] = []

    def fail(error: RowError) -> None:
        nonlocal failed_count
        failed_count += 1
        if len(failed) < keep:
            failed.append(_without_cells(error))

    with transaction.atomic():
        for batch in _edit_sheet_batches(sheet=sheet, user=user):
            changes = [item for item in batch if isinstance(item, SheetChange)]
            # Each edit reads its video again under the row lock (video_edit_in_changeset).
            videos = Video.objects.in_bulk([change.video_id for change in changes])
            for item in batch:
                if item is None:
                    unchanged += 1
                elif isinstance(item, RowError):
                    fail(item)
                else:
                    try:
                        with transaction.atomic():
                            changed = video_edit_in_changeset(
                                video=videos[item.video_id],
                                changes={name: new for name, (_, new) in item.changes.items()},
                                user=user,
                            )
                    except VideoValidationError as exc:
                        fail(RowError(item.line_number, "", "", str(exc), [], item.video_id))
                        continue
                    updated += bool(changed)
    return SheetResult(updated=updated, unchanged=unchanged, failed=failed, failed_count=failed_count)
