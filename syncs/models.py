from django.conf import settings
from django.db import models

from channels_app.models import ContentOwner
from core.fields import EncryptedTextField

REAUTHORISE_MESSAGE = "Reconnect this content owner: Google says the authorisation was revoked or expired."


def unreadable_message(owner_id: str) -> str:
    """What to do when no key of ENCRYPTION_KEYS opens an owner's stored credential (one line)."""
    return (
        # No colon after ENCRYPTION_KEYS: the log filter would take the next word for its value.
        "Credential unreadable — check ENCRYPTION_KEYS (none of its keys opens the stored YouTube "
        f"credential of {owner_id}). Put the key it was encrypted with back into ENCRYPTION_KEYS "
        "(after the current one) and run manage.py rotate_keys, or reconnect the owner (Connect "
        f"YouTube on its admin page, or manage.py youtube_connect --owner {owner_id})."
    )


class YouTubeCredential(models.Model):
    """How ytcms acts for one content owner at Google: an OAuth grant or a service-account key.

    Every secret is an EncryptedTextField. Only syncs.youtube reads them.
    """

    class Kind(models.TextChoices):
        OAUTH = "oauth", "OAuth (a CMS user's consent)"
        SERVICE_ACCOUNT = "service_account", "Service account"

    class Status(models.TextChoices):
        OK = "ok", "Connected"
        NEEDS_REAUTHORISATION = "needs_reauthorisation", "Needs re-authorisation"
        # No key of ENCRYPTION_KEYS decrypts the stored secrets (a key was dropped or replaced).
        UNREADABLE = "unreadable", "Credential unreadable — check ENCRYPTION_KEYS"

    owner = models.OneToOneField(ContentOwner, on_delete=models.CASCADE, related_name="youtube_credential")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The OAuth client that issued the refresh token: a refresh must name the same client.
    client_id = models.CharField(max_length=255, blank=True)
    # The Google account (CMS user) or service-account e-mail, for people to recognise it.
    account = models.CharField(max_length=255, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    access_token_expiry = models.DateTimeField(null=True, blank=True)
    service_account_key = EncryptedTextField(blank=True, help_text="The JSON key file.")
    scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OK)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Fields that hold secrets; display code defers them so a status page decrypts nothing.
    SECRET_FIELDS = ("refresh_token", "access_token", "service_account_key")

    class Meta:
        verbose_name = "YouTube credential"

    def __str__(self):
        return f"{self.get_kind_display()} for {self.owner_id}"

    @property
    def needs_reauthorisation(self) -> bool:
        return self.status == self.Status.NEEDS_REAUTHORISATION

    @property
    def is_unreadable(self) -> bool:
        return self.status == self.Status.UNREADABLE


class CredentialStatusChange(models.Model):
    """Append-only audit of a content owner's YouTube connection: each change of its status.

    Most changes are found by ytcms itself (Google revoked the grant, no key opens the secrets), so
    `user` is usually empty; the admin's LogEntry needs a user and cannot hold them.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    content_owner = models.ForeignKey(
        ContentOwner, on_delete=models.CASCADE, related_name="credential_status_changes"
    )
    # "" when the owner had no credential before.
    old_status = models.CharField(max_length=24, blank=True)
    new_status = models.CharField(max_length=24)
    message = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "credential status change"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.content_owner_id}: {self.old_status or '(none)'} → {self.new_status}"

    def status_display(self, value: str) -> str:
        return YouTubeCredential.Status(value).label if value else "not connected"


class QuotaLedger(models.Model):
    """Quota units one Google Cloud project spent on one API during one Pacific day.

    "Daily quotas reset at midnight Pacific Time" [doc determine_quota_cost], so `day` is the date
    in America/Los_Angeles. Each request's full price is booked before it is sent and settled to
    what Google charges for its answer once that came back (services.quota, costs.answer_units).
    """

    project = models.CharField(max_length=255)
    # "youtube" (Data API), "youtubePartner" (Content ID) or "youtubereporting": separate quotas.
    api = models.CharField(max_length=32, default="youtube")
    day = models.DateField(help_text="Date in America/Los_Angeles.")
    units_used = models.PositiveIntegerField(default=0)
    budget = models.PositiveIntegerField()
    reserve = models.PositiveIntegerField(default=0)
    # Set when Google answered quotaExceeded: nothing more is sent until the next Pacific day.
    exhausted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "quota ledger day"
        ordering = ["-day", "project", "api"]
        constraints = [
            models.UniqueConstraint(fields=["project", "api", "day"], name="quotaledger_unique_day")
        ]

    def __str__(self):
        return f"{self.project} · {self.api} · {self.day}"

    @property
    def spendable(self) -> int:
        return max(self.budget - self.reserve, 0)

    @property
    def remaining(self) -> int:
        return 0 if self.exhausted_at else max(self.spendable - self.units_used, 0)


class ApiCall(models.Model):
    """One call to a Google API, with its retries: what, for whom, what it cost, how it ended."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        RETRYABLE = "retryable", "Failed, retryable"
        PERMANENT = "permanent", "Failed"
        QUOTA_EXHAUSTED = "quota_exhausted", "Quota exhausted"
        NEEDS_REAUTHORISATION = "needs_reauthorisation", "Needs re-authorisation"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=100, help_text="e.g. youtube.videos.list")
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.SET_NULL, related_name="api_calls"
    )
    project = models.CharField(max_length=255, blank=True)
    quota_units = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=100, blank=True, help_text="errors[0].reason")
    message = models.TextField(blank=True, help_text="YouTube's message")
    retries = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "API call"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_owner", "-created_at"], name="apicall_owner_recent")]

    def __str__(self):
        return f"{self.method} · {self.outcome}"


