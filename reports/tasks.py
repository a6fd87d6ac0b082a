"""Background tasks of the reports app (django.tasks, queue "reports")."""

from django.tasks import task

from reports.services import report_ingest


@task(queue_name="reports")
def report_ingest_task(report_id: int) -> dict:
    """Import (or resume importing) one queued report."""
    report = report_ingest(report_id=report_id)
    if report is None:
        return {"report": report_id, "status": "not queued"}
    return {
        "report": report_id,
        "status": report.status,
        "rows_read": report.rows_read,
        "rows_imported": report.rows_imported,
        "rows_unchanged": report.rows_unchanged,
        "rows_rejected": report.rows_rejected,
    }
