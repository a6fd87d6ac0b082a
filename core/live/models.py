"""The live transport's one table: messages waiting for the web server's relay."""

from django.db import models


class LiveOutboxBatch(models.Model):
    """Live messages sent by a process other than the web server, waiting for its relay.

    Only without REDIS_URL: the in-memory channel layer lives inside the web server, so the task
    worker, the scheduler and management commands leave their group messages here and the web
    server's relay (core/live/outbox.py) sends them on. Rows live a few minutes.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # [[group, channel layer message], ...]: one send (one frame to its groups, or access_changed).
    messages = models.JSONField()

    class Meta:
        # The table it had when the project package held it: the move changed no data.
        db_table = "ytcms_site_liveoutboxbatch"

    def __str__(self):
        return f"live outbox #{self.pk}"