# ---------------------------------------------------------------------------- change sets


class ChangeSet(models.Model):
    """Edits of writable fields, reviewed together and pushed to YouTube together."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        QUEUED = "queued", "Queued"
        PUSHING = "pushing", "Pushing"
        DONE = "done", "Done"
        PARTLY_FAILED = "partly_failed", "Partly failed"
        HAS_CONFLICTS = "has_conflicts", "Has conflicts"
        REVERTED = "reverted", "Reverted"

    title = models.CharField(max_length=255, blank=True)
    # Every item is a video of this owner (changeset services refuse others), so nobody who may see
    # a change set sees another owner's videos in it. Null: videos without a content owner, or a
    # change set from before #14 that had already left the draft state with several owners in it.
    content_owner = models.ForeignKey(
        ContentOwner, null=True, blank=True, on_delete=models.SET_NULL, related_name="changesets"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="changesets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Set when CHANGESET_FOUR_EYES is on and an item touches privacy or license.
    needs_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    revert_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverts"
    )
    pushed_at = models.DateTimeField(null=True, blank=True)
    # Release day (#19): the moment the push task runs (UTC), and the IANA time zone the person chose
    # it in, to show it back as they said it ("2027-01-15 00:00 Europe/Berlin").
    scheduled_for = models.DateTimeField(null=True, blank=True, db_index=True)
    scheduled_tz = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = "change set"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "status"], name="changeset_user_status")]

    def __str__(self):
        return self.title or f"Change set {self.pk}"


class ChangeSetItem(models.Model):
    """One field of one video: YouTube's value when the edit began (base) and the value we want."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PUSHING = "pushing", "Pushing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        DEFERRED = "deferred", "Deferred"
        CONFLICT = "conflict", "Conflict"
        SKIPPED = "skipped", "Skipped"

    class Kind(models.TextChoices):
        METADATA = "metadata", "Video metadata (videos.update)"
        CLAIM_INSERT = "claim_insert", "New claim (claims.insert)"
        CLAIM_PATCH = "claim_patch", "Claim policy (claims.patch)"
        # Content ID allows only active → inactive on a claim's status: how an inserted claim is undone.
        CLAIM_RELEASE = "claim_release", "Release claim (claims.patch status inactive)"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        KEEP_THEIRS = "keep_theirs", "Keep YouTube's value"
        OVERWRITE = "overwrite", "Overwrite with ours"

    changeset = models.ForeignKey(ChangeSet, on_delete=models.CASCADE, related_name="items")
    video = models.ForeignKey("videos.Video", on_delete=models.CASCADE, related_name="changeset_items")
    # A Video field name, or "claim:<asset id>" (claim_insert) / "claim:<claim id>" (claim_patch,
    # claim_release).
    field = models.CharField(max_length=80)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.METADATA)
    # Content ID: the claims.insert body (plus "claimId" once YouTube made the claim), or
    # {"claimId": …} for a patch or release.
    payload = models.JSONField(default=dict, blank=True)
    base_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    theirs_value = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    error_reason = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    deferred_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker owns the item until leased_until; a killed worker's lease goes stale and is re-taken.
    lease_token = models.CharField(max_length=32, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "change set item"
        ordering = ["changeset", "video_id", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["changeset", "video", "field"], name="changesetitem_unique_video_field"
            )
        ]

    def __str__(self):
        return f"{self.video_id} · {self.field}"


