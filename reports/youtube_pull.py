"""Pull the "Daily video metadata" reports from the YouTube Reporting API and import them.

How a report arrives from YouTube (an upload and an S3 import are the other ways), so it lives in
reports; it talks to Google only through the door in syncs/youtube/ (credentials, quota, HTTP).

For each connected content owner: jobs.list(includeSystemManaged=True) → the jobs whose
reportTypeId starts with content_owner_video_metadata_ → jobs.reports.list (only reports created
after the newest one that can no longer matter, see _cursor) → download the newest new report,
streamed to a temporary file and then into the report storage → a Report (source Reporting API,
youtube_report_id set) → the normal import task.

Exactly once: every report id gets one YouTubeReportFile row. A run claims a report by inserting
that row (unique report id) or by locking it (select_for_update) before downloading, so a report
already imported, skipped or being downloaded by another run is never downloaded again; a claim
whose run died (no progress for REPORT_PULL_STALE_SECONDS) may be taken over.

Only the newest daily report matters for the inventory: by default the newest new report is
imported and the older new ones are recorded as skipped, with the reason, and get no Report row
(REPORT_PULL_ONLY_NEWEST=false imports every one, oldest first).

Fallback: a newest report that fails REPORT_PULL_MAX_ATTEMPTS times is never tried again, and the
older ones were skipped because of it, so without a fallback the catalogue would stay on an old
inventory until YouTube publishes the next daily report. The pull therefore falls back to the next
newest report that is not imported and not failed for good, reviving one that was skipped
(state SKIPPED: passed over only because a newer one was listed) unless a report as new or newer
has been imported since. The fallback happens in the same run, right after the final failure:
the scheduler pulls once a day, so waiting for the next run would leave the catalogue stale another
day for no gain, and the previous report is already listed. A run also falls back when it finds the
newest report already failed for good (a run killed after the final failure, or a final failure on
quota, where trying another download in the same run would be refused too). The walk still imports
one report per owner per run, and it stops at the first report it cannot claim (another run is at
it) or that fails without being done with: that report is retried by the next run, not bypassed. A
revived report is taken by _claim exactly like a new one (row lock, state, claim token), so two runs
falling back at once download it once.

Only failures that are the report's own use up its attempts. A download refused for the quota, a
rate limit that outlasted the retries, or a revoked grant says nothing about the report: every other
download of the owner would fail the same way, so the claim is handed back with its attempts as they
were (_release), the walk stops, and the owner's result says what it waits for (waiting_until drives
the task's retry after the quota reset). Three days without quota must not make a healthy report
"failed for good". The opposite case is a report YouTube no longer has (ReportGone: reports expire):
no later attempt can succeed, so it is failed for good at once (state GONE) and the fallback
takes the previous report in the same run.
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
from django.db.models import F, Max, Q
from django.utils import timezone

from channels_app.models import ContentOwner
from core.tasks_reaper import StaleTaskHandler
from reports.services import report_create_from_youtube, reports_pull_outcome_record
from syncs.models import YouTubeCredential, YouTubeReportFile
from syncs.youtube.errors import (
    CredentialUnreadable,
    NeedsReauthorisation,
    NotConnected,
    PermanentError,
    QuotaExhausted,
    RetryableError,
    YouTubeError,
)
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.quota_clock import PACIFIC
from syncs.youtube.reporting import (
    VIDEO_METADATA_PREFIX,
    ReportGone,
    parse_api_time,
    reporting_download,
    reporting_jobs,
    reporting_reports,
)

logger = logging.getLogger("ytcms.youtube.reports")

Progress = Callable[[str], None]
# A download's heartbeat is written at most this often (it tells other runs the claim is alive).
HEARTBEAT_BYTES = 16 << 20
PULL_TASK_PATH = "reports.tasks.reports_pull_from_youtube"
# Where the task lived before it moved from syncs (#17). Rows queued before the move name it, so
# reports/apps.py keeps it importable; remove both once no task result in the queue names it.
LEGACY_PULL_TASK_PATH = "syncs.tasks.reports_pull_from_youtube"
# The reasons shown with a skipped report and a report gone at YouTube (the states decide, not these).
SUPERSEDED_PREFIX = "Superseded by report "
GONE_REASON = "report no longer available at YouTube (404)"
# Rate limits are the project's or the user's, not one report's [doc core_errors]. The Reporting API
# also answers an exhausted daily quota this way (429, as other Google Cloud APIs do), not quotaExceeded.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RESOURCE_EXHAUSTED"})


def _quiet(line: str) -> None:
    pass


def _times(count: int) -> str:
    return f"{count} time{'s' if count != 1 else ''}"


@dataclass
class OwnerPull:
    owner_id: str
    jobs: list[str] = field(default_factory=list)  # the video metadata jobs' report types
    listed: int = 0  # reports listed since the last seen one
    imported: list[tuple[str, int]] = field(default_factory=list)  # (report id, Report pk)
    would_import: list[str] = field(default_factory=list)  # dry run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (report id, why)
    busy: list[str] = field(default_factory=list)  # claimed by another run right now
    failed: list[tuple[str, str]] = field(default_factory=list)  # (report id, message), this run
    # Newer reports failed for good (REPORT_PULL_MAX_ATTEMPTS), passed over for an older one:
    # (report id, attempts). Only in only-newest mode, where an older report stands in for them.
    gave_up: list[tuple[str, int]] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # of gave_up: no longer at YouTube
    # Downloads stopped by quota, rate limit or grant trouble, not counted as attempts: (report id, why).
    waiting: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""  # the owner could not be pulled at all
    waiting_until: datetime | None = None  # quota: try again after this

    @property
    def ok(self) -> bool:
        return not (self.error or self.failed or self.waiting)

    def summary(self, *, dry_run: bool = False) -> str:
        if self.error:
            return f"{self.owner_id}: {self.error}"
        parts = [f"{self.listed} new report{'s' if self.listed != 1 else ''} listed"]
        messages = dict(self.failed)
        given_up = {report_id for report_id, _ in self.gave_up}
        if self.gave_up:
            gave_up = "; ".join(
                f"report {report_id} is no longer available at YouTube (404)"
                if report_id in self.gone
                else f"report {report_id} failed {_times(attempts)}"
                + (f" (last: {messages[report_id].rstrip('.')})" if report_id in messages else "")
                for report_id, attempts in self.gave_up
            )
            if dry_run and self.would_import:
                parts.append(f"{gave_up}; would import the previous report {self.would_import[0]} instead")
            elif not dry_run and self.imported:
                report_id, pk = self.imported[0]
                parts.append(f"{gave_up}; imported the previous report {report_id} as report #{pk} instead")
            else:
                parts.append(f"{gave_up}; no earlier report {'would be' if dry_run else 'was'} imported")
        elif dry_run:
            parts.append(f"would import {', '.join(self.would_import) or 'nothing'}")
        else:
            imported = ", ".join(f"{rid} as report #{pk}" for rid, pk in self.imported)
            parts.append(f"imported {imported or 'nothing'}")
        if self.skipped:
            parts.append(f"{'would skip' if dry_run else 'skipped'} {len(self.skipped)} older")
        if self.busy:
            parts.append(f"{len(self.busy)} being downloaded by another run")
        for report_id, message in self.failed:
            if report_id not in given_up:
                parts.append(f"{report_id} failed: {message}")
        for report_id, why in self.waiting:
            parts.append(f"{report_id} not downloaded, {why.rstrip('.')}; not counted as an attempt")
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
        return all(owner.ok for owner in self.owners)

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


def _newest_import(owner: ContentOwner) -> datetime | None:
    """When YouTube created the owner's newest imported report: no older report can matter any more."""
    return YouTubeReportFile.objects.filter(
        content_owner=owner, state=YouTubeReportFile.State.IMPORTED
    ).aggregate(newest=Max("create_time"))["newest"]


