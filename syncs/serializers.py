"""The API's shapes of change sets, their items, the audit trail and the quota.

Serializers only turn JSON into Python values and back; what a change set may do is decided by
syncs.changesets.services, and which rows a user sees by the selectors.
"""

from collections.abc import Mapping

from django.utils.dateparse import parse_datetime
from django_filters.rest_framework import BooleanFilter
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.filters import VideoFilter
from videos.selection import SelectionTooLarge, selection_check
from videos.serializers import BulkEditSpecSerializer, StrictSerializer, VideoIdListField

# Items a change set's page lists inline; all of them are at /changesets/{id}/items/.
INLINE_ITEMS = 100


class ChangeSetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=ChangeSet.Status.choices, read_only=True)
    content_owner = serializers.CharField(
        source="content_owner_id",
        read_only=True,
        allow_null=True,
        help_text="The content owner every item's video belongs to (one per change set); null for "
        "videos without one.",
    )
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    needs_approval = serializers.BooleanField(
        read_only=True,
        help_text="CHANGESET_FOUR_EYES is on and an item changes privacy or license: a manager other "
        "than its author must approve it before it is pushed.",
    )
    approved_by = serializers.CharField(source="approved_by.get_username", read_only=True, allow_null=True)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revert_of = serializers.IntegerField(
        source="revert_of_id", read_only=True, allow_null=True, help_text="The change set this one undoes."
    )
    pushed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    scheduled_for = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The moment its push is scheduled for (UTC); null when not scheduled.",
    )
    scheduled_tz = serializers.CharField(
        read_only=True,
        help_text='The IANA time zone the moment was chosen in ("Europe/Berlin"); "" when none.',
    )


class ChangeSetItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    changeset = serializers.IntegerField(source="changeset_id", read_only=True)
    video = serializers.CharField(source="video_id", read_only=True)
    field = serializers.CharField(
        read_only=True, help_text='A video field ("title", "tags", …) or "claim:<id>" for Content ID.'
    )
    kind = serializers.ChoiceField(choices=ChangeSetItem.Kind.choices, read_only=True)
    status = serializers.ChoiceField(choices=ChangeSetItem.Status.choices, read_only=True)
    base_value = serializers.JSONField(read_only=True, help_text="YouTube's value when the edit began.")
    new_value = serializers.JSONField(read_only=True, help_text="Ours: the value the push sends.")
    theirs_value = serializers.JSONField(
        read_only=True, help_text="YouTube's value at the push, when it differed from base (a conflict)."
    )
    resolution = serializers.ChoiceField(
        choices=ChangeSetItem.Resolution.choices, read_only=True, allow_blank=True
    )
    error_reason = serializers.CharField(read_only=True)
    error_message = serializers.CharField(read_only=True)
    deferred_until = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Deferred items wait until then (quota reset, retry)."
    )
    attempts = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ItemCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    pushing = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    deferred = serializers.IntegerField()
    conflict = serializers.IntegerField()
    skipped = serializers.IntegerField()


class AlsoWaitingSetSerializer(serializers.Serializer):
    changeset = serializers.IntegerField(help_text="The other change set.")
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=ChangeSet.Status.choices)
    videos = serializers.IntegerField(help_text="Videos waiting in both, with different values.")


class ChangeSetDetailSerializer(ChangeSetSerializer):
    item_counts = ItemCountsSerializer(read_only=True, help_text="Items per status.")
    items = ChangeSetItemSerializer(
        many=True, read_only=True, help_text=f"The first {INLINE_ITEMS} items; all at `items/`."
    )
    items_truncated = serializers.BooleanField(read_only=True)
    conflicts = ChangeSetItemSerializer(
        many=True,
        read_only=True,
        help_text=f"Up to {INLINE_ITEMS} items in conflict, with base, ours (new_value) and theirs.",
    )
    also_waiting = AlsoWaitingSetSerializer(
        many=True,
        read_only=True,
        help_text="Other change sets not yet pushed (draft, approved, queued, pushing) holding the same "
        "video and field with another value: whichever is pushed later overwrites the other.",
    )


def _video_selection_schema() -> dict:
    properties = {
        name: {"type": "boolean" if isinstance(video_filter, BooleanFilter) else "string"}
        for name, video_filter in VideoFilter.base_filters.items()
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}


@extend_schema_field(_video_selection_schema())
class VideoSelectionField(serializers.Field):
    """The video list's filters as a JSON object: {"channel": "UC…", "privacy": "public", …}."""

    default_error_messages = {"not_object": "filter must be a JSON object of the video list's filters."}

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            self.fail("not_object")
        known = VideoFilter.base_filters
        unknown = [str(key)[:100] for key in data if key not in known]
        if unknown:
            raise ValidationError(
                {
                    key: [ErrorDetail(f"{key} is not a filter of the video list.", code="unknown_field")]
                    for key in unknown
                }
            )
        bad = [key for key, value in data.items() if not isinstance(value, str | bool)]
        if bad:
            raise ValidationError(
                {key: [ErrorDetail(f"{key} must be text or true/false.", code="invalid_type")] for key in bad}
            )
        return dict(data)

    def to_representation(self, value):
        return value


