from django.apps import AppConfig


class YtcmsSiteConfig(AppConfig):
    name = "ytcms_site"
    verbose_name = "Site"

    def ready(self):
        from ytcms_site.tasks import OPS_DAILY_TASK_PATH, OpsDailyHandler
        from ytcms_site.tasks_reaper import register

        register(OPS_DAILY_TASK_PATH, OpsDailyHandler())