def _revivable(newest_import: datetime | None) -> Q:
    """Skipped only because a newer report existed, and newer than every imported one."""
    revivable = Q(state=YouTubeReportFile.State.SKIPPED)
    return revivable if newest_import is None else revivable & Q(create_time__gt=newest_import)


def _failed_for_good(row: YouTubeReportFile) -> bool:
    return row.state == YouTubeReportFile.State.GONE or (
        row.state == YouTubeReportFile.State.FAILED and row.attempts >= settings.REPORT_PULL_MAX_ATTEMPTS
    )


def _cursor(owner: ContentOwner, job_id: str, *, newest_import: datetime | None) -> datetime | None:
    """createdAfter for the next listing: the job's newest report that will never be downloaded.

    Imported and skipped reports move it, except a skipped one that is still a fallback candidate:
    listing starts after it would hide it when the newest report fails for good. Downloading and
    failed reports do not move it, so a killed or failed download is listed again.
    """
    return (
        YouTubeReportFile.objects.filter(
            content_owner=owner,
            job_id=job_id,
            state__in=(YouTubeReportFile.State.IMPORTED, YouTubeReportFile.State.SKIPPED),
        )
        .exclude(_revivable(newest_import))
        .aggregate(newest=Max("create_time"))["newest"]
    )