class ChangeSetCreateSerializer(StrictSerializer):
    """A bulk edit that becomes (or extends) your open draft change set."""

    video_ids = VideoIdListField(
        required=False, help_text="The videos to edit: at most BULK_EDIT_MAX_VIDEOS (10,000)."
    )
    filter = VideoSelectionField(
        required=False,
        help_text="Instead of video_ids: the filters of GET /api/v1/videos/ (search, channel, "
        "privacy, …); they must select at most BULK_EDIT_MAX_VIDEOS (10,000) videos.",
    )
    edit = BulkEditSpecSerializer()

    def validate(self, attrs):
        if ("video_ids" in attrs) == ("filter" in attrs):
            raise ValidationError(
                {
                    "non_field_errors": [
                        ErrorDetail("Give either video_ids or filter, not both.", code="one_selection")
                        if "video_ids" in attrs
                        else ErrorDetail("Give video_ids or filter: which videos to edit.", code="required")
                    ]
                }
            )
        return attrs


class ChangeSetCreateResultSerializer(serializers.Serializer):
    selected = serializers.IntegerField(help_text="Distinct videos the request selected.")
    changing = serializers.IntegerField(help_text="Videos the edit changes.")
    invalid = serializers.IntegerField(help_text="Changing videos whose new values break a limit: skipped.")
    unchanged = serializers.IntegerField(help_text="Videos already as asked.")
    updated = serializers.IntegerField(help_text="Videos saved as pending changes.")
    changeset = ChangeSetDetailSerializer(
        allow_null=True,
        help_text="Your open draft, now holding these edits (the first of `changesets`); null when "
        "nothing YouTube holds changed (e.g. only artists or genres, which stay in ytcms).",
    )
    changesets = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Your open drafts holding these edits: one per content owner of the videos.",
    )


class EmptyRequestSerializer(StrictSerializer):
    """No fields: a body, if any, must be an empty JSON object."""


class ChangeSetScheduleSerializer(StrictSerializer):
    at = serializers.CharField(
        max_length=40,
        help_text="ISO 8601. With an offset (2027-01-15T00:00:00+01:00) it is that moment; without one "
        "(2027-01-15T00:00) it is wall-clock time in `time_zone`.",
    )
    time_zone = serializers.CharField(
        max_length=64, help_text='An IANA time zone name ("Europe/Berlin"), shown back with the moment.'
    )

    def validate_at(self, value: str):
        moment = parse_datetime(value)
        if moment is None:
            raise serializers.ValidationError("Not an ISO 8601 date and time.", code="invalid")
        return moment


class ChangeSetAmendSerializer(StrictSerializer):
    values = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='{video id: {field: value}}, values as the items show them ("tags": a list). A value '
        "equal to YouTube's removes the item.",
    )
    remove_item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=10_000,
        help_text="Items of this change set to take out of it.",
    )

    def validate(self, data):
        if not data.get("values") and not data.get("remove_item_ids"):
            raise serializers.ValidationError("Send `values`, `remove_item_ids` or both.", code="empty")
        return data


class ChangeSetAmendResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="Items added, changed or removed.")
    approval_withdrawn = serializers.BooleanField(
        help_text="It was approved: it is a draft again and must be approved again (its schedule stays)."
    )
    warning = serializers.CharField(
        help_text="Its quota day no longer holds it (CHANGESET_SCHEDULE_OVERBOOK=warn)."
    )
    changeset = ChangeSetDetailSerializer()


class ChangeSetResolveSerializer(StrictSerializer):
    resolution = serializers.ChoiceField(
        choices=[c for c in ChangeSetItem.Resolution.values if c],
        help_text="keep_theirs: keep YouTube's value (the item is skipped and what we want follows "
        "YouTube); overwrite: push ours over theirs on the next push.",
    )
    item_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        allow_empty=False,
        help_text="Items of this change set in conflict; every conflict of it when absent.",
    )

    def validate_item_ids(self, value):
        try:
            selection_check(count=len(value), noun="items", fix="Resolve the rest in another request.")
        except SelectionTooLarge as error:
            raise ValidationError([ErrorDetail(str(error), code=error.code)]) from None
        return list(dict.fromkeys(value))


class ChangeSetResolveResultSerializer(serializers.Serializer):
    resolved = serializers.IntegerField(help_text="Conflicts settled.")
    changeset = ChangeSetDetailSerializer()


class LimitViolationSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    video = serializers.CharField(source="item.video_id")
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class AlsoWaitingItemSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item.pk")
    video = serializers.CharField(source="item.video_id")
    field = serializers.CharField(source="item.field")
    changeset = serializers.IntegerField(source="other.changeset_id", help_text="The other change set.")
    other_item = serializers.IntegerField(source="other.pk")
    other_value = serializers.JSONField(source="other.new_value", help_text="Its new value.")


class ChangeSetPreviewSerializer(serializers.Serializer):
    changeset = serializers.IntegerField(source="changeset.pk")
    videos = serializers.IntegerField(help_text="Videos still to push.")
    quota_units = serializers.IntegerField(help_text="Data API units the push will spend.")
    update_units = serializers.IntegerField(help_text="videos.update: 50 per video.")
    read_units = serializers.IntegerField(help_text="videos.list: 1 per 50 videos (read before write).")
    content_id_calls = serializers.IntegerField(help_text="Content ID reads and writes (their own quota).")
    remaining_today = serializers.IntegerField(help_text="Units left today (Pacific day).")
    daily_budget = serializers.IntegerField(help_text="Spendable units of a whole day (budget − reserve).")
    days_needed = serializers.IntegerField(
        help_text="Pacific days the push spans: today's remaining units first, then whole days."
    )
    videos_today = serializers.IntegerField(help_text="Videos today's remaining units pay for.")
    videos_deferred = serializers.IntegerField(help_text="Videos that wait for the next Pacific day.")
    resets_at = serializers.DateTimeField(
        allow_null=True, help_text="The next Pacific midnight, when the deferred videos go out."
    )
    violations = LimitViolationSerializer(many=True, help_text="YouTube limits the new values break.")
    violations_truncated = serializers.BooleanField()
    also_waiting = AlsoWaitingItemSerializer(
        many=True,
        help_text="Items whose video and field wait in another change set with another value.",
    )
    also_waiting_truncated = serializers.BooleanField()
    also_waiting_sets = AlsoWaitingSetSerializer(many=True, help_text="Those other change sets.")


class SyncRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    user = serializers.CharField(source="user.get_username", read_only=True, allow_null=True)
    changeset = serializers.IntegerField(source="changeset_id", read_only=True, allow_null=True)
    video = serializers.CharField(source="video_id", read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=SyncRecord.Status.choices, read_only=True)
    fields = serializers.DictField(
        child=serializers.DictField(),
        read_only=True,
        help_text=(
            "One row per outcome of a video's push. success: {field: {before: YouTube's value read "
            "just before, after: ours, which YouTube now holds}}; conflict: {field: {base: YouTube's "
            "value when the edit began, theirs: YouTube's value now, ours: not sent}}; failed or "
            "deferred: {field: {before, ours: not on YouTube, theirs: what YouTube answered, if it "
            "took the write}}; resolved (a person settled a conflict, nothing sent): {field: {theirs, "
            "ours, kept: 'theirs' or 'ours'}}."
        ),
    )
    parts_sent = serializers.ListField(child=serializers.CharField(), read_only=True)
    etag_before = serializers.CharField(read_only=True)
    etag_after = serializers.CharField(read_only=True)
    quota_units = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True, help_text="YouTube's errors[0].reason, if any.")
    message = serializers.CharField(read_only=True)


class QuotaProjectSerializer(serializers.Serializer):
    project = serializers.CharField()
    api = serializers.CharField(help_text="youtube (Data API), youtubePartner or youtubereporting.")
    day = serializers.DateField(help_text="The Pacific day.")
    units_used = serializers.IntegerField()
    budget = serializers.IntegerField()
    reserve = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="budget − reserve − units_used (0 once exhausted).")
    exhausted = serializers.BooleanField()


class QueuedQuotaDaySerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The Pacific day the push sends the work: due, and paid for.")
    changesets = serializers.IntegerField()
    videos = serializers.IntegerField()
    items = serializers.IntegerField()
    quota_units = serializers.IntegerField(help_text="Data API units, counted as the push spends them.")
    content_id_calls = serializers.IntegerField()


class QuotaSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="Today in America/Los_Angeles: quotas reset at its midnight.")
    resets_at = serializers.DateTimeField()
    daily_quota = serializers.IntegerField(help_text="YOUTUBE_DAILY_QUOTA.")
    reserve = serializers.IntegerField(help_text="YOUTUBE_QUOTA_RESERVE: never spent.")
    spendable = serializers.IntegerField(help_text="daily_quota − reserve.")
    remaining_today = serializers.IntegerField(
        help_text="Data API units left today (the least of the projects)."
    )
    projects = QuotaProjectSerializer(many=True, help_text="Today's ledger per project and API.")
    queued = QueuedQuotaDaySerializer(
        many=True,
        help_text="Pushes already queued in change sets you may see, per Pacific day they go out "
        "(days with nothing to send are left out).",
    )
    later_videos = serializers.IntegerField(
        help_text="Queued videos no day within a year can pay for (a daily budget below one video's "
        "units, or a year's backlog)."
    )
