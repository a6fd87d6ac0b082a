"""The API's video filters: the admin's list filters and search, as query parameters."""

import django_filters
from django_filters import rest_framework as drf_filters

from core.api import UTCIsoDateTimeFilter
from videos.models import Asset, Claim, Video
from videos.selectors import videos_search
from videos.validation import PRIVACY_STATUSES

CLAIMED_CHOICES = [
    ("claimed", "claimed"),
    ("others", "claimed by other owners only"),
    ("unclaimed", "not claimed"),
    ("unknown", "unknown"),
]


class VideoFilter(drf_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Every word must match: video id, words of the title, a tag, an artist, a genre, "
        "an ISRC or a custom id (the admin's search).",
    )
    content_owner = django_filters.CharFilter(field_name="channel__content_owner_id")
    channel = django_filters.CharFilter(field_name="channel_id")
    category = django_filters.CharFilter(field_name="category_id", help_text="A category id, e.g. 10.")
    privacy = django_filters.ChoiceFilter(
        field_name="privacy_status", choices=[(p, p) for p in PRIVACY_STATUSES]
    )
    claimed = django_filters.ChoiceFilter(choices=CLAIMED_CHOICES, method="filter_claimed")
    policy = django_filters.CharFilter(
        field_name="effective_policy", help_text="The effective policy's label, exactly."
    )
    pending = drf_filters.BooleanFilter(
        field_name="has_pending_changes", help_text="What we want differs from YouTube."
    )
    drifted = drf_filters.BooleanFilter(
        field_name="has_drift", help_text="YouTube changed fields outside ytcms (not yet acknowledged)."
    )
    published_after = UTCIsoDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UTCIsoDateTimeFilter(field_name="published_at", lookup_expr="lt")
    updated_since = UTCIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Changed in ytcms at or after this time; with ordering=updated_at, a sync's feed.",
    )

    class Meta:
        model = Video
        fields = []

    def filter_queryset(self, queryset):
        # The search goes last: videos_search looks at the rows the other filters leave to decide
        # how the database should find its matches.
        search = self.form.cleaned_data.get("search")
        for name, value in self.form.cleaned_data.items():
            if name != "search":
                queryset = self.filters[name].filter(queryset, value)
        if search:
            queryset = videos_search(queryset, search)
        return queryset

    def filter_search(self, queryset, name, value):  # pragma: no cover - applied in filter_queryset
        return videos_search(queryset, value)

    def filter_claimed(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(claimed_status="" if value == "unknown" else value)


class AssetFilter(drf_filters.FilterSet):
    content_owner = django_filters.CharFilter(field_name="content_owner_id")
    asset_type = django_filters.ChoiceFilter(choices=Asset.Type.choices)
    isrc = django_filters.CharFilter(method="filter_isrc")
    custom_id = django_filters.CharFilter()

    class Meta:
        model = Asset
        fields = []

    def filter_isrc(self, queryset, name, value):
        return queryset.filter(isrc=value.replace("-", "").upper())


class ClaimFilter(drf_filters.FilterSet):
    video = django_filters.CharFilter(field_name="video_id")
    asset = django_filters.CharFilter(field_name="asset_id")
    policy = django_filters.CharFilter(field_name="policy_id")
    status = django_filters.ChoiceFilter(choices=Claim.Status.choices)
    content_type = django_filters.ChoiceFilter(choices=Claim.ContentType.choices)

    class Meta:
        model = Claim
        fields = []
