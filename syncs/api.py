"""/api/v1/changesets, syncs and quota: change sets from bulk edits, their preview, approval, push,
revert and conflict resolution; the audit trail; the quota ledger and what is queued on it.

The admin's rules: every staff user reads the change sets and audit rows that touch videos they
may see, and of a change set only the items of those videos (syncs.changesets.selectors);
approving, pushing, reverting and resolving follow changeset_action_refusal (the role group's
change permission and an editing role on every video, as a video edit). Nothing here pushes to YouTube:
pushing queues the task (changeset_queue), which a worker runs.
"""

import re
from dataclasses import dataclass

import django_filters
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_filters import rest_framework as drf_filters
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from channels_app.permissions import StaffRecordsPermission, TokenRateThrottle
from core.api import (
    UNKNOWN_FIELD_EXAMPLE,
    BulkRateThrottle,
    KeysetOrderingFilter,
    StateConflict,
    UserRateThrottle,
    UTCIsoDateTimeFilter,
    error_responses,
)
from core.api_views import ScopedLookupMixin
from syncs.changesets.amend import changeset_amend
from syncs.changesets.api_support import changeset_item_counts
from syncs.changesets.edits import videos_bulk_edit_in_changeset
from syncs.changesets.errors import ChangeSetError, ChangeSetNeedsOtherApprover
from syncs.changesets.preview import changeset_preview
from syncs.changesets.quota_plan import quota_plan, quota_remaining_today
from syncs.changesets.release import (
    changeset_schedule,
    changeset_schedule_described,
    changeset_schedule_quota,
    changeset_unschedule,
    schedule_moment,
)
from syncs.changesets.selectors import (
    changeset_action_refusal,
    changeset_also_waiting_sets,
    changeset_items_also_waiting,
    changeset_items_visible_to,
    changeset_open_drafts_of,
    changesets_visible_to,
    sync_records_visible_to,
)
from syncs.changesets.services import (
    changeset_approve,
    changeset_queue,
    changeset_resolve,
    changeset_revert,
)
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from syncs.selectors import quota_today
from syncs.serializers import (
    INLINE_ITEMS,
    ChangeSetAmendResultSerializer,
    ChangeSetAmendSerializer,
    ChangeSetCreateResultSerializer,
    ChangeSetCreateSerializer,
    ChangeSetDetailSerializer,
    ChangeSetItemSerializer,
    ChangeSetPreviewSerializer,
    ChangeSetResolveResultSerializer,
    ChangeSetResolveSerializer,
    ChangeSetScheduleSerializer,
    ChangeSetSerializer,
    EmptyRequestSerializer,
    QuotaSerializer,
    SyncRecordSerializer,
)
from syncs.youtube.quota_clock import next_quota_reset, pacific_day
from videos.api import ids_summary, video_ids_error
from videos.filters import VideoFilter
from videos.selection import SelectionTooLarge, video_ids_selected_for_edit
from videos.selectors import videos_editable_by, videos_visible_to
from videos.serializers import BulkEditSpecSerializer
from videos.snapshot import model_value

# Ids of change sets, items and audit rows: positive integers the database can hold.
NUMERIC_ID_PATTERN = re.compile(r"[0-9]{1,18}")
# Violations a preview lists; its counts cover every item.
PREVIEW_VIOLATIONS = 200
BIGGEST_ID = 2**62


class FourEyesRule(PermissionDenied):
    default_detail = "A second manager must approve this change set (four-eyes rule)."
    default_code = "four_eyes"


def _may_act_or_403(user, changeset: ChangeSet, action: str) -> None:
    refusal = changeset_action_refusal(user=user, changeset=changeset, action=action)
    if refusal is not None:
        raise PermissionDenied(refusal)


def _refuse_a_body(request) -> None:
    """Actions without parameters still refuse unknown fields: no silent mass assignment."""
    if request.data:
        EmptyRequestSerializer(data=request.data).is_valid(raise_exception=True)


def _schedule_data(changeset: ChangeSet, *, warning: str = "") -> dict:
    """The scheduled moment as a person reads it, with its Pacific quota day and what that day holds."""
    quota = changeset_schedule_quota(changeset=changeset, at=changeset.scheduled_for)
    return {
        "described": changeset_schedule_described(changeset=changeset),
        "quota_day": quota.day.isoformat(),
        "units": quota.units,
        "committed_by_others": quota.committed,
        "budget": quota.budget,
        "warning": warning,
    }


