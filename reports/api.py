"""/api/v1/reports: upload a CMS report (imported in the background), follow it, read its row
errors, download its failed rows, re-run it — the admin's report pages, with the admin's rules.

Reports are scoped by content owner (reports.selectors): members of the owner itself see them,
owner-level editors and managers upload and re-run. Every write is a reports.services call.
"""

import json
import re

import django_filters
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import StopUpload
from django.utils.text import get_valid_filename
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, parsers, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.response import Response

from core.api import (
    KeysetOrderingFilter,
    LimitedJSONParser,
    RequestBodyTooLarge,
    StateConflict,
    UTCIsoDateTimeFilter,
    error_responses,
)
from core.api_views import ScopedLookupMixin
from reports.downloads import csv_download
from reports.models import Report, ReportRowError
from reports.selectors import report_is_editable_by, report_owners_importable_by, reports_visible_to
from reports.serializers import (
    ReportRerunSerializer,
    ReportRowErrorSerializer,
    ReportSerializer,
    ReportUploadSerializer,
)
from reports.services import (
    ReportStateError,
    report_create_from_upload,
    report_failed_rows_csv,
    report_rerun,
)

# A report's id: a positive integer the database can hold (a longer one would overflow the query).
REPORT_ID_PATTERN = re.compile(r"[0-9]{1,18}")


class ReportUploadParser(parsers.MultiPartParser):
    """multipart/form-data, refused with 413 past REPORTS_MAX_UPLOAD_BYTES while it streams in.

    reports.uploads.SizeLimitUploadHandler stops reading an oversized upload (by its declared
    length, or as the bytes arrive) and leaves its reason on the request; the file is never
    stored whole.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {})["request"]
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except StopUpload:
            parsed = None  # refused on the declared length, before anything was read
        except RequestDataTooBig:
            # Django's own limit on the fields besides the file: a 413 in our format, not a 400 page.
            raise RequestBodyTooLarge(
                f"The form fields besides the file are larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} "
                "bytes allowed (DATA_UPLOAD_MAX_MEMORY_SIZE)."
            ) from None
        except (TooManyFieldsSent, TooManyFilesSent) as error:
            raise ParseError(str(error)) from None
        refused = getattr(request._request, "upload_refused_reason", None)
        if refused:
            raise RequestBodyTooLarge(refused)
        if parsed is None:
            raise ParseError("The upload was stopped before it was read.")
        return parsed


class CSVRenderer(renderers.BaseRenderer):
    """text/csv for the failed-rows download (the view streams it); errors stay JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return json.dumps(data).encode()


class ReportFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Report.Status.choices)
    content_owner = django_filters.CharFilter(field_name="content_owner_id", max_length=64)
    dry_run = drf_filters.BooleanFilter(help_text="true: previews only; false: imports only.")
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Report
        fields = []


def _report_may_run(user, report: Report) -> bool:
    """The admin's rule for re-running: the change permission and an editing role on the owner."""
    return user.has_perm("reports.change_report") and report_is_editable_by(user=user, report=report)


