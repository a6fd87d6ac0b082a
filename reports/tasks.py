"""Background tasks of the reports app (django.tasks; imports on queue "reports")."""

from django.tasks import task

from reports.services import report_ingest
from reports.youtube_pull import youtube_reports_pull


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


# Queue "syncs", as before the pull moved here from syncs: it spends YouTube quota like the other
# YouTube calls, and workers pinned to a queue keep taking it.
@task(queue_name="syncs")
def reports_pull_from_youtube(owner_id: str | None = None) -> str:
    """Pull and import new "Daily video metadata" reports from the Reporting API (all owners or one).

    Owners whose quota ran out are pulled again after the quota resets.
    """
    result = youtube_reports_pull(owner_id=owner_id)
    if reports_pull_from_youtube.get_backend().supports_defer:
        for owner in result.owners:
            if owner.waiting_until is not None:
                reports_pull_from_youtube.using(run_after=owner.waiting_until).enqueue(
                    owner_id=owner.owner_id
                )
    return result.summary()
