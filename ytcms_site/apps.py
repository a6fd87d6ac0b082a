from django.apps import AppConfig


class YtcmsSiteConfig(AppConfig):
    name = "ytcms_site"
    verbose_name = "Site"

    def ready(self):
        # Open live sockets follow membership and user-flag changes (ytcms_site/live/signals.py).
        import ytcms_site.live.signals  # noqa: F401
        from core.tasks_reaper import register
        from ytcms_site.tasks import OPS_DAILY_TASK_PATH, OpsDailyHandler

        register(OPS_DAILY_TASK_PATH, OpsDailyHandler())
