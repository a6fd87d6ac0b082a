"""/api/v1/channels and /api/v1/content-owners: read-only, scoped by the user's memberships."""

import re

import django_filters
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound

from channels_app.models import Channel, ContentOwner
from channels_app.permissions import StaffRecordsPermission
from channels_app.selectors import audit_events_visible_to, channels_visible_to, content_owners_visible_to
from core.api import KeysetOrderingFilter, UTCIsoDateTimeFilter, error_responses
from core.api_views import CatalogueReadOnlyViewSet
from core.audit.models import AuditEvent

READ_RESPONSES = error_responses(401, 403, 404, 429)
LIST_RESPONSES = error_responses(400, 401, 403, 429)


class ContentOwnerSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContentOwner
        fields = ("id", "name", "created_at")
        read_only_fields = fields


class ChannelSerializer(serializers.ModelSerializer):
    # Declared: a read-only field built from the model would drop "may be blank" from the schema.
    privacy_status = serializers.ChoiceField(
        choices=Channel.Privacy.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Channel
        fields = (
            "id",
            "title",
            "content_owner",
            "description",
            "country",
            "published_at",
            "subscriber_count",
            "video_count",
            "view_count",
            "privacy_status",
            "is_linked",
            "updated_at",
        )
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        summary="List channels", responses={200: ChannelSerializer(many=True), **LIST_RESPONSES}
    ),
    retrieve=extend_schema(summary="One channel", responses={200: ChannelSerializer, **READ_RESPONSES}),
)
class ChannelViewSet(CatalogueReadOnlyViewSet):
    """The channels you belong to, directly or through their content owner."""

    model = Channel
    serializer_class = ChannelSerializer
    keyset_orderings = ("title", "id")
    lookup_pattern = re.compile(r"UC[A-Za-z0-9_-]{22}")

    def get_queryset(self):
        return channels_visible_to(user=self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List content owners",
        responses={200: ContentOwnerSerializer(many=True), **LIST_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One content owner", responses={200: ContentOwnerSerializer, **READ_RESPONSES}
    ),
)
class ContentOwnerViewSet(CatalogueReadOnlyViewSet):
    """The content owners you belong to, or one of whose channels you belong to."""

    model = ContentOwner
    serializer_class = ContentOwnerSerializer
    keyset_orderings = ("name", "id")

    def get_queryset(self):
        return content_owners_visible_to(user=self.request.user)


# ----------------------------------------------------------------------------- the audit log

# Ids of audit rows (a BigAutoField): digits only; anything else is a 404 without a query.
AUDIT_ID_PATTERN = re.compile(r"[0-9]{1,18}")


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        read_only=True, help_text="The user's name (and how they acted), or the command or task that acted."
    )
    acting_user = serializers.CharField(source="acting_user.get_username", read_only=True, allow_null=True)
    content_owner = serializers.CharField(source="content_owner_id", read_only=True, allow_blank=True)
    channel = serializers.CharField(source="channel_id", read_only=True, allow_blank=True)
    old = serializers.JSONField(read_only=True, help_text="The values before (null when nothing was there).")
    new = serializers.JSONField(read_only=True, help_text="The values after (null when the object went).")
    extra = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "created_at",
            "event_type",
            "actor",
            "acting_user",
            "actor_label",
            "content_owner",
            "channel",
            "object_type",
            "object_id",
            "object_repr",
            "old",
            "new",
            "extra",
        )
        read_only_fields = fields


class AuditEventFilter(drf_filters.FilterSet):
    object_type = django_filters.CharFilter(max_length=32)
    object_id = django_filters.CharFilter(max_length=64)
    event_type = django_filters.ChoiceFilter(choices=AuditEvent.Type.choices)
    content_owner = django_filters.CharFilter(field_name="content_owner_id", max_length=64)
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="The audit log",
        description="Who did what, append-only, newest first: edits, change sets queued, approved, pushed, "
        "resolved and reverted, report imports, YouTube connection changes, memberships. Each row "
        "holds the old and new values. Only rows of your content owners (or your channels).",
        responses={200: AuditEventSerializer(many=True), **LIST_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One audit event", responses={200: AuditEventSerializer, **READ_RESPONSES}
    ),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit log of the content owners and channels you are a member of (read-only)."""

    model = AuditEvent
    permission_classes = [StaffRecordsPermission]
    serializer_class = AuditEventSerializer
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = AuditEventFilter
    keyset_orderings = ("-created_at", "created_at", "-id", "id")
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return audit_events_visible_to(user=self.request.user).select_related("acting_user")

    def get_object(self):
        if not AUDIT_ID_PATTERN.fullmatch(str(self.kwargs.get(self.lookup_field, ""))):
            raise NotFound("No such object among those you may see.")
        return super().get_object()
