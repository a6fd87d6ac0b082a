"""Reads of the catalogue that need care: access scoping, search, category tables."""

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OrderBy, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.text import smart_split, unescape_string_literal

from channels_app.selectors import channels_editable_by, channels_visible_to, membership_scope_key
from videos.models import Asset, Claim, Policy, Video, VideoCategory

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


def _ownership_batch() -> int:
    """Ids per IN (...) lookup: SQLite builds may allow as few as 999 parameters; PostgreSQL takes a
    report chunk's ids at once (10,000 claims: 40 ms in one statement, 150 ms in batches of 900)."""
    return 900 if connections["default"].vendor == "sqlite" else 10_000


def claim_ids_of_other_owners(*, owner_id: str, claim_ids: Iterable[str]) -> set[str]:
    """The claims among these ids that exist and are not this content owner's.

    A claim is the owner's whose channel holds the claimed video: Content ID claims a video only
    with an asset of the owner of its channel (claims.insert), and claims are seen through their
    videos. A claim on a video of a channel with no owner is no owner's.
    """
    ids, size = sorted(set(claim_ids)), _ownership_batch()
    found: set[str] = set()
    for start in range(0, len(ids), size):
        found.update(
            Claim.objects.filter(pk__in=ids[start : start + size])
            .exclude(video__channel__content_owner_id=owner_id)
            .values_list("pk", flat=True)
        )
    return found


def asset_ids_of_other_owners(*, owner_id: str, asset_ids: Iterable[str]) -> set[str]:
    """The assets among these ids that exist and are not this content owner's.

    An asset is the owner's its content_owner names. An asset without one (made by an import
    without a content owner) is owned through its claims: it is another owner's as soon as one of
    its claims is not this owner's (see claim_ids_of_other_owners); with no claims at all it is
    nobody's yet, and this owner may fill it in.
    """
    claims_elsewhere = Claim.objects.filter(asset_id=OuterRef("pk")).exclude(
        video__channel__content_owner_id=owner_id
    )
    foreign = Q(content_owner__isnull=False) & ~Q(content_owner_id=owner_id)
    foreign |= Q(content_owner__isnull=True) & Exists(claims_elsewhere)
    ids, size = sorted(set(asset_ids)), _ownership_batch()
    found: set[str] = set()
    for start in range(0, len(ids), size):
        found.update(
            Asset.objects.filter(foreign, pk__in=ids[start : start + size]).values_list("pk", flat=True)
        )
    return found


def policy_ids_of_other_owners(*, owner_id: str, policy_ids: Iterable[str]) -> set[str]:
    """The saved policies among these ids that exist and belong to another content owner.

    A policy with no owner is nobody's: a pull for an owner that YouTube lists it for adopts it.
    """
    return set(
        Policy.objects.filter(pk__in=set(policy_ids), content_owner__isnull=False)
        .exclude(content_owner_id=owner_id)
        .values_list("pk", flat=True)
    )


def videos_search(queryset: QuerySet[Video], search_term: str) -> QuerySet[Video]:
    """Filter by every word of the search: video id, title, tags, artists, genres, ISRC, custom id.

    Title and keywords ignore accents ("canon" finds "Cañón", see videos.lookups): the title
    compiles to UPPER(ytcms_unaccent(title)) LIKE …, the keywords (stored upper-cased) to
    ytcms_unaccent(search_keywords) LIKE …; the trigram indexes on PostgreSQL are built on
    exactly those expressions (videos migration 0008).

    The ordering is kept, but when the matches are not dense at both ends of the list it is
    rewritten so that no index can serve it (see _without_index_walk): the database then finds
    the matches through the trigram indexes and sorts them.
    """
    match = Q()
    for word in smart_split(search_term):
        if word[0] in "\"'" and word[0] == word[-1] and len(word) > 1:
            word = unescape_string_literal(word)
        word = word.strip()
        if not word:
            continue
        condition = (
            Q(title__unaccent__icontains=word)
            | Q(search_keywords__unaccent__contains=word.upper())
            | Q(custom_id=word)
        )
        if VIDEO_ID_PATTERN.match(word):
            condition |= Q(pk=word)
        if ISRC_SEARCH_PATTERN.match(word):
            condition |= Q(isrc=word.replace("-", "").upper())
        match &= condition
    if not match:
        return queryset
    found = queryset.filter(match)
    ordering = _ordering(queryset)
    if ordering and _walked_field(ordering[0]) and not _matches_dense_at_both_ends(queryset, match):
        found = found.order_by(*_without_index_walk(ordering))
    return found


# What the admin's "channel" column sorts by. The column shows channel titles, but ordering by
# the joined title sorts every visible video on each page view (1 s at 10^6 rows, growing with the
# table); the channel id and the date walk video_channel_published from either end instead. The
# list is grouped by channel, the groups come in channel-id order.
CHANNEL_SORT = ("channel_id", "published_at")


