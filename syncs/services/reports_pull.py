"""Pull the "Daily video metadata" reports from the YouTube Reporting API and import them.

For each connected content owner: jobs.list(includeSystemManaged=True) → the jobs whose
reportTypeId starts with content_owner_video_metadata_ → jobs.reports.list (only reports created
after the newest one already imported or skipped) → download the newest new report, streamed to a
temporary file and then into the report storage → a Report (source Reporting API,
youtube_report_id set) → the normal import task.

Exactly once: every report id gets one YouTubeReportFile row. A run claims a report by inserting
that row (unique report id) or by locking it (select_for_update) before downloading, so a report
already imported, skipped or being downloaded by another run is never downloaded again; a claim
whose run died (no progress for REPORT_PULL_STALE_SECONDS) may be taken over.

Only the newest daily report matters for the inventory: by default the newest new report is
imported and the older new ones are recorded as skipped, with the reason, and get no Report row
(REPORT_PULL_ONLY_NEWEST=false imports every one, oldest first).
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from channels_app.models import ContentOwner
from syncs.models import YouTubeCredential, YouTubeReportFile
from syncs.youtube.errors import (
    NeedsReauthorisation,
    NotConnected,
    PermanentError,
    QuotaExhausted,
    YouTubeError,
)
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.reporting import (
    VIDEO_METADATA_PREFIX,
    parse_api_time,
    reporting_download,
    reporting_jobs,
    reporting_reports,
)
from ytcms_site.tasks_reaper import StaleTaskHandler

logger = logging.getLogger("ytcms.youtube.reports")

Progress = Callable[[str], None]
# A download's heartbeat is written at most this often (it tells other runs the claim is alive).
HEARTBEAT_BYTES = 16 << 20
PULL_TASK_PATH = "syncs.tasks.reports_pull_from_youtube"


def _quiet(line: str) -> None:
    pass


@dataclass
class OwnerPull:
    owner_id: str
    jobs: list[str] = field(default_factory=list)  # the video metadata jobs' report types
    listed: int = 0  # reports listed since the last seen one
    imported: list[tuple[str, int]] = field(default_factory=list)  # (report id, Report pk)
    would_import: list[str] = field(default_factory=list)  # dry run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (report id, why)
    busy: list[str] = field(default_factory=list)  # claimed by another run right now
    failed: list[tuple[str, str]] = field(default_factory=list)  # (report id, message)
    error: str = ""  # the owner could not be pulled at all
    waiting_until: datetime | None = None  # quota: try again after this

    def summary(self, *, dry_run: bool = False) -> str:
        if self.error:
            return f"{self.owner_id}: {self.error}"
        parts = [f"{self.listed} new report{'s' if self.listed != 1 else ''} listed"]
        if dry_run:
            parts.append(f"would import {', '.join(self.would_import) or 'nothing'}")
        else:
            imported = ", ".join(f"{rid} as report #{pk}" for rid, pk in self.imported)
            parts.append(f"imported {imported or 'nothing'}")
        if self.skipped:
            parts.append(f"{'would skip' if dry_run else 'skipped'} {len(self.skipped)} older")
        if self.busy:
            parts.append(f"{len(self.busy)} being downloaded by another run")
        for report_id, message in self.failed:
            parts.append(f"{report_id} failed: {message}")
        if not self.jobs:
            parts.append("no content_owner_video_metadata_* job at YouTube")
        return f"{self.owner_id}: " + "; ".join(parts) + "."


@dataclass
class ReportsPullResult:
    owners: list[OwnerPull] = field(default_factory=list)
    dry_run: bool = False
    calls: int = 0
    quota_units: int = 0

    @property
    def imported(self) -> list[tuple[str, int]]:
        return [item for owner in self.owners for item in owner.imported]

    @property
    def ok(self) -> bool:
        return not any(owner.error or owner.failed for owner in self.owners)

    def summary(self) -> str:
        if not self.owners:
            return "No content owner is connected to YouTube: nothing to pull."
        lines = [owner.summary(dry_run=self.dry_run) for owner in self.owners]
        lines.append(
            f"{'Dry run: ' if self.dry_run else ''}{len(self.imported)} reports imported for "
            f"{len(self.owners)} content owners in {self.calls} calls, {self.quota_units} quota units."
        )
        return "\n".join(lines)


def _owners(owner_id: str | None) -> list[ContentOwner]:
    if owner_id is None:
        connected = YouTubeCredential.objects.values_list("owner_id", flat=True)
        return list(ContentOwner.objects.filter(pk__in=connected).order_by("pk"))
    owner = ContentOwner.objects.filter(pk=owner_id).first()
    if owner is None:
        raise ContentOwner.DoesNotExist(f"No content owner {owner_id!r} in ytcms.")
    return [owner]


def _cursor(owner: ContentOwner, job_id: str) -> datetime | None:
    """createdAfter for the next listing: the newest report already imported or skipped.

    Downloading and failed reports do not move it, so a killed or failed download is listed again.
    """
    return YouTubeReportFile.objects.filter(
        content_owner=owner,
        job_id=job_id,
        state__in=(YouTubeReportFile.State.IMPORTED, YouTubeReportFile.State.SKIPPED),
    ).aggregate(newest=Max("create_time"))["newest"]


def _finished_ids(report_ids: list[str]) -> set[str]:
    """Reports done with: imported, skipped, or failed too often. (A report another run is
    downloading stays a candidate: the claim says it is busy, and older ones are still skipped.)"""
    return set(
        YouTubeReportFile.objects.filter(youtube_report_id__in=report_ids)
        .filter(
            Q(state__in=(YouTubeReportFile.State.IMPORTED, YouTubeReportFile.State.SKIPPED))
            | Q(state=YouTubeReportFile.State.FAILED, attempts__gte=settings.REPORT_PULL_MAX_ATTEMPTS)
        )
        .values_list("youtube_report_id", flat=True)
    )


def _created(report: dict) -> datetime:
    return parse_api_time(report.get("createTime")) or datetime.min.replace(tzinfo=UTC)


def _ledger_fields(owner: ContentOwner, job: dict, report: dict) -> dict:
    return {
        "content_owner": owner,
        "job_id": job["id"],
        "report_type_id": job.get("reportTypeId", ""),
        "start_time": parse_api_time(report.get("startTime")),
        "end_time": parse_api_time(report.get("endTime")),
        "create_time": parse_api_time(report.get("createTime")) or timezone.now(),
    }


def _claim(owner: ContentOwner, job: dict, report: dict, *, token: str) -> YouTubeReportFile | None:
    """Take the report for this run, or None when it is imported, skipped or another run's."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.REPORT_PULL_STALE_SECONDS)
    with transaction.atomic():
        row = YouTubeReportFile.objects.select_for_update().filter(youtube_report_id=report["id"]).first()
        if row is None:
            try:
                with transaction.atomic():
                    return YouTubeReportFile.objects.create(
                        youtube_report_id=report["id"],
                        state=YouTubeReportFile.State.DOWNLOADING,
                        claim_token=token,
                        heartbeat_at=now,
                        attempts=1,
                        **_ledger_fields(owner, job, report),
                    )
            except IntegrityError:
                return None  # another run inserted it first; it is theirs
        if row.state in (YouTubeReportFile.State.IMPORTED, YouTubeReportFile.State.SKIPPED):
            return None
        if (
            row.state == YouTubeReportFile.State.DOWNLOADING
            and row.heartbeat_at
            and row.heartbeat_at >= stale_before
        ):
            return None
        if row.state == YouTubeReportFile.State.FAILED and row.attempts >= settings.REPORT_PULL_MAX_ATTEMPTS:
            return None
        row.state = YouTubeReportFile.State.DOWNLOADING
        row.claim_token = token
        row.heartbeat_at = now
        row.attempts += 1
        row.reason = ""
        row.save(update_fields=["state", "claim_token", "heartbeat_at", "attempts", "reason", "updated_at"])
        return row


