"""How the stale-task reaper treats report imports (registered in ReportsConfig.ready)."""

import uuid

from django.conf import settings
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from core.tasks_reaper import StaleTaskHandler
from reports.models import Report
from reports.services import report_enqueue

REPORT_TASK_PATH = "reports.tasks.report_ingest_task"


def _report_of(result) -> Report | None:
    args = (result.args_kwargs or {}).get("args") or []
    kwargs = (result.args_kwargs or {}).get("kwargs") or {}
    report_id = args[0] if args else kwargs.get("report_id")
    if report_id is None:
        return None
    return Report.objects.select_for_update().filter(pk=report_id).first()


class ReportImportHandler(StaleTaskHandler):
    def is_alive(self, result, *, threshold) -> bool:
        # An import commits a chunk every few seconds: a recent commit means its worker lives,
        # however long ago the (possibly hours-long) import started.
        report = _report_of(result)
        return bool(
            report
            and report.status == Report.Status.RUNNING
            and report.progress_at
            and report.progress_at >= threshold
        )

    def requeued(self, old, new_id: str) -> None:
        report = _report_of(old)
        if report is None or report.status not in (Report.Status.RUNNING, Report.Status.QUEUED):
            return
        if report.attempts > settings.TASKS_MAX_REQUEUES:
            self.failed(old, "The import's worker stopped too many times.")
            return
        report.status = Report.Status.QUEUED
        report.task_id = new_id
        report.message = (
            f"The worker running this import stopped without finishing (killed?); it was queued again and "
            f"resumes after line {report.checkpoint_line:,}."
        )
        report.save(update_fields=["status", "task_id", "message"])

    def failed(self, old, message: str) -> None:
        report = _report_of(old)
        if report is None or report.status not in (Report.Status.RUNNING, Report.Status.QUEUED):
            return
        report.status = Report.Status.FAILED
        report.message = (
            f"{message} Rows up to line {report.checkpoint_line:,} were committed; use Re-run to resume."
        )
        report.save(update_fields=["status", "message"])

    def orphans(self, *, threshold) -> list[str]:
        """Reports left 'running' with no running task (a killed import_report command, a pruned
        task result) and no progress since the threshold go back to the queue."""
        described = []
        stuck = Report.objects.filter(status=Report.Status.RUNNING, progress_at__lt=threshold)
        for report_id in stuck.values_list("pk", flat=True)[:100]:
            with transaction.atomic():
                report = (
                    Report.objects.select_for_update(skip_locked=True)
                    .filter(pk=report_id, status=Report.Status.RUNNING, progress_at__lt=threshold)
                    .first()
                )
                if report is None:
                    continue
                if (
                    report.task_id
                    and DBTaskResult.objects.filter(
                        pk=_uuid_or_none(report.task_id), status="RUNNING"
                    ).exists()
                ):
                    continue  # the task itself is handled (or judged alive) by the reaper
                report.status = Report.Status.QUEUED
                report.message = (
                    f"The import stopped without finishing (its process was killed?); queued again to resume "
                    f"after line {report.checkpoint_line:,}."
                )
                report.save(update_fields=["status", "message"])
                report_enqueue(report=report)
                described.append(
                    f"report #{report.pk} requeued (resumes after line {report.checkpoint_line:,})"
                )
        return described


def _uuid_or_none(value: str):
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None
