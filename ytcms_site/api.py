"""/api/v1/: the project's router over every app's endpoints (their toolkit is `core/api.py`)."""

from django.http import JsonResponse
from rest_framework.routers import DefaultRouter

from channels_app.api import AuditEventViewSet, ChannelViewSet, ContentOwnerViewSet
from reports.api import ReportRowErrorViewSet, ReportViewSet
from syncs.api import ChangeSetItemViewSet, ChangeSetViewSet, QuotaViewSet, SyncRecordViewSet
from syncs.metadata_templates.api import MetadataTemplateViewSet, TemplateBlockViewSet
from videos.api import AssetViewSet, ClaimViewSet, PolicyViewSet, VideoViewSet


def api_router() -> DefaultRouter:
    """/api/v1/ over every app's viewsets."""
    router = DefaultRouter()
    # `?format=json` is enough; `.json` suffixes would make ids that contain a dot unreachable.
    router.include_format_suffixes = False
    router.register("videos", VideoViewSet, basename="video")
    router.register("channels", ChannelViewSet, basename="channel")
    router.register("content-owners", ContentOwnerViewSet, basename="content-owner")
    router.register("assets", AssetViewSet, basename="asset")
    router.register("claims", ClaimViewSet, basename="claim")
    router.register("policies", PolicyViewSet, basename="policy")
    router.register("reports", ReportViewSet, basename="report")
    router.register(r"reports/(?P<report_pk>[0-9]+)/errors", ReportRowErrorViewSet, basename="report-error")
    router.register("changesets", ChangeSetViewSet, basename="changeset")
    router.register(
        r"changesets/(?P<changeset_pk>[0-9]+)/items", ChangeSetItemViewSet, basename="changeset-item"
    )
    router.register("syncs", SyncRecordViewSet, basename="syncrecord")
    router.register("quota", QuotaViewSet, basename="quota")
    router.register("audit", AuditEventViewSet, basename="audit-event")
    router.register("templates", MetadataTemplateViewSet, basename="metadata-template")
    router.register("template-blocks", TemplateBlockViewSet, basename="template-block")
    return router


def api_not_found(request, *args, **kwargs):
    """A URL under /api/ that names no endpoint: a 404 in the API's error format, not HTML."""
    return JsonResponse(
        {"errors": [{"field": None, "code": "not_found", "message": "No API endpoint at this URL."}]},
        status=404,
    )
