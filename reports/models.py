"""CMS reports: one row per import of a file, and one row per rejected line of it."""

from django.conf import settings
from django.db import models

from channels_app.models import ContentOwner


class Report(models.Model):
    """One import (or preview) of a YouTube CMS video report.

    The counters always satisfy rows_read = rows_imported + rows_unchanged + rows_rejected:
    they are only ever written together with the chunk of rows they count, in one transaction.
    """

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        S3 = "s3", "S3 bucket"
        REPORTING_API = "reporting_api", "YouTube Reporting API"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=16, choices=Source.choices, default=Source.UPLOAD)
    # Uploaded and command-line files live in the default storage (var/media or S3) under reports/;
    # S3 imports are read where they are, by bucket and key, and never copied.
    file = models.FileField(upload_to="reports/uploads/%Y/%m/%d/", max_length=500, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    s3_bucket = models.CharField("S3 bucket", max_length=63, blank=True)
    s3_key = models.CharField("S3 key", max_length=1024, blank=True, db_index=True)
    s3_etag = models.CharField("S3 ETag", max_length=128, blank=True)
    # The Reporting API's report id: a report is imported exactly once (NULL for other sources).
    youtube_report_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(
        "preview only", default=False, help_text="Parse and compare without writing to the catalogue."
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    layout = models.CharField(max_length=16, blank=True)
    header = models.JSONField(default=list, blank=True, help_text="The file's header cells, as written.")
    unknown_columns = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)

    bytes_total = models.BigIntegerField(default=0)
    bytes_processed = models.BigIntegerField(default=0)
    rows_read = models.BigIntegerField(default=0)
    rows_imported = models.BigIntegerField(default=0)
    rows_unchanged = models.BigIntegerField(default=0)
    rows_rejected = models.BigIntegerField(default=0)
    videos_created = models.BigIntegerField(default=0)
    videos_updated = models.BigIntegerField(default=0)
    videos_unchanged = models.BigIntegerField(default=0)
    channels_created = models.BigIntegerField(default=0)
    claims_upserted = models.BigIntegerField(default=0)
    # Active claims of videos the report covers that it no longer lists (see reports.staging).
    claims_deactivated = models.BigIntegerField(default=0)
    assets_created = models.BigIntegerField(default=0)
    # Dry runs: the first videos that would change, old -> new per field (bounded).
    preview = models.JSONField(default=list, blank=True)

    # Kill safety: every committed chunk moves the checkpoint; a re-run skips lines up to it.
    checkpoint_line = models.BigIntegerField(default=0)
    run_token = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(
        null=True, blank=True, help_text="Last time a running import committed progress."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["s3_key", "s3_etag"], name="report_s3_object")]

    def __str__(self):
        return f"#{self.pk} {self.original_name or self.s3_key or 'report'}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        # Queued to start over (Import now after a preview, Re-run): the bytes are the last run's.
        if not self.bytes_total or (self.status == self.Status.QUEUED and self.checkpoint_line == 0):
            return 0
        return max(0, min(100, int(100 * self.bytes_processed / self.bytes_total)))

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ReportRowError(models.Model):
    """A line of a report that could not be imported, with what was wrong and its original cells."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="row_errors")
    line_number = models.BigIntegerField()
    column = models.CharField(max_length=255, blank=True)
    value_excerpt = models.CharField(max_length=255, blank=True)
    reason = models.TextField()
    raw = models.JSONField(default=list, blank=True, help_text="The row's cells as read.")

    class Meta:
        ordering = ["report", "line_number", "id"]
        indexes = [models.Index(fields=["report", "line_number"], name="report_error_line")]

    def __str__(self):
        return f"line {self.line_number}: {self.reason}"


class ReportsPullOutcome(models.Model):
    """What the last Reporting API pull (not a dry run) found for one content owner.

    Kept in reports, beside the pull that writes it, rather than as fields of ContentOwner: the
    owner belongs to channels_app, below reports, which must know nothing of reports or YouTube.
    One row per owner, overwritten by each pull (the audit log keeps the earlier ones). The page
    reads it on load: the live frame alone would be lost when the pull ends before the page's
    socket connects.
    """

    content_owner = models.OneToOneField(
        ContentOwner, primary_key=True, on_delete=models.CASCADE, related_name="reports_pull_outcome"
    )
    finished_at = models.DateTimeField()
    summary = models.TextField()  # OwnerPull.summary(), one line
    failed = models.BooleanField(default=False, help_text="The pull failed, or waits for quota or a grant.")

    class Meta:
        verbose_name = "Reporting API pull outcome"

    def __str__(self):
        return f"{self.content_owner_id}: {self.summary}"
