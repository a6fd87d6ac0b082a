"""/api/v1/videos, assets, claims, policies: the admin's catalogue, with the admin's rules.

Which rows a user sees comes from the selectors (videos_visible_to, videos_editable_by,
content_owners_visible_to), so an object outside the user's memberships is a 404, never a 403.
Every write goes through videos.services, as the admin's do.
"""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from channels_app.permissions import TokenRateThrottle
from channels_app.selectors import content_owners_visible_to
from core.api import (
    UNKNOWN_FIELD_EXAMPLE,
    VALIDATION_ERROR_EXAMPLE,
    BulkRateThrottle,
    KeysetOrderingFilter,
    UserRateThrottle,
    error_responses,
)
from core.api_views import CatalogueReadOnlyViewSet, ScopedLookupMixin
from videos.filters import AssetFilter, ClaimFilter, VideoFilter
from videos.models import Asset, Claim, Policy, Video
from videos.selectors import (
    VIDEO_ID_PATTERN,
    video_is_editable_by,
    videos_editable_by,
    videos_visible_to,
)
from videos.serializers import (
    VIDEO_LIST_FIELDS,
    AssetSerializer,
    BulkEditRequestSerializer,
    BulkEditResultSerializer,
    BulkEditSpecSerializer,
    ClaimSerializer,
    PolicySerializer,
    VideoDetailSerializer,
    VideoSummarySerializer,
    VideoUpdateSerializer,
)
from videos.services import (
    video_update,
    videos_bulk_edit,
    videos_bulk_edit_preview,
    videos_bulk_edit_validate,
)

# Where an API edit goes: what we want, pending until a push (validated by videos.validation,
# audited in the admin's history); neither ever pushes to YouTube. syncs, which videos does not
# import, makes them its use cases when it is ready (SyncsConfig.ready): they read the video under
# its row lock and record the edit in the user's open draft change set, with the same keyword
# arguments.
record_video_edit = video_update
record_bulk_edit = videos_bulk_edit

# How many changing videos a bulk preview lists; its counts always cover the whole selection.
BULK_PREVIEW_ROWS = 200


# ----------------------------------------------------------------------------- videos

