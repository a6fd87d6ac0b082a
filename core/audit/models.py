"""The audit log: one row per state change, never updated or deleted (Zulip's RealmAuditLog).

The ground imports no ytcms app: the content owner, channel and object are named by their ids as
strings, so a row outlives what it names and a content owner's id type is the one place it must
agree with (channels_app.ContentOwner.id, a CharField of 64).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    class Type(models.TextChoices):
        VIDEO_EDITED = "video.edited", "Video edited"
        VIDEO_DRIFT_ACKNOWLEDGED = "video.drift_acknowledged", "Drift acknowledged"
        CHANGESET_EDITED = "changeset.edited", "Edits recorded in change set"
        CLAIM_INSERT_RECORDED = "changeset.claim_insert_recorded", "Claim recorded in change set"
        CLAIM_POLICY_RECORDED = "changeset.claim_policy_recorded", "Claim policy recorded in change set"
        CHANGESET_APPROVED = "changeset.approved", "Change set approved"
        CHANGESET_QUEUED = "changeset.queued", "Change set queued for push"
        CHANGESET_PUSHED = "changeset.pushed", "Change set pushed"
        CONFLICT_RESOLVED_OURS = "conflict.resolved_ours", "Conflict resolved: ours kept"
        CONFLICT_RESOLVED_THEIRS = "conflict.resolved_theirs", "Conflict resolved: YouTube's kept"
        CHANGESET_REVERTED = "changeset.reverted", "Change set reverted"
        CHANGESET_SCHEDULED = "changeset.scheduled", "Change set scheduled"
        CHANGESET_UNSCHEDULED = "changeset.unscheduled", "Change set unscheduled"
        CHANGESET_SCHEDULE_MISSED = "changeset.schedule_missed", "Scheduled change set not pushed"
        CHANGESET_APPROVAL_WITHDRAWN = (
            "changeset.approval_withdrawn",
            "Approval withdrawn (edited after approval)",
        )
        REPORT_IMPORTED = "report.imported", "Report import finished"
        REPORTS_PULLED = "reports.pulled", "Reports fetched from YouTube"
        CREDENTIAL_STATUS_CHANGED = "credential.status_changed", "YouTube connection status changed"
        MEMBERSHIP_ADDED = "membership.added", "Membership added"
        MEMBERSHIP_CHANGED = "membership.changed", "Membership changed"
        MEMBERSHIP_REMOVED = "membership.removed", "Membership removed"
        TEMPLATE_CHANGED = "template.changed", "Metadata template changed"
        TEMPLATE_APPLIED = "template.applied", "Metadata template applied"

    # Set by the writer (not auto_now_add) so that one action's rows share one moment.
    created_at = models.DateTimeField(default=timezone.now)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when no person did, or how: "youtube_push command", "push task", "report import".
    actor_label = models.CharField(max_length=100, blank=True)
    # "" for an event of no content owner (videos of a channel without one).
    content_owner_id = models.CharField(max_length=64, blank=True)
    # The channel the event concerns, when it concerns one: a channel's members see its events.
    channel_id = models.CharField(max_length=24, blank=True)
    event_type = models.CharField(max_length=48, choices=Type.choices)
    object_type = models.CharField(max_length=32)  # "video", "changeset", "report", "membership"…
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    old = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    extra = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "audit event"
        ordering = ["-created_at", "-id"]
        # No "change" or "delete": the log is append-only, even for superusers in the admin.
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["content_owner_id", "created_at"], name="audit_owner_time"),
            models.Index(fields=["object_type", "object_id", "created_at"], name="audit_object_time"),
            models.Index(fields=["channel_id", "created_at"], name="audit_channel_time"),
        ]

    def __str__(self):
        return f"{self.get_event_type_display()}: {self.object_type} {self.object_id}"

    @property
    def actor(self) -> str:
        """Who acted, for people: the user's name (and how), else the label ("push task"), else "ytcms"."""
        if self.acting_user_id is not None:
            name = self.acting_user.get_username()
            return f"{name} ({self.actor_label})" if self.actor_label else name
        return self.actor_label or "ytcms"