def _skip(owner: ContentOwner, job: dict, report: dict, *, why: str, stale_before: datetime) -> bool:
    """Record an older report as skipped; False when another run holds it or it is done."""
    fields = _ledger_fields(owner, job, report)
    with transaction.atomic():
        row = YouTubeReportFile.objects.select_for_update().filter(youtube_report_id=report["id"]).first()
        if row is None:
            try:
                with transaction.atomic():
                    YouTubeReportFile.objects.create(
                        youtube_report_id=report["id"],
                        state=YouTubeReportFile.State.SKIPPED,
                        reason=why,
                        **fields,
                    )
                return True
            except IntegrityError:
                return False
        if row.state in (YouTubeReportFile.State.IMPORTED, YouTubeReportFile.State.SKIPPED):
            return False
        if (
            row.state == YouTubeReportFile.State.DOWNLOADING
            and row.heartbeat_at
            and row.heartbeat_at >= stale_before
        ):
            return False
        row.state, row.reason, row.claim_token = YouTubeReportFile.State.SKIPPED, why, ""
        row.save(update_fields=["state", "reason", "claim_token", "updated_at"])
        return True


def _file_name(owner: ContentOwner, job: dict, report: dict, *, gzip: bool) -> str:
    start = parse_api_time(report.get("startTime"))
    day = f"{start:%Y%m%d}_" if start else ""
    return f"{job.get('reportTypeId', 'report')}_{owner.pk}_{day}{report['id']}.csv" + (".gz" if gzip else "")