def _ledger(report_ids: list[str]) -> dict[str, YouTubeReportFile]:
    """The rows of the listed reports that have one, by report id."""
    rows = YouTubeReportFile.objects.filter(youtube_report_id__in=report_ids).only(
        "youtube_report_id", "state", "reason", "attempts", "create_time"
    )
    return {row.youtube_report_id: row for row in rows}


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
    """Take the report for this run, or None when it is imported, skipped, failed for good or another run's.

    A report skipped only because a newer one existed is taken like a failed one (a fallback),
    unless a report as new or newer was imported meanwhile.
    """
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
        if row.state == YouTubeReportFile.State.IMPORTED:
            return None
        if (
            row.state == YouTubeReportFile.State.SKIPPED
            and YouTubeReportFile.objects.filter(
                content_owner=owner, state=YouTubeReportFile.State.IMPORTED, create_time__gte=row.create_time
            ).exists()
        ):
            return None
        if (
            row.state == YouTubeReportFile.State.DOWNLOADING
            and row.heartbeat_at
            and row.heartbeat_at >= stale_before
        ):
            return None
        if _failed_for_good(row):
            return None
        row.state = YouTubeReportFile.State.DOWNLOADING
        row.claim_token = token
        row.heartbeat_at = now
        row.attempts += 1
        row.reason = ""
        row.save(update_fields=["state", "claim_token", "heartbeat_at", "attempts", "reason", "updated_at"])
        return row


def _skip(owner: ContentOwner, job: dict, report: dict, *, why: str, stale_before: datetime) -> bool:
    """Record an older report as skipped; False when another run holds it or it is done.

    A report already skipped as superseded gets the new reason (it names the report now standing in
    for it) but is not counted again; one failed for good keeps its failure.
    """
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
        if row.state == YouTubeReportFile.State.SKIPPED:
            if row.reason != why:
                row.reason = why
                row.save(update_fields=["reason", "updated_at"])
            return False
        if row.state == YouTubeReportFile.State.IMPORTED or _failed_for_good(row):
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


def _fail(row: YouTubeReportFile, message: str, *, gone: bool = False) -> bool:
    """Record the failed download (GONE: never to be tried again); False when the claim was lost."""
    return bool(
        YouTubeReportFile.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
            state=YouTubeReportFile.State.GONE if gone else YouTubeReportFile.State.FAILED,
            reason=message[:2000],
            claim_token="",
            updated_at=timezone.now(),
        )
    )


def _release(row: YouTubeReportFile, why: str) -> bool:
    """Hand the claim back with the attempts it had before it; False when the claim was lost.

    FAILED (not failed for good) keeps it listed and a candidate, like a failed download; the reason
    tells the admin why it waits.
    """
    return bool(
        YouTubeReportFile.objects.filter(pk=row.pk, claim_token=row.claim_token).update(
            state=YouTubeReportFile.State.FAILED,
            attempts=F("attempts") - 1,
            reason=f"Not downloaded, not counted as an attempt: {why}"[:2000],
            claim_token="",
            updated_at=timezone.now(),
        )
    )


def _not_the_reports_fault(error: YouTubeError) -> bool:
    """Quota, rate limit or grant trouble: any other download of the owner would fail the same way."""
    return isinstance(error, (QuotaExhausted, NeedsReauthorisation)) or (
        isinstance(error, RetryableError) and error.reason in RATE_LIMIT_REASONS
    )


