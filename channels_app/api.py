"""/api/v1/channels and /api/v1/content-owners: read-only, scoped by the user's memberships."""

import re

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from channels_app.models import Channel, ContentOwner
from channels_app.selectors import channels_visible_to, content_owners_visible_to
from core.api import error_responses
from core.api_views import CatalogueReadOnlyViewSet

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