PATCH_EXAMPLE = OpenApiExample(
    "Retitle and retag",
    value={"title": "Midnight Song (Live at Dawn)", "tags": ["live", "night"], "privacy_status": "unlisted"},
    request_only=True,
)
LOCALIZED_PATCH_EXAMPLE = OpenApiExample(
    "Add a French title",
    value={"default_language": "en", "localizations": {"fr": {"title": "Chanson de minuit"}}},
    request_only=True,
)
LOCALIZATION_ERROR_EXAMPLE = OpenApiExample(
    "Localized title too long",
    value={
        "errors": [
            {
                "field": "localizations.fr.title",
                "code": "too_long",
                "message": "fr title is 120 characters; YouTube allows 100.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)
BULK_EXAMPLE = OpenApiExample(
    "Make three videos unlisted and tag them",
    value={
        "video_ids": ["a1song00001", "a1live00001", "a2clip00001"],
        "edit": {"privacy_status": "unlisted", "add_tags": ["archive"]},
        "preview": True,
    },
    request_only=True,
)
TOO_MANY_EXAMPLE = OpenApiExample(
    "Too many videos",
    value={
        "errors": [
            {
                "field": "video_ids",
                "code": "too_many",
                "message": "12,000 video ids; one bulk edit takes at most 10,000. Split the edit "
                "into several requests.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        summary="List videos",
        description="The videos of the channels and content owners you belong to, a cursor page at "
        "a time (follow `next`). Filters combine; `search` is the admin's search.",
        responses={200: VideoSummarySerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One video",
        responses={200: VideoDetailSerializer, **error_responses(401, 403, 404, 429)},
    ),
    partial_update=extend_schema(
        summary="Change what we want for a video",
        description="Records the new values as pending changes (shown in `pending_fields`); it "
        "never pushes to YouTube by itself. Values are checked against YouTube's limits; unknown "
        "and read-only fields are refused (`unknown_field`). Needs an editor or manager role on "
        "the video's channel or content owner.",
        request=VideoUpdateSerializer,
        responses={
            200: VideoDetailSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415, 429),
        },
        examples=[
            PATCH_EXAMPLE,
            LOCALIZED_PATCH_EXAMPLE,
            VALIDATION_ERROR_EXAMPLE,
            LOCALIZATION_ERROR_EXAMPLE,
            UNKNOWN_FIELD_EXAMPLE,
        ],
    ),
)
class VideoViewSet(
    ScopedLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Videos of the channels and content owners you belong to."""

    model = Video
    lookup_pattern = VIDEO_ID_PATTERN
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = VideoFilter
    # Each is served by an index on (field, id); title is not offered: sorting 10^7 titles has
    # no index to walk, so a page deep in it would cost a sort of the whole list.
    keyset_orderings = ("-published_at", "published_at", "-updated_at", "updated_at", "-id", "id")
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        videos = videos_visible_to(user=self.request.user)
        if self.action == "list":
            columns = [name for name in VIDEO_LIST_FIELDS if name != "channel"] + ["channel_id"]
            return videos.only(*columns)
        return videos.select_related("channel")

    def get_serializer_class(self):
        if self.action == "list":
            return VideoSummarySerializer
        if self.action == "bulk_edit":
            return BulkEditRequestSerializer
        if self.action == "partial_update" and self.request.method == "PATCH":
            return VideoUpdateSerializer
        return VideoDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        video = self.get_object()
        _check_may_edit(request.user, video)
        serializer = VideoUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # syncs' use case reads the row again under its lock: two PATCHes of different fields never
        # undo each other.
        record_video_edit(video=video, changes=serializer.validated_data, user=request.user)
        video = self.get_queryset().get(pk=video.pk)
        return Response(VideoDetailSerializer(video, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Bulk edit videos",
        description="One edit for up to BULK_EDIT_MAX_VIDEOS (10,000) videos, as the admin's bulk "
        "edit: `preview: true` (the default) shows what would change and which videos would break "
        "a YouTube limit; `preview: false` saves the changes of the others as pending changes. "
        "Nothing is pushed to YouTube. Every video must be one you may edit.",
        request=BulkEditRequestSerializer,
        responses={200: BulkEditResultSerializer, **error_responses(400, 401, 403, 413, 415, 429)},
        examples=[BULK_EXAMPLE, TOO_MANY_EXAMPLE],
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-edit",
        throttle_classes=[TokenRateThrottle, UserRateThrottle, BulkRateThrottle],
        filter_backends=[],
        pagination_class=None,
    )
    def bulk_edit(self, request):
        serializer = BulkEditRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data["video_ids"]
        edit = BulkEditSpecSerializer.to_edit(serializer.validated_data["edit"])
        # Texts longer than the field they go into are refused before any video is read.
        violations = videos_bulk_edit_validate(edit=edit)
        if violations:
            errors: dict[str, list[ErrorDetail]] = {}
            for violation in violations:
                errors.setdefault(violation.field, []).append(
                    ErrorDetail(violation.message, code=violation.code)
                )
            raise ValidationError({"edit": errors})
        preview = serializer.validated_data["preview"]
        user = request.user

        visible = set(videos_visible_to(user=user).filter(pk__in=ids).values_list("pk", flat=True))
        missing = [video_id for video_id in ids if video_id not in visible]
        if missing:
            # The same answer whether a video does not exist or belongs to someone else.
            raise video_ids_error(missing, "not found among the videos you may see", "not_found")
        if not user.has_perm("videos.change_video"):
            raise PermissionDenied("Your account may read videos but not change them.")
        editable = videos_editable_by(user=user).filter(pk__in=ids)
        editable_ids = set(editable.values_list("pk", flat=True))
        read_only = [video_id for video_id in ids if video_id not in editable_ids]
        if read_only:
            raise PermissionDenied(
                f"You may read but not change {len(read_only):,} of these videos "
                f"({ids_summary(read_only)}): editing needs an editor or manager role on their channel."
            )
        videos = list(editable.order_by("pk"))
        if preview:
            result = videos_bulk_edit_preview(videos=videos, edit=edit)
            rows = sorted(result.changing, key=lambda row: row.is_valid)  # problems first
            body = {
                "changing": len(result.changing),
                "invalid": len(result.invalid),
                "unchanged": result.unchanged_count,
                "updated": None,
                "rows": rows[:BULK_PREVIEW_ROWS],
                "rows_truncated": len(rows) > BULK_PREVIEW_ROWS,
            }
        else:
            saved = record_bulk_edit(videos=videos, edit=edit, user=user)
            body = {
                "changing": saved.updated + saved.skipped_invalid,
                "invalid": saved.skipped_invalid,
                "unchanged": saved.unchanged,
                "updated": saved.updated,
                "rows": [],
                "rows_truncated": False,
            }
        body.update(preview=preview, selected=len(ids))
        return Response(BulkEditResultSerializer(body).data)


def _check_may_edit(user, video: Video) -> None:
    """The admin's rule: the change permission (role group) and an editing role on the channel."""
    # The message names what is missing: a Viewer-group account with an editor membership would
    # otherwise be told to get the role it already has.
    if not user.has_perm("videos.change_video"):
        raise PermissionDenied(
            "You may read this video but not change it: your account's role group (e.g. Viewer) does "
            "not allow editing videos."
        )
    if not video_is_editable_by(user=user, video=video):
        raise PermissionDenied(
            "You may read this video but not change it: editing needs an editor or manager role "
            "on its channel or content owner."
        )


def ids_summary(ids: list[str]) -> str:
    """The first 20 ids and how many more: error messages name the videos without listing 10,000."""
    shown = ", ".join(ids[:20])
    return shown + (f" and {len(ids) - 20:,} more" if len(ids) > 20 else "")


def video_ids_error(ids: list[str], what: str, code: str) -> ValidationError:
    """A 400 on `video_ids` naming the videos that are `what` (the bulk edits' selections)."""
    return ValidationError(
        {"video_ids": [ErrorDetail(f"{len(ids):,} of the videos are {what}: {ids_summary(ids)}.", code=code)]}
    )


# ----------------------------------------------------------------------------- rights (read only)

READ_RESPONSES = error_responses(401, 403, 404, 429)
LIST_RESPONSES = error_responses(400, 401, 403, 429)


def _owned_by_visible_content_owners(queryset, user):
    """Assets and policies, scoped as the admin scopes them: by the user's content owners."""
    if user.is_superuser:
        return queryset
    return queryset.filter(content_owner__in=content_owners_visible_to(user=user))


@extend_schema_view(
    list=extend_schema(summary="List assets", responses={200: AssetSerializer(many=True), **LIST_RESPONSES}),
    retrieve=extend_schema(summary="One asset", responses={200: AssetSerializer, **READ_RESPONSES}),
)
class AssetViewSet(CatalogueReadOnlyViewSet):
    """Content ID assets of your content owners."""

    model = Asset
    serializer_class = AssetSerializer
    filterset_class = AssetFilter

    def get_queryset(self):
        return _owned_by_visible_content_owners(Asset.objects.all(), self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List policies", responses={200: PolicySerializer(many=True), **LIST_RESPONSES}
    ),
    retrieve=extend_schema(summary="One policy", responses={200: PolicySerializer, **READ_RESPONSES}),
)
class PolicyViewSet(CatalogueReadOnlyViewSet):
    """Saved Content ID policies of your content owners."""

    model = Policy
    serializer_class = PolicySerializer
    keyset_orderings = ("name", "id")

    def get_queryset(self):
        return _owned_by_visible_content_owners(Policy.objects.all(), self.request.user)


@extend_schema_view(
    list=extend_schema(summary="List claims", responses={200: ClaimSerializer(many=True), **LIST_RESPONSES}),
    retrieve=extend_schema(summary="One claim", responses={200: ClaimSerializer, **READ_RESPONSES}),
)
class ClaimViewSet(CatalogueReadOnlyViewSet):
    """Content ID claims on the videos you may see."""

    model = Claim
    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter

    def get_queryset(self):
        # As the admin: the claims on videos the user may see.
        claims = Claim.objects.all()
        if self.request.user.is_superuser:
            return claims
        return claims.filter(video__in=videos_visible_to(user=self.request.user))
