"""A report import's live events: processing_update frames, built here, sent by the transport.

`ReportProgress` follows one run (the pipeline's on_progress), `publish_processing_update` tells
a state change (queued again); both go to the report's content owner only (reports are owner-wide).
`publish_reports_pull_finished` tells what a Reporting API pull found for one owner (the owner's
page, live-reports-pull.js), to that owner's members only too.
"""

import threading
import time
from collections.abc import Callable

from django.utils import formats, timezone

from core.live.transport import PROGRESS_SECONDS, publish
from reports.counters import LIVE_COUNTERS
from reports.models import Report, ReportRowError, ReportsPullOutcome

# Row errors a frame carries at most: the newest, the page pages the rest on reload.
NEWEST_ERRORS = 20

# A report's times its page shows as read-only fields (reports.admin.ReportAdmin's "Run" fieldset).
FRAME_TIMES = ("started_at", "progress_at", "finished_at")


def report_times_shown(report: Report) -> dict[str, str]:
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

    def __init__(
        self, report: Report, *, then: Callable[[dict], None] | None = None, seconds: float | None = None
    ):
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
            "rows_total": rows_read if done else None,
            # Every count the report's page shows (live-report.js), so none of its fields stays stale:
            # rows_read and bytes_processed among them.
            **{name: counters.get(name) or 0 for name in LIVE_COUNTERS},
            "rate": round(max(rows_read - self.rows_at_start, 0) / elapsed, 1),
            "message": message,
            "done": done,
        }
        return self.last

    def _new_errors(self) -> list[dict]:
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

    def finish(self, report: Report) -> None:
        """The final frame (done=true), whatever the outcome."""
        counters = {name: getattr(report, name) for name in ("bytes_total", *LIVE_COUNTERS)}
        payload = self.numbers(counters, status=report.status, done=True, message=report.message)
        payload["times"] = report_times_shown(report)
        with self._lock:
            self._last_sent = time.monotonic()
            self._publish(payload)


def publish_processing_update(report: Report, **numbers) -> None:
    """One processing_update for a report from its stored counters (overrides in `numbers`)."""
    progress = ReportProgress(report)
    done = numbers.pop("done", report.status in ("done", "failed"))
    payload = progress.numbers(
        {name: getattr(report, name) for name in LIVE_COUNTERS},
        status=report.status,
        done=done,
        message=report.message,
    )
    payload.update(numbers)
    payload["times"] = report_times_shown(report)
    publish("processing_update", {**payload, "errors": []}, content_owner_id=report.content_owner_id)


def reports_pull_line(outcome: ReportsPullOutcome | None) -> str:
    """The owner page's line about the last pull: rendered with the page and sent in the frame, so
    a live update reads as a reload would. To the second, as the YouTube connection's times are
    written to the minute: a second click a minute later must visibly change the line."""
    if outcome is None:
        return "Last fetch from YouTube: Never fetched"
    shown = timezone.localtime(outcome.finished_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    return f"Last fetch from YouTube: {shown} — {outcome.summary}"


def publish_reports_pull_finished(outcome: ReportsPullOutcome) -> None:
    """One reports_pull_finished frame (after commit) to the members of the outcome's content owner."""
    publish(
        "reports_pull_finished",
        {
            "content_owner_id": outcome.content_owner_id,
            "finished_at": outcome.finished_at.isoformat(),
            "summary": outcome.summary,
            "failed": outcome.failed,
            "line": reports_pull_line(outcome),
        },
        content_owner_id=outcome.content_owner_id,
    )