REPORT_EXAMPLE = OpenApiExample(
    "An import in progress",
    value={
        "id": 42,
        "source": "upload",
        "original_name": "content_owner_video_metadata_a4.csv.gz",
        "content_owner": "owner-a",
        "created_by": "alice",
        "dry_run": False,
        "status": "running",
        "is_finished": False,
        "message": "",
        "layout": "a4",
        "unknown_columns": [],
        "counts": {
            "rows_read": 20000,
            "rows_imported": 1800,
            "rows_unchanged": 18150,
            "rows_rejected": 50,
            "videos_created": 12,
            "videos_updated": 1788,
            "videos_unchanged": 18150,
            "channels_created": 0,
            "claims_upserted": 40,
            "assets_created": 3,
        },
        "progress": {
            "percent": 37,
            "bytes_processed": 3880000,
            "bytes_total": 10485760,
            "checkpoint_line": 20001,
            "attempts": 1,
        },
        "created_at": "2026-11-27T12:00:00Z",
        "started_at": "2026-11-27T12:00:02Z",
        "progress_at": "2026-11-27T12:00:40Z",
        "finished_at": None,
    },
    response_only=True,
    status_codes=["200", "202"],
)
UPLOAD_TOO_LARGE_EXAMPLE = OpenApiExample(
    "Upload too large",
    value={
        "errors": [
            {
                "field": None,
                "code": "body_too_large",
                "message": "The upload is larger than the 4.3 GB allowed (REPORTS_MAX_UPLOAD_BYTES). "
                "Put big reports in the S3 bucket, or import them with manage.py import_report.",
            }
        ]
    },
    response_only=True,
    status_codes=["413"],
)
WRONG_TYPE_EXAMPLE = OpenApiExample(
    "Not a report file",
    value={
        "errors": [
            {
                "field": "file",
                "code": "invalid_file_type",
                "message": "'notes.txt' is not a report file; upload .csv, .csv.gz or .zip.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)
RERUN_EXAMPLE = OpenApiExample("Re-run as a preview", value={"dry_run": True}, request_only=True)
BUSY_EXAMPLE = OpenApiExample(
    "Already running",
    value={"errors": [{"field": None, "code": "invalid_state", "message": "Report #42 is already running."}]},
    response_only=True,
    status_codes=["409"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List reports",
        description="Imports and previews of the content owners you are a member of (a membership of "
        "one channel is not enough: a report spans the whole owner), newest first.",
        responses={200: ReportSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One report: status, counts, progress",
        responses={200: ReportSerializer, **error_responses(401, 403, 404, 429)},
        examples=[REPORT_EXAMPLE],
    ),
)
class ReportViewSet(
    ScopedLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """CMS report imports of your content owners."""

    model = Report
    serializer_class = ReportSerializer
    lookup_pattern = REPORT_ID_PATTERN
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = ReportFilter
    keyset_orderings = ("-created_at", "created_at", "-id", "id")
    parser_classes = [ReportUploadParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return reports_visible_to(user=self.request.user).select_related("created_by")

    @extend_schema(
        summary="Upload a report and queue its import",
        description="multipart/form-data with `file` (.csv, .csv.gz or .zip), `content_owner` and "
        "optionally `dry_run`. The file is streamed to the report storage, never read whole; "
        "larger than REPORTS_MAX_UPLOAD_BYTES is refused with 413 as it arrives. The import runs "
        "in the background: the answer is 202 with the queued report; follow it at "
        "`/api/v1/reports/{id}/`. Needs an editor or manager role on the content owner itself.",
        request=ReportUploadSerializer,
        responses={202: ReportSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
        examples=[REPORT_EXAMPLE, WRONG_TYPE_EXAMPLE, UPLOAD_TOO_LARGE_EXAMPLE],
    )
    def create(self, request):
        user = request.user
        # Before the body is read: a viewer's upload is refused without storing a byte.
        # The admin's has_add_permission: the add permission, and an owner to import into.
        if not user.has_perm("reports.add_report"):
            raise PermissionDenied(
                "Your account's role group (e.g. Viewer) does not allow uploading reports."
            )
        if not (user.is_superuser or report_owners_importable_by(user=user).exists()):
            raise PermissionDenied("Uploading reports needs an editor or manager role on a content owner.")
        serializer = ReportUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        owner = self._importable_owner(user, serializer.validated_data.get("content_owner"))
        report = report_create_from_upload(
            uploaded_file=serializer.validated_data["file"],
            user=user,
            content_owner=owner,
            dry_run=serializer.validated_data["dry_run"],
        )
        report = self.get_queryset().get(pk=report.pk)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)

    @staticmethod
    def _importable_owner(user, owner_id: str | None):
        if not owner_id:
            if user.is_superuser:
                return None
            raise ValidationError(
                {
                    "content_owner": [
                        ErrorDetail("Choose the content owner the report is for.", code="required")
                    ]
                }
            )
        owner = report_owners_importable_by(user=user).filter(pk=owner_id).first()
        if owner is None:
            # The same answer whether the owner does not exist, is someone else's, or only viewed.
            raise ValidationError(
                {
                    "content_owner": [
                        ErrorDetail(
                            f"{owner_id[:64]!r} is not a content owner you may import reports into.",
                            code="not_found",
                        )
                    ]
                }
            )
        return owner

    @extend_schema(
        summary="Download the failed rows as CSV",
        description="The rejected lines with their original cells and an `error` column "
        "(formula-escaped): fix them and upload the file again. Streamed.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The failed rows, as CSV."),
            # Errors stay JSON, whatever the download's type.
            **{
                (code, "application/json"): answer
                for code, answer in error_responses(401, 403, 404, 429).items()
            },
        },
        operation_id="reports_failed_rows_csv",
        # Not offered: ?format=csv would answer an error with JSON under the text/csv type.
        parameters=[OpenApiParameter("format", exclude=True)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="failed-rows.csv",
        renderer_classes=[renderers.JSONRenderer, CSVRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def failed_rows(self, request, pk=None):
        report = self.get_object()
        stem = get_valid_filename(report.original_name.split(".")[0] or "report") or "report"
        return csv_download(
            request=request,
            chunks=report_failed_rows_csv(report=report),
            filename=f"failed-rows-{report.pk}-{stem}.csv",
        )

    @extend_schema(
        summary="Re-run a finished report",
        description="Queues the report again: a failed import resumes after its last committed "
        "line, a finished one starts over (re-importing changes nothing twice). 409 while it is "
        "queued or running. Needs an editor or manager role on the report's content owner.",
        request=ReportRerunSerializer,
        responses={202: ReportSerializer, **error_responses(400, 401, 403, 404, 409, 413, 415, 429)},
        examples=[RERUN_EXAMPLE, BUSY_EXAMPLE],
    )
    @action(detail=True, methods=["post"], parser_classes=[LimitedJSONParser], filter_backends=[])
    def rerun(self, request, pk=None):
        report = self.get_object()
        if not _report_may_run(request.user, report):
            raise PermissionDenied(
                "Re-running a report needs an editor or manager role on its content owner."
            )
        serializer = ReportRerunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            report_rerun(report=report, dry_run=serializer.validated_data["dry_run"], user=request.user)
        except ReportStateError as error:
            raise StateConflict(str(error)) from None
        report = self.get_queryset().get(pk=report.pk)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="A report's row errors",
        description="The rejected lines of one report, by line number, a cursor page at a time.",
        parameters=[
            OpenApiParameter("report_pk", int, OpenApiParameter.PATH, description="The report's id.")
        ],
        responses={200: ReportRowErrorSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    ),
)
class ReportRowErrorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rejected lines of one report."""

    model = ReportRowError
    serializer_class = ReportRowErrorSerializer
    filter_backends = [KeysetOrderingFilter]
    keyset_orderings = ("line_number", "-line_number")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportRowError.objects.none()  # the schema generator asks for no report
        report_id = str(self.kwargs.get("report_pk", ""))
        report = None
        if REPORT_ID_PATTERN.fullmatch(report_id):
            report = reports_visible_to(user=self.request.user).filter(pk=int(report_id)).first()
        if report is None:
            raise NotFound("No such object among those you may see.")
        return ReportRowError.objects.filter(report=report)
