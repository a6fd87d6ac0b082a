from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from reports.reaping import REPORT_TASK_PATH, ReportImportHandler
        from ytcms_site.tasks_reaper import register

        register(REPORT_TASK_PATH, ReportImportHandler())
