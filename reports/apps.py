from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from core.tasks_reaper import register
        from reports.reaping import REPORT_TASK_PATH, ReportImportHandler

        register(REPORT_TASK_PATH, ReportImportHandler())
