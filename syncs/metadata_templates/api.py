"""/api/v1/templates/ and /api/v1/template-blocks/: metadata templates and the named blocks they
share, written, applied and rendered again (#19).

The admin's rules and services: anyone who belongs to a content owner (or one of its channels)
reads its templates and blocks; its owner-level editors and managers whose role group may add,
change or delete them write them (metadata_template_save, template_block_save…, which check the
text and record the audit row). Applying and re-rendering call the same selectors and services
as the admin action: one preview (over-limit videos first), then the edits in the caller's draft
change set. A template or block of an owner the user does not belong to is a 404.
"""

import re

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from channels_app.permissions import CatalogueReadPermission
from channels_app.selectors import content_owners_visible_to
from core.api import UNKNOWN_FIELD_EXAMPLE, KeysetOrderingFilter, error_responses
from core.api_views import ScopedLookupMixin
from syncs.changesets.selectors import changeset_open_drafts_of
from syncs.metadata_templates.models import MetadataTemplate, TemplateBlock
from syncs.metadata_templates.selectors import (
    metadata_template_preview,
    metadata_template_rerender_plan,
    metadata_templates_visible_to,
    template_blocks_visible_to,
)
from syncs.metadata_templates.services import (
    metadata_template_delete,
    metadata_template_save,
    metadata_template_scoped_videos,
    template_apply,
    template_block_delete,
    template_block_save,
    template_rerender,
)
from videos.serializers import StrictSerializer

# Each video is one edit under its row lock (the admin action's limit too).
TEMPLATE_APPLY_MAX_VIDEOS = 1000


class MetadataTemplateSerializer(serializers.ModelSerializer):
    channels = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = MetadataTemplate
        fields = ("id", "content_owner", "channels", "name", "field", "body", "version", "updated_at")
        read_only_fields = fields


# A template's text is checked for what it names, not for its length (its rendered value is, per
# video); this bound only keeps a request from storing megabytes.
TEMPLATE_BODY_MAX_CHARS = 20_000
BODY_HELP = (
    "Text with the placeholders {title}, {artist}, {album}, {isrc}, {custom_id}, {channel}, "
    "{release_date} and {block:name} (a block of the template's content owner). Anything else in "
    "braces, or template-engine syntax ({{ }}, {% %}), is refused when saved."
)


class MetadataTemplateWriteSerializer(StrictSerializer):
    content_owner = serializers.CharField(
        max_length=64, help_text="The content owner's id; you must be its owner-level editor or manager."
    )
    name = serializers.CharField(max_length=100)
    field = serializers.ChoiceField(choices=MetadataTemplate.Field.choices, help_text="What it renders.")
    body = serializers.CharField(
        max_length=TEMPLATE_BODY_MAX_CHARS, trim_whitespace=False, help_text=BODY_HELP
    )
    channels = serializers.ListField(
        child=serializers.CharField(max_length=24),
        required=False,
        max_length=1000,
        help_text="Channel ids of the content owner it is limited to; empty: all of them.",
    )


class MetadataTemplateUpdateSerializer(MetadataTemplateWriteSerializer):
    content_owner = serializers.CharField(read_only=True)
    read_only_reasons = {
        "content_owner": "a template stays with its content owner; create one for the other owner.",
        "version": "it is raised when the field or the body changes.",
        "id": "it is the template's.",
        "updated_at": "it is the time of the last change.",
    }


class TemplateBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplateBlock
        fields = ("id", "content_owner", "name", "body", "updated_at")
        read_only_fields = fields


class TemplateBlockWriteSerializer(StrictSerializer):
    content_owner = serializers.CharField(
        max_length=64, help_text="The content owner's id; you must be its owner-level editor or manager."
    )
    name = serializers.CharField(
        max_length=50, help_text="Lower-case letters, digits and _, from a letter; used as {block:name}."
    )
    body = serializers.CharField(
        max_length=TEMPLATE_BODY_MAX_CHARS,
        trim_whitespace=False,
        allow_blank=True,
        help_text="May use the fields ({title}, {artist}…), not other blocks.",
    )


class TemplateBlockUpdateSerializer(TemplateBlockWriteSerializer):
    content_owner = serializers.CharField(read_only=True)
    read_only_reasons = {
        "content_owner": "a block stays with its content owner; create one for the other owner.",
        "id": "it is the block's.",
        "updated_at": "it is the time of the last change.",
    }