def _import_one(
    session: YouTubeSession,
    owner: ContentOwner,
    job: dict,
    report: dict,
    row: YouTubeReportFile,
    *,
    enqueue: bool,
) -> int | None:
    """Download the claimed report and create its Report; returns the Report pk (None: claim lost)."""
    from reports.services import report_create_from_youtube

    token = row.claim_token
    last_beat = [0]

    def heartbeat(size: int) -> None:
        if size - last_beat[0] >= HEARTBEAT_BYTES:
            last_beat[0] = size
            YouTubeReportFile.objects.filter(pk=row.pk, claim_token=token).update(
                heartbeat_at=timezone.now(), bytes_downloaded=size
            )

    handle = tempfile.NamedTemporaryFile(prefix="ytcms-youtube-report-", suffix=".part", delete=False)
    try:
        with handle:
            download = reporting_download(session, report=report, destination=handle, on_chunk=heartbeat)
        with transaction.atomic():
            current = YouTubeReportFile.objects.select_for_update().get(pk=row.pk)
            if current.claim_token != token or current.state != YouTubeReportFile.State.DOWNLOADING:
                logger.warning(
                    "Report %s: another run took the claim over; this download is dropped.", report["id"]
                )
                return None
            created = report_create_from_youtube(
                youtube_report_id=report["id"],
                path=handle.name,
                name=_file_name(owner, job, report, gzip=download.gzip),
                content_owner=owner,
                enqueue=enqueue,
            )
            current.state = YouTubeReportFile.State.IMPORTED
            current.report = created
            current.bytes_downloaded = download.bytes
            current.heartbeat_at = timezone.now()
            current.save(update_fields=["state", "report", "bytes_downloaded", "heartbeat_at", "updated_at"])
        return created.pk
    finally:
        try:
            os.unlink(handle.name)
        except FileNotFoundError:
            pass


def _fail(row: YouTubeReportFile, message: str) -> None:
    YouTubeReportFile.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
        state=YouTubeReportFile.State.FAILED, reason=message[:2000], claim_token="", updated_at=timezone.now()
    )


def _owner_error(owner: ContentOwner, error: YouTubeError) -> str:
    """What a person should read when an owner's reports could not be pulled."""
    if isinstance(error, NotConnected):
        return f"not connected to YouTube: connect it on its admin page or with manage.py youtube_connect --owner {owner.pk}."
    if isinstance(error, NeedsReauthorisation):
        return (
            "needs re-authorisation: Google says the grant was revoked or expired (invalid_grant). "
            "Reconnect the content owner on its admin page; its reports wait until then."
        )
    if isinstance(error, QuotaExhausted):
        return f"waits for the quota: {error.message}"
    if isinstance(error, PermanentError) and error.status == 403:
        return (
            f"the Reporting API refused access (403 {error.reason}): the connected account cannot read "
            f"content owner {owner.pk}'s reports. Reconnect with a CMS user of this owner and grant the "
            "yt-analytics scopes."
        )
    return error.message


