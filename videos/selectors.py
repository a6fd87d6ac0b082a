"""Reads of the catalogue that need care: access scoping, search, category tables."""

import re

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from channels_app.selectors import channels_editable_by, channels_visible_to
from videos.models import Video, VideoCategory

VIDEO_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{11}$")
ISRC_SEARCH_PATTERN = re.compile(r"^[A-Za-z]{2}-?[A-Za-z0-9]{3}-?\d{2}-?\d{5}$")


def videos_visible_to(*, user) -> QuerySet[Video]:
    """The one place that decides which videos a user may see (admin, API, websockets)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Video.objects.all()
    return Video.objects.filter(channel__in=channels_visible_to(user=user))


def videos_editable_by(*, user) -> QuerySet[Video]:
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Video.objects.all()
    return Video.objects.filter(channel__in=channels_editable_by(user=user))


def video_is_editable_by(*, user, video: Video) -> bool:
    return channels_editable_by(user=user).filter(pk=video.channel_id).exists()


def videos_search(queryset: QuerySet[Video], search_term: str) -> QuerySet[Video]:
    """Filter by every word of the search: video id, title, tags, artists, genres, ISRC, custom id.

    Title and keywords use `icontains`, which compiles to UPPER(col) LIKE UPPER(%s); the trigram
    indexes on PostgreSQL are built on UPPER(col) for exactly that reason.
    """
    for word in smart_split(search_term):
        if word[0] in "\"'" and word[0] == word[-1] and len(word) > 1:
            word = unescape_string_literal(word)
        word = word.strip()
        if not word:
            continue
        condition = (
            Q(title__icontains=word)
            | Q(search_keywords__contains=word.upper())
            | Q(custom_id=word)
        )
        if VIDEO_ID_PATTERN.match(word):
            condition |= Q(pk=word)
        if ISRC_SEARCH_PATTERN.match(word):
            condition |= Q(isrc=word.replace("-", "").upper())
        queryset = queryset.filter(condition)
    return queryset


def video_categories(*, region_code: str | None = None) -> list[VideoCategory]:
    region_code = region_code or settings.YOUTUBE_REGION_CODE
    return list(VideoCategory.objects.filter(region_code=region_code).order_by("title"))


def assignable_category_ids(*, region_code: str | None = None) -> set[str]:
    region_code = region_code or settings.YOUTUBE_REGION_CODE
    return set(
        VideoCategory.objects.filter(region_code=region_code, assignable=True).values_list(
            "category_id", flat=True
        )
    )


def category_names(*, region_code: str | None = None) -> dict[str, str]:
    return {c.category_id: c.title for c in video_categories(region_code=region_code)}


EFFECTIVE_POLICY_CACHE_SECONDS = 600


def effective_policy_labels() -> list[str]:
    """The distinct effective-policy labels, cached: a DISTINCT over millions of rows is not free."""
    labels = cache.get("videos:effective_policy_labels")
    if labels is None:
        labels = sorted(
            label
            for label in Video.objects.order_by()
            .values_list("effective_policy", flat=True)
            .distinct()[:200]
            if label
        )
        cache.set("videos:effective_policy_labels", labels, EFFECTIVE_POLICY_CACHE_SECONDS)
    return labels
