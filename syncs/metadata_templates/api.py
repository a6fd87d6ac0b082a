"""/api/v1/templates/: the metadata templates you may see, and applying one to videos (#19).

Writing templates stays in the admin for now; applying is the endpoint scripts need. It calls the
same selectors and services as the admin action: one preview (over-limit videos first), then the
edits in the caller's draft change set.
"""

import re

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from channels_app.permissions import CatalogueReadPermission
from core.api import KeysetOrderingFilter, error_responses
from core.api_views import ScopedLookupMixin
from syncs.changesets.selectors import changeset_open_drafts_of
from syncs.metadata_templates.models import MetadataTemplate
from syncs.metadata_templates.selectors import metadata_template_preview, metadata_templates_visible_to
from syncs.metadata_templates.services import metadata_template_scoped_videos, template_apply

# Each video is one edit under its row lock (the admin action's limit too).
TEMPLATE_APPLY_MAX_VIDEOS = 1000


class MetadataTemplateSerializer(serializers.ModelSerializer):
    channels = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = MetadataTemplate
        fields = ("id", "content_owner", "channels", "name", "field", "body", "version", "updated_at")
        read_only_fields = fields


class TemplateApplySerializer(serializers.Serializer):
    video_ids = serializers.ListField(
        child=serializers.CharField(max_length=11), min_length=1, max_length=TEMPLATE_APPLY_MAX_VIDEOS
    )
    dry_run = serializers.BooleanField(default=False, help_text="Only preview: nothing is recorded.")


class TemplateViolationSerializer(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class TemplatePreviewRowSerializer(serializers.Serializer):
    video_id = serializers.CharField(source="video.pk")
    old = serializers.JSONField()
    new = serializers.JSONField()
    changes = serializers.BooleanField()
    measure = serializers.IntegerField(help_text="The new value's size as YouTube counts it.")
    unit = serializers.CharField()
    violations = TemplateViolationSerializer(many=True)


class TemplateApplyResultSerializer(serializers.Serializer):
    template = serializers.IntegerField()
    version = serializers.IntegerField()
    field = serializers.CharField()
    dry_run = serializers.BooleanField()
    changing = serializers.IntegerField()
    invalid = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    changeset = serializers.IntegerField(allow_null=True, help_text="The draft the edits went into.")
    rows = TemplatePreviewRowSerializer(many=True, help_text="Videos that break a YouTube limit first.")


APPLY_EXAMPLE = OpenApiExample(
    "Preview a title template on two videos",
    request_only=True,
    value={"video_ids": ["a1song00001", "a1live00001"], "dry_run": True},
)


@extend_schema_view(
    list=extend_schema(
        summary="List metadata templates",
        description="Templates of the content owners you belong to: the field they render and their text.",
        responses={200: MetadataTemplateSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One metadata template",
        responses={200: MetadataTemplateSerializer, **error_responses(401, 403, 404, 429)},
    ),
)
class MetadataTemplateViewSet(
    ScopedLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Metadata templates of the content owners you belong to."""

    model = MetadataTemplate
    permission_classes = [CatalogueReadPermission]
    lookup_pattern = re.compile(r"[0-9]{1,18}")
    serializer_class = MetadataTemplateSerializer
    filter_backends = [KeysetOrderingFilter]
    keyset_orderings = ("id", "-id")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MetadataTemplate.objects.none()
        return metadata_templates_visible_to(user=self.request.user).prefetch_related("channels")

    def get_serializer_class(self):
        if self.action == "apply":
            return TemplateApplySerializer
        return super().get_serializer_class()

    @extend_schema(
        summary="Apply a template to videos",
        description="Renders the template for each of `video_ids` (at most 1,000) and answers per video "
        "the old and new value and its size, videos whose new value breaks a YouTube limit first. "
        "Unless `dry_run`, the new values are recorded in your draft change set (videos over a "
        "limit are left as they are). Every video must be one you may edit, of the template's "
        "content owner and channels.",
        request=TemplateApplySerializer,
        responses={200: TemplateApplyResultSerializer, **error_responses(400, 401, 403, 404, 429)},
        examples=[APPLY_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def apply(self, request, pk=None):
        template = self.get_object()
        serializer = TemplateApplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dry_run = serializer.validated_data["dry_run"]
        if not dry_run and not request.user.has_perm("videos.change_video"):
            raise PermissionDenied("Your account may read videos but not change them.")
        with transaction.atomic():
            videos = metadata_template_scoped_videos(
                template=template, video_ids=serializer.validated_data["video_ids"], user=request.user
            )
            preview = metadata_template_preview(template=template, videos=videos)
            changeset = None
            if not dry_run:
                template_apply(
                    template=template, videos=[row.video for row in preview.rows], user=request.user
                )
                drafts = changeset_open_drafts_of(
                    user=request.user, content_owner_ids=[template.content_owner_id]
                )
                changeset = drafts[0].pk if drafts else None
        body = {
            "template": template.pk,
            "version": template.version,
            "field": template.field,
            "dry_run": dry_run,
            "changing": len(preview.changing),
            "invalid": len(preview.invalid),
            "unchanged": preview.unchanged_count,
            "changeset": changeset,
            "rows": TemplatePreviewRowSerializer(preview.rows, many=True).data,
        }
        return Response(body)