def _pull_owner(
    owner: ContentOwner,
    *,
    dry_run: bool,
    only_newest: bool,
    enqueue: bool,
    progress: Progress,
    result: ReportsPullResult,
) -> OwnerPull:
    pulled = OwnerPull(owner_id=owner.pk)
    try:
        session = YouTubeSession.for_owner(owner)
    except YouTubeError as error:
        pulled.error = _owner_error(owner, error)
        return pulled
    token = secrets.token_hex(8)
    try:
        jobs = [
            j for j in reporting_jobs(session) if j.get("reportTypeId", "").startswith(VIDEO_METADATA_PREFIX)
        ]
        pulled.jobs = [j["reportTypeId"] for j in jobs]
        listed: list[tuple[dict, dict]] = []
        for job in jobs:
            for report in reporting_reports(
                session, job_id=job["id"], created_after=_cursor(owner, job["id"])
            ):
                listed.append((job, report))
    except YouTubeError as error:
        result.calls += session.calls
        result.quota_units += session.units_spent
        pulled.error = _owner_error(owner, error)
        if isinstance(error, QuotaExhausted):
            pulled.waiting_until = error.reset_at
        return pulled
    stale_before = timezone.now() - timedelta(seconds=settings.REPORT_PULL_STALE_SECONDS)
    finished = _finished_ids([report["id"] for _, report in listed])
    new = [(job, report) for job, report in listed if report["id"] not in finished]
    new.sort(key=lambda pair: (_created(pair[1]), pair[1]["id"]), reverse=True)
    pulled.listed = len(new)
    if only_newest:
        targets, older = new[:1], new[1:]
    else:
        targets, older = list(reversed(new)), []
    for job, report in older:
        newest = targets[0][1]
        why = (
            f"Superseded by report {newest['id']} (created {newest.get('createTime')}): only the newest "
            "daily video metadata report is imported, as it lists the whole inventory."
        )
        if dry_run or _skip(owner, job, report, why=why, stale_before=stale_before):
            pulled.skipped.append((report["id"], why))
    for job, report in targets:
        progress(
            f"{owner.pk}: report {report['id']} ({job['reportTypeId']}, created {report.get('createTime')})"
        )
        if dry_run:
            pulled.would_import.append(report["id"])
            continue
        row = _claim(owner, job, report, token=token)
        if row is None:
            pulled.busy.append(report["id"])
            continue
        try:
            report_pk = _import_one(session, owner, job, report, row, enqueue=enqueue)
        except YouTubeError as error:
            message = _owner_error(owner, error)
            _fail(row, message)
            pulled.failed.append((report["id"], message))
            if isinstance(error, (QuotaExhausted, NeedsReauthorisation)):
                pulled.waiting_until = getattr(error, "reset_at", None)
                break
            continue
        except Exception as error:  # storage or database trouble: recorded, the other reports go on
            logger.exception("Report %s of %s could not be stored", report["id"], owner.pk)
            message = f"could not be stored ({type(error).__name__}: {error})"
            _fail(row, message)
            pulled.failed.append((report["id"], message))
            continue
        if report_pk is None:
            pulled.busy.append(report["id"])
        else:
            pulled.imported.append((report["id"], report_pk))
    result.calls += session.calls
    result.quota_units += session.units_spent
    return pulled


def youtube_reports_pull(
    *,
    owner_id: str | None = None,
    dry_run: bool = False,
    only_newest: bool | None = None,
    enqueue: bool = True,
    progress: Progress = _quiet,
) -> ReportsPullResult:
    """Pull new video metadata reports for one content owner, or for every connected one.

    dry_run lists and says what would be imported or skipped, and writes nothing. Call outside
    transaction.atomic (the gateway's quota ledger commits on its own).
    """
    only_newest = settings.REPORT_PULL_ONLY_NEWEST if only_newest is None else only_newest
    result = ReportsPullResult(dry_run=dry_run)
    for owner in _owners(owner_id):
        pulled = _pull_owner(
            owner, dry_run=dry_run, only_newest=only_newest, enqueue=enqueue, progress=progress, result=result
        )
        logger.info("Reporting API pull %s", pulled.summary(dry_run=dry_run))
        result.owners.append(pulled)
    return result


class ReportsPullHandler(StaleTaskHandler):
    """Tells the stale-task reaper a long pull is alive while one of its downloads shows progress."""

    def is_alive(self, result, *, threshold: datetime) -> bool:
        return YouTubeReportFile.objects.filter(
            state=YouTubeReportFile.State.DOWNLOADING, heartbeat_at__gte=threshold
        ).exists()