class SyncRecord(models.Model):
    """Append-only audit: one row per outcome of each push of a video (written, conflict, not written)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        DEFERRED = "deferred", "Deferred"
        CONFLICT = "conflict", "Conflict"
        # A person settled a conflict (syncs.changesets.services.changeset_resolve); nothing was sent.
        RESOLVED = "resolved", "Conflict resolved"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changeset = models.ForeignKey(
        ChangeSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_records"
    )
    video = models.ForeignKey(
        "videos.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="sync_records"
    )
    # By outcome (syncs.changesets.push.fields_on_youtube and its siblings):
    # success {field: {"before": YouTube's value read just before, "after": ours, now on YouTube}};
    # conflict {field: {"base": YouTube's value when the edit began, "theirs": YouTube's now, "ours"}};
    # failed / deferred {field: {"before", "ours": not on YouTube, "theirs": what YouTube answered}}
    # ("before" absent when the video could not be read, "theirs" only when YouTube took the write).
    # resolved {field: {"theirs": YouTube's value, "ours", "kept": "theirs" or "ours"}}.
    fields = models.JSONField(default=dict, blank=True)
    parts_sent = models.JSONField(default=list, blank=True)
    etag_before = models.CharField(max_length=64, blank=True)
    etag_after = models.CharField(max_length=64, blank=True)
    quota_units = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(max_length=100, blank=True, help_text="errors[0].reason")
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = "sync record"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["video", "-created_at"], name="syncrecord_video_recent")]

    def __str__(self):
        return f"{self.video_id} · {self.status} · {self.created_at:%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------------- Reporting API pull


class YouTubeReportFile(models.Model):
    """A report the Reporting API offered for a content owner, and what ytcms did with it.

    The unique report id is the exactly-once guarantee: a run claims a report by inserting (or
    locking) its row before downloading, so two overlapping runs never download the same report,
    and a report once imported is never fetched again. Older daily reports superseded by a newer
    one are recorded as skipped (with the reason) and get no Report row: only the newest "Daily
    video metadata" matters for the inventory.
    """

    class State(models.TextChoices):
        DOWNLOADING = "downloading", "Downloading"
        IMPORTED = "imported", "Imported"
        # Passed over because a newer report of the job was listed with it (only the newest daily
        # inventory matters); taken again as a fallback if that newer one fails for good.
        SKIPPED = "skipped", "Skipped (a newer report was listed)"
        FAILED = "failed", "Download failed"
        GONE = "gone", "Gone at YouTube"  # 404: expired or withdrawn, never downloadable again

    youtube_report_id = models.CharField("report id", max_length=64, unique=True)
    content_owner = models.ForeignKey(ContentOwner, on_delete=models.CASCADE, related_name="youtube_reports")
    job_id = models.CharField(max_length=64)
    report_type_id = models.CharField(max_length=100)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    create_time = models.DateTimeField(help_text="When YouTube generated the report.")
    state = models.CharField(max_length=12, choices=State.choices, db_index=True)
    reason = models.TextField(blank=True, help_text="Why it was skipped, or why the download failed.")
    report = models.OneToOneField(
        "reports.Report", null=True, blank=True, on_delete=models.SET_NULL, related_name="youtube_file"
    )
    bytes_downloaded = models.BigIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The run holding a DOWNLOADING claim, and when it last showed progress: a claim without
    # progress for REPORT_PULL_STALE_SECONDS belongs to a killed run and may be taken over.
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "YouTube report file"
        ordering = ["-create_time", "-id"]
        indexes = [
            models.Index(fields=["content_owner", "job_id", "-create_time"], name="ytreport_job_recent")
        ]

    def __str__(self):
        return f"{self.report_type_id} {self.youtube_report_id} ({self.get_state_display()})"


# Metadata templates keep their own module (syncs/metadata_templates/, see its docstring); they are
# imported here so that Django finds them among syncs' models.
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock, TemplatedField  # noqa: E402, F401