class TemplateApplySerializer(StrictSerializer):
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


class TemplateRerenderSerializer(StrictSerializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Only list the videos to render again and the diverged ones."
    )


class TemplateRerenderResultSerializer(serializers.Serializer):
    template = serializers.IntegerField()
    version = serializers.IntegerField()
    field = serializers.CharField()
    dry_run = serializers.BooleanField()
    to_render = serializers.ListField(
        child=serializers.CharField(),
        help_text="Videos an older version wrote whose field still holds what it wrote: rendered again.",
    )
    diverged = serializers.ListField(
        child=serializers.CharField(),
        help_text="Videos an older version wrote whose field was changed since (by hand or on "
        "YouTube): left alone.",
    )
    updated = serializers.IntegerField(
        allow_null=True, help_text="Videos given a new value in your draft (null on a dry run)."
    )
    invalid = serializers.IntegerField(
        allow_null=True, help_text="Videos left as they are: the new text breaks a YouTube limit."
    )
    unchanged = serializers.IntegerField(allow_null=True)
    changeset = serializers.IntegerField(allow_null=True, help_text="The draft the edits went into.")


APPLY_EXAMPLE = OpenApiExample(
    "Preview a title template on two videos",
    request_only=True,
    value={"video_ids": ["a1song00001", "a1live00001"], "dry_run": True},
)
CREATE_EXAMPLE = OpenApiExample(
    "A description with the owner's footer",
    request_only=True,
    value={
        "content_owner": "owner-a",
        "name": "Release description",
        "field": "description",
        "body": "{title} by {artist}, out {release_date}.\n\n{block:footer}",
        "channels": [],
    },
)
UNKNOWN_PLACEHOLDER_EXAMPLE = OpenApiExample(
    "A placeholder that is not a field",
    response_only=True,
    status_codes=["400"],
    value={
        "errors": [
            {
                "field": "body",
                "code": "unknown_field",
                "message": "{artsit} is not a field a template can use; use one of {title}, {artist}, "
                "{album}, {isrc}, {custom_id}, {channel}, {release_date} or {block:name}.",
            }
        ]
    },
)
BLOCK_EXAMPLE = OpenApiExample(
    "A footer of links",
    request_only=True,
    value={
        "content_owner": "owner-a",
        "name": "footer",
        "body": "Listen: https://label.example/{custom_id}\nFollow {channel}",
    },
)
RERENDER_EXAMPLE = OpenApiExample(
    "Two videos rendered again, one left alone",
    response_only=True,
    value={
        "template": 7,
        "version": 3,
        "field": "title",
        "dry_run": False,
        "to_render": ["a1song00001", "a2clip00001"],
        "diverged": ["a1live00001"],
        "updated": 2,
        "invalid": 0,
        "unchanged": 0,
        "changeset": 42,
    },
)

WRITE_ERRORS = error_responses(400, 401, 403, 404, 413, 415, 429)


def _require_model_permission(user, model, verb: str) -> None:
    """The admin's rule: the role group's add/change/delete permission on the model (a viewer has
    only view), before the owner-level role the services check."""
    if not user.has_perm(f"{model._meta.app_label}.{verb}_{model._meta.model_name}"):
        raise PermissionDenied(f"Your account's role group may not {verb} {model._meta.verbose_name_plural}.")


def _owner_visible_to(user, content_owner_id: str):
    """The content owner named in a body, among those the user belongs to: one they do not is
    answered as one that does not exist."""
    owner = content_owners_visible_to(user=user).filter(pk=content_owner_id).first()
    if owner is None:
        raise ValidationError(
            {
                "content_owner": [
                    ErrorDetail("No such content owner among those you may see.", code="not_found")
                ]
            }
        )
    return owner


