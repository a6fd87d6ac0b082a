"""The few cross-cutting records of the site itself."""

from django.db import models


class ScheduledRun(models.Model):
    """A daily job the scheduler enqueued: one row per job and UTC day, cluster-wide.

    The unique (job, day) pair is the lock: of two scheduler processes, only the one whose insert
    wins enqueues the job's task, in the same transaction.
    """

    job = models.CharField(max_length=64)
    day = models.DateField(help_text="The UTC day the run belongs to.")
    enqueued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True, help_text="The scheduler process that enqueued it.")

    class Meta:
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="scheduledrun_once_per_day")]

    def __str__(self):
        return f"{self.job} {self.day}"