def _waits_for(owner: ContentOwner, error: YouTubeError) -> str:
    """Why a download was put off, for the owner's summary and the report's row."""
    if isinstance(error, QuotaExhausted):
        return (
            f"quota exhausted until {error.reset_at.astimezone(PACIFIC):%Y-%m-%d %H:%M %Z} "
            f"({error.reset_at:%H:%M} UTC) for project {error.project} ({error.api})"
        )
    if isinstance(error, RetryableError):
        return f"rate-limited by Google; tried again by the next run ({error.message.rstrip('.')})"
    return _owner_error(owner, error)


def _owner_error(owner: ContentOwner, error: YouTubeError) -> str:
    """What a person should read when an owner's reports could not be pulled."""
    if isinstance(error, NotConnected):
        return f"not connected to YouTube: connect it on its admin page or with manage.py youtube_connect --owner {owner.pk}."
    if isinstance(error, CredentialUnreadable):
        return error.message
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


# What one listed report is to this run (see _kind).
NEW, REVIVABLE, FAILED_FOR_GOOD, DONE = "new", "revivable", "failed for good", "done"
# What _attempt did with one report.
IMPORTED, BUSY, FAILED, GAVE_UP, HALTED = "imported", "busy", "failed", "gave up", "halted"


def _kind(row: YouTubeReportFile | None, *, newest_import: datetime | None) -> str:
    if row is None or row.state == YouTubeReportFile.State.DOWNLOADING:
        return NEW  # a download in progress stays a candidate: the claim says it is busy
    if row.state in (YouTubeReportFile.State.FAILED, YouTubeReportFile.State.GONE):
        return FAILED_FOR_GOOD if _failed_for_good(row) else NEW
    if row.state == YouTubeReportFile.State.SKIPPED and (
        newest_import is None or row.create_time > newest_import
    ):
        return REVIVABLE
    return DONE


def _attempt(
    session: YouTubeSession,
    owner: ContentOwner,
    job: dict,
    report: dict,
    *,
    token: str,
    enqueue: bool,
    pulled: OwnerPull,
) -> tuple[str, int]:
    """Claim, download and store one report; returns what happened and the attempts so far.

    GAVE_UP: it failed for the last allowed time, or YouTube no longer has it. HALTED: quota, rate
    limit or grant trouble, which any other download of this owner would hit as well; the report's
    attempts are left as they were.
    """
    row = _claim(owner, job, report, token=token)
    if row is None:
        pulled.busy.append(report["id"])
        return BUSY, 0
    gone = False
    try:
        report_pk = _import_one(session, owner, job, report, row, enqueue=enqueue)
    except YouTubeError as error:
        if _not_the_reports_fault(error):
            why = _waits_for(owner, error)
            if not _release(row, why):
                pulled.busy.append(report["id"])
                return BUSY, row.attempts
            pulled.waiting.append((report["id"], why))
            pulled.waiting_until = getattr(error, "reset_at", None)
            return HALTED, row.attempts - 1
        gone = isinstance(error, ReportGone)
        message = GONE_REASON if gone else _owner_error(owner, error)
    except Exception as error:  # storage or database trouble: recorded, the run goes on
        logger.exception("Report %s of %s could not be stored", report["id"], owner.pk)
        message = f"could not be stored ({type(error).__name__}: {error})"
    else:
        if report_pk is None:
            pulled.busy.append(report["id"])
            return BUSY, row.attempts
        pulled.imported.append((report["id"], report_pk))
        return IMPORTED, row.attempts
    recorded = _fail(row, message, gone=gone)
    pulled.failed.append((report["id"], message))
    if recorded and gone:
        pulled.gone.append(report["id"])
        return GAVE_UP, row.attempts
    if recorded and row.attempts >= settings.REPORT_PULL_MAX_ATTEMPTS:
        return GAVE_UP, row.attempts
    return FAILED, row.attempts