def _detail(changeset: ChangeSet, user) -> dict:
    """The change set with its item counts, its first items and its conflicts (both values): of
    the items the user may see."""
    visible = changeset_items_visible_to(user=user, changeset=changeset)
    items = list(visible.order_by("pk")[: INLINE_ITEMS + 1])
    conflicts = list(visible.filter(status=ChangeSetItem.Status.CONFLICT).order_by("pk")[:INLINE_ITEMS])
    data = ChangeSetSerializer(changeset).data
    data.update(
        item_counts=changeset_item_counts(changeset=changeset, user=user),
        items=ChangeSetItemSerializer(items[:INLINE_ITEMS], many=True).data,
        items_truncated=len(items) > INLINE_ITEMS,
        conflicts=ChangeSetItemSerializer(conflicts, many=True).data,
        also_waiting=_also_waiting_sets(
            changeset_items_also_waiting(
                changeset=changeset,
                items=visible.only("pk", "video_id", "field", "status", "new_value"),
                user=user,
            )
        ),
    )
    return data


def _also_waiting_sets(also_waiting) -> list[dict]:
    return [
        {"changeset": other.pk, "title": str(other), "status": other.status, "videos": videos}
        for other, videos in changeset_also_waiting_sets(also_waiting=also_waiting)
    ]


def _state_error(error: ChangeSetError) -> Exception:
    """A refusal of the change-set services as an API error: its type says which (status, code).

    ChangeSetNeedsOtherApprover → 403 four_eyes; ChangeSetNeedsApproval → 409 approval_required;
    any other ChangeSetError → 409 invalid_state.
    """
    if isinstance(error, ChangeSetNeedsOtherApprover):
        return FourEyesRule(str(error))
    return StateConflict(str(error), code=error.code)


class ChangeSetFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChangeSet.Status.choices)
    needs_approval = drf_filters.BooleanFilter()
    mine = drf_filters.BooleanFilter(method="filter_mine", help_text="true: only change sets you made.")
    revert_of = django_filters.NumberFilter(field_name="revert_of_id", min_value=1, max_value=BIGGEST_ID)

    class Meta:
        model = ChangeSet
        fields = []

    def filter_mine(self, queryset, name, value):
        if value is None:
            return queryset
        mine = {"created_by": self.request.user}
        return queryset.filter(**mine) if value else queryset.exclude(**mine)


# ----------------------------------------------------------------------------- examples

CREATE_BY_IDS_EXAMPLE = OpenApiExample(
    "Unlist three videos",
    value={
        "video_ids": ["a1song00001", "a1live00001", "a2clip00001"],
        "edit": {"privacy_status": "unlisted"},
    },
    request_only=True,
)
CREATE_BY_FILTER_EXAMPLE = OpenApiExample(
    "Tag a channel's private videos",
    value={
        "filter": {"channel": "UCaaaaaaaaaaaaaaaaaaaaaa", "privacy": "private"},
        "edit": {"add_tags": ["archive"]},
    },
    request_only=True,
)
TOO_MANY_EXAMPLE = OpenApiExample(
    "Too many videos",
    value={
        "errors": [
            {
                "field": "filter",
                "code": "too_many",
                "message": "The filter selects more than 10,000 videos; one change set request takes "
                "at most 10,000. Narrow the filter and send several requests.",
            }
        ]
    },
    response_only=True,
    status_codes=["400"],
)
FOUR_EYES_EXAMPLE = OpenApiExample(
    "Four-eyes rule",
    value={
        "errors": [
            {
                "field": None,
                "code": "four_eyes",
                "message": "This change set touches privacy or license: a second manager must approve it "
                "(four-eyes rule).",
            }
        ]
    },
    response_only=True,
    status_codes=["403"],
)
STATE_EXAMPLE = OpenApiExample(
    "Wrong state",
    value={
        "errors": [
            {"field": None, "code": "invalid_state", "message": "Only a pushed change set can be reverted."}
        ]
    },
    response_only=True,
    status_codes=["409"],
)
RESOLVE_EXAMPLE = OpenApiExample(
    "Keep YouTube's values", value={"resolution": "keep_theirs", "item_ids": [812, 813]}, request_only=True
)
PREVIEW_EXAMPLE = OpenApiExample(
    "Two days of quota",
    value={
        "changeset": 7,
        "videos": 250,
        "quota_units": 12505,
        "update_units": 12500,
        "read_units": 5,
        "content_id_calls": 0,
        "remaining_today": 4000,
        "daily_budget": 9500,
        "days_needed": 2,
        "videos_today": 79,
        "videos_deferred": 171,
        "resets_at": "2026-11-28T08:00:00Z",
        "violations": [
            {
                "item": 901,
                "video": "a1song00001",
                "field": "title",
                "code": "too_long",
                "message": "title is 101 characters; YouTube allows 100.",
            }
        ],
        "violations_truncated": False,
        "also_waiting": [
            {
                "item": 902,
                "video": "a1song00002",
                "field": "description",
                "changeset": 9,
                "other_item": 1204,
                "other_value": "New footer text",
            }
        ],
        "also_waiting_truncated": False,
        "also_waiting_sets": [{"changeset": 9, "title": "Footer v3", "status": "draft", "videos": 1}],
    },
    response_only=True,
    status_codes=["200"],
)