def video_list_ordering(ordering: list) -> list:
    """The admin list's ordering, rewritten so that one btree index serves it from either end.

    Django ends an ordering that is not total with "-pk", whatever the direction of the sorted
    column; no (column, id) index serves "column ASC, id DESC". Here the video id breaks ties in
    the direction of the first sorted column, and the channel column expands to CHANNEL_SORT in
    its own direction. Terms the user chose keep their direction; expressions are left alone.
    """
    if not ordering or not all(isinstance(term, str) for term in ordering):
        return list(ordering)
    rewritten: list[str] = []
    seen: set[str] = set()
    for term in ordering:
        if term == "-pk":  # Django's tie-breaker, rebuilt below
            continue
        prefix, name = ("-", term[1:]) if term.startswith("-") else ("", term)
        name = "id" if name == "pk" else name
        for expanded in CHANNEL_SORT if name in ("channel", "channel_id") else (name,):
            if expanded not in seen:
                seen.add(expanded)
                rewritten.append(prefix + expanded)
        if name == "id":
            break  # unique: nothing after it changes the order
    if not rewritten:
        return list(ordering)
    if "id" not in seen:
        rewritten.append("-id" if rewritten[0].startswith("-") else "id")
    return rewritten


# ORDER BY one of these with a LIMIT can be served by walking a btree index and filtering row by
# row until a page of matches is met. That is the fastest plan for a word in a third of the
# titles and the slowest for a rare word, or for an artist whose videos are all years old: the
# planner expects the matches spread evenly and walks the whole index (1M rows: ~2 s).
INDEX_WALK_FIELDS = frozenset({"published_at", "updated_at", "title", "id", "pk"})
# The walk is kept when a page of matches turns up within the first WALK_PROBE_ROWS rows at each
# end of the list (a density of at least 0.5% at both ends); a walk of 10,000 rows costs ~25 ms.
# Otherwise the matches are read through the trigram indexes and sorted, which costs in
# proportion to their number (15,000 matches: ~0.1 s on 1M rows).
WALK_PROBE_ROWS = 10_000
WALK_PROBE_MIN_MATCHES = 50


def _ordering(queryset: QuerySet) -> list:
    if queryset.query.order_by:
        return list(queryset.query.order_by)
    if queryset.query.default_ordering:
        return list(queryset.model._meta.ordering)
    return []


def _walked_field(term) -> str | None:
    """The field of an ordering term when an index walk could serve it."""
    if isinstance(term, str):
        name = term.removeprefix("-")
    elif isinstance(term, OrderBy) and isinstance(term.expression, F):
        name = term.expression.name
    else:
        return None
    return name if name in INDEX_WALK_FIELDS else None


def _matches_dense_at_both_ends(queryset: QuerySet[Video], match: Q) -> bool:
    """Walk each end of the list as the page query would, stopping at the first page of matches.

    The match is a column of the walked rows, not a WHERE: in a WHERE the planner may read every
    match in the table through the trigram index instead (300,000 for a common word).
    """
    is_match = ExpressionWrapper(match, output_field=BooleanField())
    connection = connections[queryset.db]
    for end in (queryset, queryset.reverse()):
        walked = end.annotate(is_match=is_match).values("is_match")[:WALK_PROBE_ROWS]
        sql, params = walked.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) walked WHERE walked.is_match LIMIT %s) hits",
                (*params, WALK_PROBE_MIN_MATCHES),
            )
            if cursor.fetchone()[0] < WALK_PROBE_MIN_MATCHES:
                return False
    return True


def _without_index_walk(ordering: list) -> list:
    """The same ordering written as COALESCE(col, col), which no index matches."""
    rewritten = []
    for term in ordering:
        name = _walked_field(term)
        if name is None:
            rewritten.append(term)
            continue
        if isinstance(term, str):
            descending, nulls_first, nulls_last = term.startswith("-"), None, None
        else:
            descending, nulls_first, nulls_last = term.descending, term.nulls_first, term.nulls_last
        rewritten.append(
            OrderBy(
                Coalesce(F(name), F(name)),
                descending=descending,
                nulls_first=nulls_first,
                nulls_last=nulls_last,
            )
        )
    return rewritten


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


def effective_policy_labels(*, user) -> list[str]:
    """The distinct effective-policy labels of the videos the user may see, cached per scope.

    The labels are the owners' own policy names, so another owner's must not show. Cached per
    membership scope, not per user: a DISTINCT over millions of rows is not free, and everyone
    with the same memberships sees the same videos.
    """
    key = f"videos:effective_policy_labels:{membership_scope_key(user=user)}"
    labels = cache.get(key)
    if labels is None:
        videos = videos_visible_to(user=user).order_by()
        labels = sorted(
            label for label in videos.values_list("effective_policy", flat=True).distinct()[:200] if label
        )
        cache.set(key, labels, EFFECTIVE_POLICY_CACHE_SECONDS)
    return labels