def _superseded_by(report: dict) -> str:
    return (
        f"{SUPERSEDED_PREFIX}{report['id']} (created {report.get('createTime')}): only the newest "
        "daily video metadata report is imported, as it lists the whole inventory."
    )


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
    newest_import = _newest_import(owner)
    try:
        jobs = [
            j for j in reporting_jobs(session) if j.get("reportTypeId", "").startswith(VIDEO_METADATA_PREFIX)
        ]
        pulled.jobs = [j["reportTypeId"] for j in jobs]
        listed: list[tuple[dict, dict]] = []
        for job in jobs:
            for report in reporting_reports(
                session,
                job_id=job["id"],
                created_after=_cursor(owner, job["id"], newest_import=newest_import),
            ):
                listed.append((job, report))
    except YouTubeError as error:
        result.calls += session.calls
        result.quota_units += session.units_spent
        pulled.error = _owner_error(owner, error)
        if isinstance(error, QuotaExhausted):
            pulled.waiting_until = error.reset_at
        return pulled

    def order(pair: tuple[dict, dict]) -> tuple[datetime, str]:
        return _created(pair[1]), pair[1]["id"]

    def announce(job: dict, report: dict) -> None:
        progress(
            f"{owner.pk}: report {report['id']} ({job['reportTypeId']}, created {report.get('createTime')})"
        )

    listed.sort(key=order, reverse=True)
    rows = _ledger([report["id"] for _, report in listed])
    kinds = {report["id"]: _kind(rows.get(report["id"]), newest_import=newest_import) for _, report in listed}
    pulled.listed = sum(1 for kind in kinds.values() if kind == NEW)
    if not only_newest:
        for job, report in reversed([pair for pair in listed if kinds[pair[1]["id"]] == NEW]):
            announce(job, report)
            if dry_run:
                pulled.would_import.append(report["id"])
                continue
            outcome, _ = _attempt(session, owner, job, report, token=token, enqueue=enqueue, pulled=pulled)
            if outcome == HALTED:
                break
        result.calls += session.calls
        result.quota_units += session.units_spent
        return pulled

    # Newest first; a report skipped as superseded is still a candidate, after every newer one.
    candidates = [pair for pair in listed if kinds[pair[1]["id"]] in (NEW, REVIVABLE)]
    if candidates:
        # Newer reports found failed for good: the first candidate stands in for them.
        pulled.gave_up = [
            (report["id"], rows[report["id"]].attempts)
            for job, report in listed
            if kinds[report["id"]] == FAILED_FOR_GOOD and order((job, report)) > order(candidates[0])
        ]
        pulled.gone = [
            report_id
            for report_id, _ in pulled.gave_up
            if rows[report_id].state == YouTubeReportFile.State.GONE
        ]
    stop = 0  # the candidate the walk ended on; the ones after it are superseded by it
    if dry_run:
        if candidates:
            announce(*candidates[0])
            pulled.would_import.append(candidates[0][1]["id"])
    else:
        stop = len(candidates)  # unless the walk ends earlier, every candidate failed for good
        for index, (job, report) in enumerate(candidates):
            announce(job, report)
            outcome, attempts = _attempt(
                session, owner, job, report, token=token, enqueue=enqueue, pulled=pulled
            )
            if outcome != GAVE_UP:
                stop = index
                break
            pulled.gave_up.append((report["id"], attempts))
    if stop < len(candidates):
        why = _superseded_by(candidates[stop][1])
        stale_before = timezone.now() - timedelta(seconds=settings.REPORT_PULL_STALE_SECONDS)
        for job, report in candidates[stop + 1 :]:
            if dry_run:
                if kinds[report["id"]] == NEW:
                    pulled.skipped.append((report["id"], why))
            elif _skip(owner, job, report, why=why, stale_before=stale_before):
                pulled.skipped.append((report["id"], why))
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
        if not dry_run:
            # The owner's page shows it, also when nothing was found: a person clicked and waits.
            reports_pull_outcome_record(
                owner_id=pulled.owner_id, summary=pulled.summary(), failed=not pulled.ok
            )
        result.owners.append(pulled)
    return result


class ReportsPullHandler(StaleTaskHandler):
    """Tells the stale-task reaper a long pull is alive while one of its downloads shows progress."""

    def is_alive(self, result, *, threshold: datetime) -> bool:
        return YouTubeReportFile.objects.filter(
            state=YouTubeReportFile.State.DOWNLOADING, heartbeat_at__gte=threshold
        ).exists()