ACT_ERRORS = error_responses(400, 401, 403, 404, 409, 413, 415, 429)


@extend_schema_view(
    list=extend_schema(
        summary="List change sets",
        description="Change sets you made or that touch a video you may see, newest first.",
        responses={200: ChangeSetSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One change set, with its items and conflicts",
        description=f"Item counts per status, the first {INLINE_ITEMS} items and up to {INLINE_ITEMS} "
        "conflicts with base, ours (new_value) and theirs. Every item: `items/`.",
        responses={200: ChangeSetDetailSerializer, **error_responses(401, 403, 404, 429)},
    ),
)
class ChangeSetViewSet(
    ScopedLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Edits reviewed and pushed to YouTube together."""

    model = ChangeSet
    permission_classes = [StaffRecordsPermission]
    lookup_pattern = NUMERIC_ID_PATTERN
    serializer_class = ChangeSetSerializer
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = ChangeSetFilter
    keyset_orderings = ("-created_at", "created_at", "-id", "id")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChangeSet.objects.none()  # the schema generator has no signed-in user
        return changesets_visible_to(user=self.request.user).select_related("created_by", "approved_by")

    def get_serializer_class(self):
        if self.action == "create":
            return ChangeSetCreateSerializer
        if self.action == "resolve":
            return ChangeSetResolveSerializer
        return super().get_serializer_class()

    def get_throttles(self):
        if self.action == "create":
            # A bulk edit reads up to 10,000 rows: it spends the bulk budget as /videos/bulk-edit/ does.
            return [TokenRateThrottle(), UserRateThrottle(), BulkRateThrottle()]
        return super().get_throttles()

    def retrieve(self, request, *args, **kwargs):
        return Response(_detail(self.get_object(), request.user))

    # ---- create from a bulk edit

    @extend_schema(
        summary="Create a change set from a bulk edit",
        description="One edit (the admin's bulk edit) for the videos of `video_ids` or of `filter` "
        "(the filters of the video list), at most BULK_EDIT_MAX_VIDEOS (10,000) per request; more is "
        "refused with `too_many`. The new values become pending changes in your open draft change "
        "set (created if you have none), which is returned; videos whose new values break a YouTube "
        "limit are skipped and counted in `invalid`. Nothing is pushed: preview, approve and push the "
        "change set. Every selected video must be one you may edit.",
        request=ChangeSetCreateSerializer,
        responses={
            201: ChangeSetCreateResultSerializer,
            200: ChangeSetCreateResultSerializer,
            **error_responses(400, 401, 403, 409, 413, 415, 429),
        },
        examples=[CREATE_BY_IDS_EXAMPLE, CREATE_BY_FILTER_EXAMPLE, TOO_MANY_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    )
    def create(self, request):
        user = request.user
        if not user.has_perm("videos.change_video"):
            raise PermissionDenied("Your account may read videos but not change them.")
        serializer = ChangeSetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = self._selected_video_ids(request, serializer.validated_data)
        editable = videos_editable_by(user=user).filter(pk__in=ids)
        editable_ids = set(editable.values_list("pk", flat=True))
        read_only = [video_id for video_id in ids if video_id not in editable_ids]
        if read_only:
            raise PermissionDenied(
                f"You may read but not change {len(read_only):,} of these videos "
                f"({ids_summary(read_only)}): editing needs an editor or manager role on their channel."
            )
        edit = BulkEditSpecSerializer.to_edit(serializer.validated_data["edit"])
        with transaction.atomic():
            saved = videos_bulk_edit_in_changeset(videos=list(editable.order_by("pk")), edit=edit, user=user)
            owner_ids = editable.order_by().values_list("channel__content_owner_id", flat=True).distinct()
            drafts = changeset_open_drafts_of(user=user, content_owner_ids=list(owner_ids))
        changeset = drafts[0] if drafts else None
        body = {
            "selected": len(ids),
            "changing": saved.updated + saved.skipped_invalid,
            "invalid": saved.skipped_invalid,
            "unchanged": saved.unchanged,
            "updated": saved.updated,
            "changeset": _detail(self.get_queryset().get(pk=changeset.pk), user) if changeset else None,
            "changesets": [draft.pk for draft in drafts],
        }
        return Response(body, status=status.HTTP_201_CREATED if changeset else status.HTTP_200_OK)

    @staticmethod
    def _selected_video_ids(request, data) -> list[str]:
        user = request.user
        if "video_ids" in data:
            ids = data["video_ids"]
            visible = set(videos_visible_to(user=user).filter(pk__in=ids).values_list("pk", flat=True))
            missing = [video_id for video_id in ids if video_id not in visible]
            if missing:
                # The same answer whether a video does not exist or belongs to someone else.
                raise video_ids_error(missing, "not found among the videos you may see", "not_found")
            return ids
        filterset = VideoFilter(data=data["filter"], queryset=videos_visible_to(user=user), request=request)
        if not filterset.is_valid():
            raise ValidationError({"filter": translate_validation(filterset.errors).detail})
        try:
            ids = video_ids_selected_for_edit(
                videos=filterset.qs,
                subject="The filter selects ",
                fix="Narrow the filter (a channel, a published range) and send several requests.",
            )
        except SelectionTooLarge as error:
            raise ValidationError({"filter": [ErrorDetail(str(error), code=error.code)]}) from None
        if not ids:
            raise ValidationError({"filter": [ErrorDetail("The filter selects no videos.", code="empty")]})
        return ids

    # ---- what a push would do

    @extend_schema(
        summary="Preview a change set: quota, days, limits",
        description="Data API quota units the push will spend, Pacific days it spans given today's "
        "remaining units, Content ID calls, and the YouTube limits new values break.",
        responses={200: ChangeSetPreviewSerializer, **error_responses(401, 403, 404, 429)},
        examples=[PREVIEW_EXAMPLE],
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def preview(self, request, pk=None):
        changeset = self.get_object()
        preview = changeset_preview(changeset=changeset, user=request.user)
        violations = [
            _Violation(item=row.item, field=violation.field, code=violation.code, message=violation.message)
            for row in preview.invalid
            for violation in row.violations
        ]
        also_waiting = [overlap for row in preview.also_waiting for overlap in row.also_waiting]
        body = {
            "changeset": changeset,
            "videos": preview.videos,
            "quota_units": preview.quota_units,
            "update_units": preview.update_units,
            "read_units": preview.read_units,
            "content_id_calls": preview.content_id_calls,
            "remaining_today": preview.remaining_today,
            "daily_budget": preview.daily_budget,
            "days_needed": preview.days_needed,
            "videos_today": preview.videos_today,
            "videos_deferred": preview.videos_deferred,
            "resets_at": preview.resets_at,
            "violations": violations[:PREVIEW_VIOLATIONS],
            "violations_truncated": len(violations) > PREVIEW_VIOLATIONS,
            "also_waiting": also_waiting[:PREVIEW_VIOLATIONS],
            "also_waiting_truncated": len(also_waiting) > PREVIEW_VIOLATIONS,
            "also_waiting_sets": _also_waiting_sets(
                {row.item.pk: row.also_waiting for row in preview.also_waiting}
            ),
        }
        return Response(ChangeSetPreviewSerializer(body).data)

    # ---- approve, push, revert, resolve

    @extend_schema(
        summary="Approve a draft change set",
        description="With CHANGESET_FOUR_EYES on, a change set that changes privacy or license must be "
        "approved by a manager other than its author (`four_eyes`, 403, for the author).",
        request=None,
        responses={200: ChangeSetDetailSerializer, **ACT_ERRORS},
        examples=[FOUR_EYES_EXAMPLE, STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def approve(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "approve")
        _refuse_a_body(request)
        try:
            changeset_approve(changeset=changeset, user=request.user)
        except ChangeSetError as error:
            raise _state_error(error) from None
        return Response(_detail(self.get_queryset().get(pk=changeset.pk), request.user))

    @extend_schema(
        summary="Queue a change set's push",
        description="Queues the push (202); a background worker sends it to YouTube, batch by batch, "
        "deferring what today's quota cannot pay to the next Pacific day. Never pushes inline. A "
        "four-eyes change set must be approved first (`approval_required`).",
        request=None,
        responses={202: ChangeSetDetailSerializer, **ACT_ERRORS},
        examples=[STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def push(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "push")
        _refuse_a_body(request)
        try:
            changeset_queue(changeset=changeset, user=request.user)
        except ChangeSetError as error:
            raise _state_error(error) from None
        return Response(
            _detail(self.get_queryset().get(pk=changeset.pk), request.user), status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        summary="Schedule a change set's push",
        description="The push runs at `at` (release day): a worker pushes it then like any other. A "
        "draft may be scheduled; it must be approved (four-eyes when on) before the moment, or it is "
        "not pushed. The moment must be in the future; `time_zone` is kept to show it back. Refused "
        "with `quota_overbooked` when its Pacific quota day cannot pay for it next to the change sets "
        "already scheduled that day (CHANGESET_SCHEDULE_OVERBOOK=refuse; with warn it is scheduled "
        "and `schedule.warning` says so). Scheduling again moves the moment. Same permission as push.",
        request=ChangeSetScheduleSerializer,
        responses={200: ChangeSetDetailSerializer, **ACT_ERRORS},
        examples=[STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def schedule(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "push")
        body = ChangeSetScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        at, tz = body.validated_data["at"], body.validated_data["time_zone"]
        try:
            if timezone.is_naive(at):
                at = schedule_moment(day=at.date(), clock=at.time(), tz=tz)
            result = changeset_schedule(changeset=changeset, at=at, tz=tz, user=request.user)
        except ChangeSetError as error:
            raise _state_error(error) from None
        data = _detail(self.get_queryset().get(pk=changeset.pk), request.user)
        data["schedule"] = _schedule_data(result.changeset, warning=result.warning)
        return Response(data)

    @extend_schema(
        summary="Unschedule a change set's push",
        description="Drops the schedule and the push task waiting for it. Same permission as push.",
        request=None,
        responses={200: ChangeSetDetailSerializer, **ACT_ERRORS},
        examples=[STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def unschedule(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "push")
        _refuse_a_body(request)
        try:
            changeset_unschedule(changeset=changeset, user=request.user)
        except ChangeSetError as error:
            raise _state_error(error) from None
        return Response(_detail(self.get_queryset().get(pk=changeset.pk), request.user))

    @extend_schema(
        summary="Edit a change set's items (a fix to a scheduled release stays in it)",
        description="Sets values of the change set's videos (or of other videos of its content owner "
        "you may edit) in this change set, and removes items, while nothing of it was sent (draft or "
        "approved, never pushed). Each value is a video edit like any other (YouTube's limits, the "
        "video's audit row). An approved change set goes back to `draft` (`approval_withdrawn`): it "
        "must be approved again (four-eyes when on) before it is pushed; its schedule stays, and a "
        "scheduled draft is not pushed at its moment. Other edits (PATCH /videos/, bulk edits) go to "
        "your draft, never into this change set. Same permission as push.",
        request=ChangeSetAmendSerializer,
        responses={200: ChangeSetAmendResultSerializer, **ACT_ERRORS},
        examples=[STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def amend(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "push")
        body = ChangeSetAmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data.get("values") or {}
        visible = set(
            videos_visible_to(user=request.user).filter(pk__in=list(values)).values_list("pk", flat=True)
        )
        if missing := [video_id for video_id in values if video_id not in visible]:
            # The same answer whether a video does not exist or belongs to someone else.
            detail = f"{len(missing):,} of the videos are not found among the videos you may see: {ids_summary(missing)}."
            raise ValidationError({"values": [ErrorDetail(detail, code="not_found")]})
        remove = body.validated_data.get("remove_item_ids") or []
        visible_items = set(
            changeset_items_visible_to(user=request.user, changeset=changeset)
            .filter(pk__in=remove)
            .values_list("pk", flat=True)
        )
        if missing_items := [str(pk) for pk in remove if pk not in visible_items]:
            raise ValidationError(
                {
                    "remove_item_ids": [
                        ErrorDetail(
                            f"Not items of this change set: {ids_summary(missing_items)}.", code="not_found"
                        )
                    ]
                }
            )
        try:
            result = changeset_amend(
                changeset=changeset,
                user=request.user,
                values={
                    video_id: {name: model_value(name, value) for name, value in fields.items()}
                    for video_id, fields in values.items()
                },
                remove_item_ids=remove,
            )
        except ChangeSetError as error:
            raise _state_error(error) from None
        return Response(
            {
                "changed": result.changed,
                "approval_withdrawn": result.approval_withdrawn,
                "warning": result.warning,
                "changeset": _detail(self.get_queryset().get(pk=changeset.pk), request.user),
            }
        )

    @extend_schema(
        summary="Revert a pushed change set",
        description="Creates the inverse as a new draft change set (new = the values before, base = "
        "what was pushed) and returns it (201): preview it, then push it.",
        request=None,
        responses={201: ChangeSetDetailSerializer, **ACT_ERRORS},
        examples=[STATE_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def revert(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "revert")
        _refuse_a_body(request)
        try:
            revert = changeset_revert(changeset=changeset, user=request.user)
        except ChangeSetError as error:
            raise _state_error(error) from None
        return Response(
            _detail(self.get_queryset().get(pk=revert.pk), request.user), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Resolve conflicts",
        description="keep_theirs: keep YouTube's value (the item is skipped); overwrite: ours goes out "
        "on the next push. Nothing is queued: the change set is `approved` until `push/` (it stays "
        "`queued` when a push task of it already waits). Each video gets an audit row (status "
        "`resolved`). `item_ids` names conflicts of this change set; without it, all of them.",
        request=ChangeSetResolveSerializer,
        responses={200: ChangeSetResolveResultSerializer, **ACT_ERRORS},
        examples=[RESOLVE_EXAMPLE, UNKNOWN_FIELD_EXAMPLE],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def resolve(self, request, pk=None):
        changeset = self.get_object()
        _may_act_or_403(request.user, changeset, "resolve")
        serializer = ChangeSetResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conflicts = changeset_items_visible_to(user=request.user, changeset=changeset).filter(
            status=ChangeSetItem.Status.CONFLICT
        )
        asked = serializer.validated_data.get("item_ids")
        if asked is not None:
            found = {item.pk: item for item in conflicts.filter(pk__in=asked)}
            missing = [str(pk) for pk in asked if pk not in found]
            if missing:
                raise ValidationError(
                    {
                        "item_ids": [
                            ErrorDetail(
                                f"{len(missing):,} of the items are not conflicts of this change set: "
                                f"{ids_summary(missing)}.",
                                code="not_found",
                            )
                        ]
                    }
                )
            items = list(found.values())
        else:
            items = list(conflicts)
        try:
            resolved = changeset_resolve(
                items=items, resolution=serializer.validated_data["resolution"], user=request.user
            )
        except ChangeSetError as error:
            raise _state_error(error) from None
        body = {
            "resolved": resolved,
            "changeset": _detail(self.get_queryset().get(pk=changeset.pk), request.user),
        }
        return Response(body)


@dataclass(frozen=True)
class _Violation:
    item: ChangeSetItem
    field: str
    code: str
    message: str


class ChangeSetItemFilter(drf_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChangeSetItem.Status.choices)
    video = django_filters.CharFilter(field_name="video_id", max_length=11)
    kind = django_filters.ChoiceFilter(choices=ChangeSetItem.Kind.choices)

    class Meta:
        model = ChangeSetItem
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="A change set's items",
        description="Every item (one field of one video) with its status, base, ours and theirs; "
        "filter by status (e.g. `conflict`, `failed`, `deferred`).",
        parameters=[
            OpenApiParameter("changeset_pk", int, OpenApiParameter.PATH, description="The change set's id.")
        ],
        responses={200: ChangeSetItemSerializer(many=True), **error_responses(400, 401, 403, 404, 429)},
    ),
)
class ChangeSetItemViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Items of one change set."""

    model = ChangeSetItem
    permission_classes = [StaffRecordsPermission]
    serializer_class = ChangeSetItemSerializer
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = ChangeSetItemFilter
    keyset_orderings = ("id", "-id")

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChangeSetItem.objects.none()
        changeset_id = str(self.kwargs.get("changeset_pk", ""))
        changeset = None
        if NUMERIC_ID_PATTERN.fullmatch(changeset_id):
            changeset = changesets_visible_to(user=self.request.user).filter(pk=int(changeset_id)).first()
        if changeset is None:
            raise NotFound("No such object among those you may see.")
        return changeset_items_visible_to(user=self.request.user, changeset=changeset)


# ----------------------------------------------------------------------------- the audit trail


class SyncRecordFilter(drf_filters.FilterSet):
    video = django_filters.CharFilter(field_name="video_id", max_length=11)
    changeset = django_filters.NumberFilter(field_name="changeset_id", min_value=1, max_value=BIGGEST_ID)
    status = django_filters.ChoiceFilter(choices=SyncRecord.Status.choices)
    created_after = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UTCIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = SyncRecord
        fields = []


@extend_schema_view(
    list=extend_schema(
        summary="The audit trail",
        description="One row per video per push attempt, append-only: who, which change set, what "
        "YouTube had before and what was sent, parts, etags, quota, outcome. Newest first.",
        responses={200: SyncRecordSerializer(many=True), **error_responses(400, 401, 403, 429)},
    ),
    retrieve=extend_schema(
        summary="One audit row", responses={200: SyncRecordSerializer, **error_responses(401, 403, 404, 429)}
    ),
)
class SyncRecordViewSet(ScopedLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Pushes to YouTube of the videos you may see."""

    model = SyncRecord
    permission_classes = [StaffRecordsPermission]
    serializer_class = SyncRecordSerializer
    lookup_pattern = NUMERIC_ID_PATTERN
    filter_backends = [KeysetOrderingFilter, DjangoFilterBackend]
    filterset_class = SyncRecordFilter
    keyset_orderings = ("-created_at", "created_at", "-id", "id")

    def get_queryset(self):
        return sync_records_visible_to(user=self.request.user).select_related("user")


# ----------------------------------------------------------------------------- quota


class SingleObjectSchema(AutoSchema):
    """The quota is one object at a list URL: not an array, not paginated."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class QuotaViewSet(viewsets.ViewSet):
    """Today's YouTube quota and what queued pushes will spend."""

    permission_classes = [StaffRecordsPermission]
    schema = SingleObjectSchema()

    @extend_schema(
        summary="Today's quota, and what is queued for later days",
        description="The quota ledger of the current Pacific day (per Google Cloud project and API: "
        "used, budget, reserve, remaining) and, per Pacific day, what the queued pushes of change sets "
        "you may see will send and spend: today what is left of today pays, then each day's whole "
        "budget; what a day cannot pay moves to the next (the dashboard plans the same way).",
        responses={200: QuotaSerializer, **error_responses(401, 403, 429)},
    )
    def list(self, request):
        now = timezone.now()
        remaining, spendable = quota_remaining_today(now)
        plan = quota_plan(user=request.user, now=now)
        body = {
            "day": pacific_day(now),
            "resets_at": next_quota_reset(now),
            "daily_quota": settings.YOUTUBE_DAILY_QUOTA,
            "reserve": settings.YOUTUBE_QUOTA_RESERVE,
            "spendable": spendable,
            "remaining_today": remaining,
            "projects": quota_today(now=now),
            "queued": [day for day in plan.days if day.items],
            "later_videos": plan.later_videos,
        }
        return Response(QuotaSerializer(body).data)
