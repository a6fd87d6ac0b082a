from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The live transport: an app only for its outbox table (core/live/models.py)."""

    name = "core.live"
    label = "live"
    verbose_name = "Live updates"
