from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from core.tasks_reaper import register
        from reports.reaping import REPORT_TASK_PATH, ReportImportHandler
        from reports.youtube_pull import LEGACY_PULL_TASK_PATH, PULL_TASK_PATH, ReportsPullHandler

        register(REPORT_TASK_PATH, ReportImportHandler())
        register(PULL_TASK_PATH, ReportsPullHandler())
        register(LEGACY_PULL_TASK_PATH, ReportsPullHandler())
        _keep_the_legacy_pull_task_path()


def _keep_the_legacy_pull_task_path() -> None:
    """Let a pull queued as syncs.tasks.reports_pull_from_youtube (before it moved here) still run.

    The task queue stores the dotted path and the worker imports it, so the old path must still name
    the task. syncs imports nothing from reports (the layering), so reports, above it, puts the name
    there; the worker's row then runs the task defined in reports.tasks.
    """
    import syncs.tasks
    from reports.tasks import reports_pull_from_youtube

    syncs.tasks.reports_pull_from_youtube = reports_pull_from_youtube
