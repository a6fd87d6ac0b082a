"""The API's shapes of reports: an import with its status, counts and progress; its row errors;
what an upload and a re-run take. Reading the file and importing it is reports.services' work."""

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from reports.forms import REPORT_SUFFIXES
from reports.models import Report, ReportRowError
from reports.uploads import _size
from videos.serializers import StrictBooleanField, StrictSerializer


class ReportCountsSerializer(serializers.Serializer):
    """rows_read = rows_imported + rows_unchanged + rows_rejected, always."""

    rows_read = serializers.IntegerField(read_only=True)
    rows_imported = serializers.IntegerField(read_only=True)
    rows_unchanged = serializers.IntegerField(read_only=True)
    rows_rejected = serializers.IntegerField(read_only=True, help_text="Lines listed at `errors`.")
    videos_created = serializers.IntegerField(read_only=True)
    videos_updated = serializers.IntegerField(read_only=True)
    videos_unchanged = serializers.IntegerField(read_only=True)
    channels_created = serializers.IntegerField(read_only=True)
    claims_upserted = serializers.IntegerField(read_only=True)
    assets_created = serializers.IntegerField(read_only=True)


class ReportProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(source="progress_percent", read_only=True, help_text="0 to 100.")
    bytes_processed = serializers.IntegerField(read_only=True)
    bytes_total = serializers.IntegerField(read_only=True)
    checkpoint_line = serializers.IntegerField(
        read_only=True, help_text="Last line committed; a resumed import continues after it."
    )
    attempts = serializers.IntegerField(read_only=True)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    source = serializers.ChoiceField(choices=Report.Source.choices, read_only=True)
    original_name = serializers.CharField(read_only=True)
    content_owner = serializers.CharField(source="content_owner_id", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, allow_null=True)
    dry_run = serializers.BooleanField(read_only=True, help_text="A preview: nothing is written.")
    status = serializers.ChoiceField(choices=Report.Status.choices, read_only=True)
    is_finished = serializers.BooleanField(read_only=True)
    message = serializers.CharField(read_only=True, help_text="What the import did, or why it failed.")
    layout = serializers.CharField(read_only=True, help_text="The report layout recognised (a4, studio, …).")
    unknown_columns = serializers.ListField(child=serializers.CharField(), read_only=True)
    counts = ReportCountsSerializer(source="*", read_only=True)
    progress = ReportProgressSerializer(source="*", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    progress_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ReportRowErrorSerializer(serializers.ModelSerializer):
    raw = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The row's cells as read."
    )

    class Meta:
        model = ReportRowError
        fields = ("id", "line_number", "column", "value_excerpt", "reason", "raw")
        read_only_fields = fields


class ReportUploadSerializer(StrictSerializer):
    """A multipart upload: the file, the content owner it is for, and preview or import."""

    file = serializers.FileField(
        help_text="A YouTube CMS video report: .csv, .csv.gz or .zip (one CSV inside); at most "
        "REPORTS_MAX_UPLOAD_BYTES (4 GiB by default).",
        allow_empty_file=False,
    )
    content_owner = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Id of the content owner the report is for: one where you hold an editor or "
        "manager role. Required unless you are a superuser.",
    )
    # A form field: multipart sends text, so "true"/"false" (and 1/0) are what a client can send.
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="true: preview (compare, write nothing); false: import."
    )

    def validate_file(self, upload):
        limit = settings.REPORTS_MAX_UPLOAD_BYTES
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                [ErrorDetail(f"The file is larger than the {_size(limit)} allowed.", code="too_large")]
            )
        if not upload.name.lower().endswith(REPORT_SUFFIXES):
            raise ValidationError(
                [
                    ErrorDetail(
                        f"{upload.name[:100]!r} is not a report file; upload .csv, .csv.gz or .zip.",
                        code="invalid_file_type",
                    )
                ]
            )
        return upload


class ReportRerunSerializer(StrictSerializer):
    dry_run = StrictBooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: run as a preview; false: as an import; absent or null: as last time.",
    )