def _created(serializer_class, instance) -> Response:
    return Response(serializer_class(instance).data, status=status.HTTP_201_CREATED)


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
    create=extend_schema(
        summary="Create a metadata template",
        description="Checked when saved: a placeholder that is not a field (`unknown_field`), a block "
        "its content owner has not (`unknown_block`) or template-engine syntax (`template_syntax`) "
        "is refused with 400 naming it. Needs an owner-level editor or manager role on "
        "`content_owner`; recorded in the audit log (`template.changed`).",
        request=MetadataTemplateWriteSerializer,
        responses={201: MetadataTemplateSerializer, **WRITE_ERRORS},
        examples=[CREATE_EXAMPLE, UNKNOWN_PLACEHOLDER_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change a metadata template",
        description="Any of `name`, `field`, `body`, `channels`, checked as on creation. A new field "
        "or body raises `version`: the videos an older version wrote can then be rendered again "
        "(`rerender/`). The content owner cannot change.",
        request=MetadataTemplateUpdateSerializer,
        responses={200: MetadataTemplateSerializer, **WRITE_ERRORS},
        examples=[UNKNOWN_PLACEHOLDER_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    ),
    destroy=extend_schema(
        summary="Delete a metadata template",
        description="The videos it wrote keep their values and forget the template.",
        responses={204: None, **error_responses(401, 403, 404, 429)},
    ),
)
class MetadataTemplateViewSet(ScopedLookupMixin, viewsets.ModelViewSet):
    """Metadata templates of the content owners you belong to."""

    model = MetadataTemplate
    permission_classes = [CatalogueReadPermission]
    lookup_pattern = re.compile(r"[0-9]{1,18}")
    serializer_class = MetadataTemplateSerializer
    filter_backends = [KeysetOrderingFilter]
    keyset_orderings = ("id", "-id")
    # PATCH only: a PUT that forgot `channels` would silently widen a template to every channel.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MetadataTemplate.objects.none()
        return metadata_templates_visible_to(user=self.request.user).prefetch_related("channels")

    def get_serializer_class(self):
        return {
            "apply": TemplateApplySerializer,
            "rerender": TemplateRerenderSerializer,
            "create": MetadataTemplateWriteSerializer,
            "partial_update": MetadataTemplateUpdateSerializer,
        }.get(self.action, MetadataTemplateSerializer)

    def _answer(self, template: MetadataTemplate, status_code=status.HTTP_200_OK) -> Response:
        template = self.get_queryset().get(pk=template.pk)  # the channels as saved
        return Response(MetadataTemplateSerializer(template).data, status=status_code)

    def create(self, request, *args, **kwargs):
        _require_model_permission(request.user, MetadataTemplate, "add")
        serializer = MetadataTemplateWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = MetadataTemplate(
            content_owner=_owner_visible_to(request.user, data["content_owner"]),
            name=data["name"],
            field=data["field"],
            body=data["body"],
        )
        metadata_template_save(template=template, user=request.user, channel_ids=data.get("channels", []))
        return self._answer(template, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        template = self.get_object()
        _require_model_permission(request.user, MetadataTemplate, "change")
        serializer = MetadataTemplateUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        for name in ("name", "field", "body"):
            if name in data:
                setattr(template, name, data[name])
        metadata_template_save(template=template, user=request.user, channel_ids=data.get("channels"))
        return self._answer(template)

    def destroy(self, request, *args, **kwargs):
        template = self.get_object()
        _require_model_permission(request.user, MetadataTemplate, "delete")
        metadata_template_delete(template=template, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

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
                changeset = _draft_of(request.user, template)
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

    @extend_schema(
        summary="Render a changed template again",
        description="After a template (or a block it uses) changed, renders its current version for "
        "every video you may edit that an older version wrote, as one set of edits in your draft "
        "change set to review, preview and push (`changeset`). A video whose field was changed since "
        "(by hand, or on YouTube) is left alone and listed in `diverged`. `dry_run` only lists "
        "both. More than 1,000 videos to render is refused (`too_many`): apply the template to them "
        "in selections with `apply/` (the dry run lists them).",
        request=TemplateRerenderSerializer,
        responses={200: TemplateRerenderResultSerializer, **error_responses(400, 401, 403, 404, 429)},
        examples=[RERENDER_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rerender(self, request, pk=None):
        template = self.get_object()
        serializer = TemplateRerenderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dry_run = serializer.validated_data["dry_run"]
        if not dry_run and not request.user.has_perm("videos.change_video"):
            raise PermissionDenied("Your account may read videos but not change them.")
        with transaction.atomic():
            plan = metadata_template_rerender_plan(template=template, user=request.user)
            body = {
                "template": template.pk,
                "version": template.version,
                "field": template.field,
                "dry_run": dry_run,
                "to_render": [video.pk for video in plan.to_render],
                "diverged": [video.pk for video in plan.diverged],
                "updated": None,
                "invalid": None,
                "unchanged": None,
                "changeset": None,
            }
            if not dry_run:
                if len(plan.to_render) > TEMPLATE_APPLY_MAX_VIDEOS:
                    raise ValidationError(
                        {
                            "non_field_errors": [
                                ErrorDetail(
                                    f"{len(plan.to_render):,} videos to render again: more than "
                                    f"{TEMPLATE_APPLY_MAX_VIDEOS:,} at once. Apply the template to them "
                                    "in selections with apply/ (a dry run lists them).",
                                    code="too_many",
                                )
                            ]
                        }
                    )
                result = template_rerender(template=template, user=request.user)
                body.update(
                    updated=result.applied.updated,
                    invalid=result.applied.skipped_invalid,
                    unchanged=result.applied.unchanged,
                    changeset=_draft_of(request.user, template),
                )
        return Response(body)


def _draft_of(user, template: MetadataTemplate) -> int | None:
    drafts = changeset_open_drafts_of(user=user, content_owner_ids=[template.content_owner_id])
    return drafts[0].pk if drafts else None


@extend_schema_view(
    list=extend_schema(
        summary="List template blocks",
        description="Named blocks (a footer of links) of the content owners you belong to, used in "
        "templates as {block:name}.",
        responses={200: TemplateBlockSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One template block",
        responses={200: TemplateBlockSerializer, **error_responses(401, 403, 404, 429)},
    ),
    create=extend_schema(
        summary="Create a template block",
        description="Its body may use the fields, not another block; checked as a template's. Needs an "
        "owner-level editor or manager role on `content_owner`; recorded in the audit log.",
        request=TemplateBlockWriteSerializer,
        responses={201: TemplateBlockSerializer, **WRITE_ERRORS},
        examples=[BLOCK_EXAMPLE, UNKNOWN_PLACEHOLDER_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    ),
    partial_update=extend_schema(
        summary="Change a template block",
        description="A new body raises the version of every template using the block, so that "
        "their videos can be rendered again (`/api/v1/templates/{id}/rerender/`). Renaming a block "
        "templates use is refused (`block_in_use`).",
        request=TemplateBlockUpdateSerializer,
        responses={200: TemplateBlockSerializer, **WRITE_ERRORS},
        examples=[UNKNOWN_PLACEHOLDER_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    ),
    destroy=extend_schema(
        summary="Delete a template block",
        description="Refused while a template uses it (`block_in_use`, 400).",
        responses={204: None, **error_responses(400, 401, 403, 404, 429)},
    ),
)
class TemplateBlockViewSet(ScopedLookupMixin, viewsets.ModelViewSet):
    """Template blocks of the content owners you belong to."""

    model = TemplateBlock
    permission_classes = [CatalogueReadPermission]
    lookup_pattern = re.compile(r"[0-9]{1,18}")
    serializer_class = TemplateBlockSerializer
    filter_backends = [KeysetOrderingFilter]
    keyset_orderings = ("id", "-id")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TemplateBlock.objects.none()
        return template_blocks_visible_to(user=self.request.user)

    def get_serializer_class(self):
        return {
            "create": TemplateBlockWriteSerializer,
            "partial_update": TemplateBlockUpdateSerializer,
        }.get(self.action, TemplateBlockSerializer)

    def create(self, request, *args, **kwargs):
        _require_model_permission(request.user, TemplateBlock, "add")
        serializer = TemplateBlockWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        block = TemplateBlock(
            content_owner=_owner_visible_to(request.user, data["content_owner"]),
            name=data["name"],
            body=data["body"],
        )
        template_block_save(block=block, user=request.user)
        return _created(TemplateBlockSerializer, block)

    def partial_update(self, request, *args, **kwargs):
        block = self.get_object()
        _require_model_permission(request.user, TemplateBlock, "change")
        serializer = TemplateBlockUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        for name, value in serializer.validated_data.items():
            setattr(block, name, value)
        template_block_save(block=block, user=request.user)
        return Response(TemplateBlockSerializer(block).data)

    def destroy(self, request, *args, **kwargs):
        block = self.get_object()
        _require_model_permission(request.user, TemplateBlock, "delete")
        template_block_delete(block=block, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
