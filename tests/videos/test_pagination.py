"""The estimated-count paginator and the video search, on SQLite and on PostgreSQL alike."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pagination
from core.pagination import EstimatedCountPaginator
from videos import selectors
from videos.models import Video
from videos.selectors import videos_search
from videos.services import video_update

PER_PAGE = 3
# More than 10 pages, so the pages past the middle are read backwards.
VIDEO_COUNT = 40
START = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def clips(channel_a1, channel_a2, make_video):
    # Two clips per day: the id tie-breaker decides between them.
    return [
        make_video(
            channel_a1 if n % 3 else channel_a2,
            video_id=f"clip{n:07d}",
            title=f"Clip {n}",
            published_at=START + timedelta(days=n // 2),
        )
        for n in range(VIDEO_COUNT)
    ]


def newest_first():
    return Video.objects.order_by("-published_at", "-id")


def ids(rows):
    return [video.pk for video in rows]


def offset_ids(queryset, number):
    bottom = (number - 1) * PER_PAGE
    return ids(queryset[bottom : bottom + PER_PAGE])


# ---------------------------------------------------------------------------- paginator


def test_every_page_shows_the_rows_of_the_plain_offset_query(clips):
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE)
    for number in paginator.page_range:
        assert ids(paginator.page(number)) == offset_ids(newest_first(), number), number


def test_a_page_past_the_middle_is_read_with_the_ordering_reversed(clips):
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE)
    paginator.count  # noqa: B018 -- count first, so the capture below holds only the page query
    with CaptureQueriesContext(connection) as captured:
        page = paginator.page(paginator.num_pages - 1)
    (query,) = captured.captured_queries
    assert '"published_at" ASC' in query["sql"]
    assert ids(page) == offset_ids(newest_first(), paginator.num_pages - 1)


def test_a_page_before_the_middle_is_read_from_the_start(clips):
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE)
    paginator.count  # noqa: B018
    with CaptureQueriesContext(connection) as captured:
        list(paginator.page(2))
    (query,) = captured.captured_queries
    assert '"published_at" DESC' in query["sql"]


@pytest.mark.parametrize("error", [-7, 7], ids=["estimate-too-low", "estimate-too-high"])
def test_the_estimates_last_page_is_counted_exactly(clips, monkeypatch, error):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BELOW", 0)
    monkeypatch.setattr(pagination, "planner_row_estimate", lambda queryset: VIDEO_COUNT + error)
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE)
    assert paginator.count == VIDEO_COUNT + error and paginator.count_is_estimate
    estimated_last = paginator.num_pages
    page = paginator.page(estimated_last)
    # Past the middle the estimate gave way to one exact count: a high estimate's last page is the
    # true last page; after a low one's, the true pages go on.
    assert not paginator.count_is_estimate and paginator.count == VIDEO_COUNT
    assert paginator.num_pages == 14 and page.number == min(estimated_last, 14)
    assert ids(page) == offset_ids(newest_first(), page.number)
    assert page.has_next() == (error < 0)


@pytest.mark.parametrize("estimate", [VIDEO_COUNT * 6 // 10, VIDEO_COUNT * 3 // 2], ids=["low", "high"])
def test_with_an_estimated_count_every_row_is_on_exactly_one_page(clips, monkeypatch, estimate):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BELOW", 0)
    monkeypatch.setattr(pagination, "planner_row_estimate", lambda queryset: estimate)
    shown, number = [], 1
    while True:
        # A fresh paginator per request, as the admin makes one per page view.
        page = EstimatedCountPaginator(newest_first(), PER_PAGE).page(number)
        shown += ids(page)
        if not page.has_next():
            break
        number += 1
    assert shown == ids(newest_first())


def test_pages_before_the_middle_of_an_estimate_are_not_counted(clips, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BELOW", 0)
    monkeypatch.setattr(pagination, "planner_row_estimate", lambda queryset: VIDEO_COUNT)
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE)
    paginator.count  # noqa: B018
    with CaptureQueriesContext(connection) as captured:
        list(paginator.page(2))
    assert len(captured.captured_queries) == 1 and "COUNT" not in captured.captured_queries[0]["sql"]
    assert paginator.count_is_estimate


def test_orphans_join_the_last_page(clips):
    paginator = EstimatedCountPaginator(newest_first(), PER_PAGE, orphans=1)  # 40 = 13 * 3 + 1
    last = paginator.page(paginator.num_pages)
    assert paginator.num_pages == 13
    assert ids(last) == ids(newest_first())[-4:]


def test_a_list_is_paged_like_djangos_paginator():
    paginator = EstimatedCountPaginator(list(range(100)), PER_PAGE)
    assert list(paginator.page(30)) == [87, 88, 89]


def test_planner_estimate_is_read_only_on_postgresql(clips):
    estimate = pagination.planner_row_estimate(newest_first())
    if connection.vendor == "postgresql":
        assert isinstance(estimate, int) and estimate > 0
    else:
        assert estimate is None


# ---------------------------------------------------------------------------- search


@pytest.fixture
def songs(channel_a1, make_video, alice):
    night = make_video(channel_a1, video_id="night000001", title="Midnight Song", tags=["synthwave"])
    dawn = make_video(channel_a1, video_id="dawn0000001", title="Live at Dawn")
    video_update(video=dawn, changes={"isrc": "USRC17607839", "custom_id": "CAT-0042"}, user=alice)
    noon = make_video(channel_a1, video_id="noon0000001", title="Noon Live Session")
    return {"night": night, "dawn": dawn, "noon": noon}


def found(term):
    return set(videos_search(Video.objects.all(), term).values_list("pk", flat=True))


def test_search_finds_a_word_of_the_title_in_any_case(songs):
    assert found("MIDnight") == {"night000001"}


def test_search_finds_a_tag(songs):
    assert found("synthwave") == {"night000001"}


def test_search_finds_an_exact_video_id(songs):
    assert found("dawn0000001") == {"dawn0000001"}


def test_search_does_not_match_part_of_a_video_id(songs):
    assert found("dawn000000") == set()


def test_search_finds_an_isrc_written_with_hyphens(songs):
    assert found("us-rc1-76-07839") == {"dawn0000001"}


def test_search_finds_an_exact_custom_id(songs):
    assert found("CAT-0042") == {"dawn0000001"}


def test_search_words_are_all_required(songs):
    assert found("live dawn") == {"dawn0000001"}
    assert found("live midnight") == set()


def test_search_keeps_a_quoted_phrase_together(songs):
    assert found('"at dawn"') == {"dawn0000001"}


def test_blank_search_returns_the_list_unchanged(songs):
    queryset = Video.objects.order_by("title")
    assert videos_search(queryset, "   ") is queryset


@pytest.mark.parametrize("min_matches", [1, 10**6], ids=["dense: index walk kept", "sparse: sorted"])
def test_search_keeps_the_order_of_the_list(clips, monkeypatch, min_matches):
    monkeypatch.setattr(selectors, "WALK_PROBE_MIN_MATCHES", min_matches)
    result = videos_search(newest_first(), "clip 1")  # Clip 1, 10 … 19, 21, 31
    expected = [video.pk for video in newest_first() if "1" in video.title]
    assert ids(result) == expected
    assert ids(result.reverse()) == expected[::-1]


def test_sparse_matches_are_sorted_without_walking_an_index(clips):
    result = videos_search(newest_first(), "clip 1")  # 13 of 40 rows: less than a page at each end
    order_by = str(result.query).split("ORDER BY")[1]
    assert "COALESCE" in order_by


def test_dense_matches_keep_the_index_walk(clips, monkeypatch):
    monkeypatch.setattr(selectors, "WALK_PROBE_MIN_MATCHES", 5)
    result = videos_search(newest_first(), "clip")  # every row matches
    order_by = str(result.query).split("ORDER BY")[1]
    assert "COALESCE" not in order_by


def test_search_results_past_the_middle_match_the_offset_query(clips):
    results = videos_search(newest_first(), "clip")
    paginator = EstimatedCountPaginator(results, PER_PAGE)
    for number in paginator.page_range:
        assert ids(paginator.page(number)) == offset_ids(results, number), number
