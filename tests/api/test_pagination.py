"""Cursor pages: every row exactly once, in order, across ties and NULLs, forwards and back."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import error_codes
from videos.models import Video

pytestmark = pytest.mark.django_db

BASE = datetime(2024, 1, 1, tzinfo=UTC)
ORDERINGS = ["-published_at", "published_at", "-updated_at", "updated_at", "-id", "id"]


@pytest.fixture
def ties(channel_a1, channel_a2, make_video):
    """31 videos: published on 4 distinct times (up to 9 per time), 4 never published; updated
    on only 2 distinct times."""
    videos = []
    for n in range(31):
        video = make_video(channel_a1 if n % 2 else channel_a2, video_id=f"tie{n:08d}", title=f"Tie {n}")
        videos.append(video)
    for n, video in enumerate(videos):
        published = None if n % 8 == 7 else BASE + timedelta(days=n % 4)
        Video.objects.filter(pk=video.pk).update(
            published_at=published, updated_at=BASE + timedelta(hours=n % 2)
        )
    return list(Video.objects.all())


def expected_order(videos, ordering: str) -> list[str]:
    field = ordering.lstrip("-")
    descending = ordering.startswith("-")
    if field == "id":
        return sorted((v.pk for v in videos), reverse=descending)
    valued = sorted(
        (v for v in videos if getattr(v, field) is not None), key=lambda v: (getattr(v, field), v.pk)
    )
    nulls = sorted((v for v in videos if getattr(v, field) is None), key=lambda v: v.pk)
    ascending = [v.pk for v in valued + nulls]  # NULLs last ascending, first descending
    return ascending[::-1] if descending else ascending


def walk(client, url):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(([row["id"] for row in body["results"]], body))
        url = body["next"]
    return pages


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_walking_every_page_lists_each_video_once_in_order(ties, alice_api, ordering):
    pages = walk(alice_api, f"/api/v1/videos/?ordering={ordering}&page_size=4")
    seen = [video_id for page, _ in pages for video_id in page]
    assert seen == expected_order(ties, ordering)
    assert all(len(page) == 4 for page, _ in pages[:-1])
    assert pages[0][1]["previous"] is None and pages[-1][1]["next"] is None


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_walking_back_with_previous_gives_the_same_pages(ties, alice_api, ordering):
    forward = walk(alice_api, f"/api/v1/videos/?ordering={ordering}&page_size=5")
    backward = []
    url = forward[-1][1]["previous"]
    while url:
        body = alice_api.get(url).json()
        backward.append([row["id"] for row in body["results"]])
        url = body["previous"]
    assert backward[::-1] == [page for page, _ in forward[:-1]]


def test_a_page_follows_filters_and_the_users_scope(ties, bob_api):
    pages = walk(bob_api, "/api/v1/videos/?page_size=3&search=Tie")
    seen = [video_id for page, _ in pages for video_id in page]
    a1_only = [v for v in ties if v.channel_id.startswith("UCa")]
    assert seen == expected_order(a1_only, "-published_at")


def test_the_cursor_keeps_the_other_query_parameters(ties, alice_api):
    body = alice_api.get("/api/v1/videos/?ordering=updated_at&page_size=2&privacy=public").json()
    query = parse_qs(urlparse(body["next"]).query)
    assert (
        query["ordering"] == ["updated_at"] and query["page_size"] == ["2"] and query["privacy"] == ["public"]
    )


def test_a_deep_page_is_found_by_key_not_by_offset(ties, alice_api):
    url = alice_api.get("/api/v1/videos/?page_size=4").json()["next"]
    url = alice_api.get(url).json()["next"]
    with CaptureQueriesContext(connection) as queries:
        assert alice_api.get(url).status_code == 200
    page_queries = [q["sql"] for q in queries.captured_queries if 'FROM "videos_video"' in q["sql"]]
    assert page_queries and not any("OFFSET" in sql for sql in page_queries)
    assert any('("videos_video"."published_at", "videos_video"."id") <' in sql for sql in page_queries)


def test_the_list_reads_only_the_columns_it_shows(ties, alice_api):
    with CaptureQueriesContext(connection) as queries:
        alice_api.get("/api/v1/videos/?page_size=50")
    page_sql = [q["sql"] for q in queries.captured_queries if 'FROM "videos_video"' in q["sql"]]
    assert len(page_sql) == 1  # one query for the page, none per row
    assert '"description"' not in page_sql[0] and '"remote_snapshot"' not in page_sql[0]


@pytest.mark.parametrize("page_size", ["0", "501", "-1", "abc", "1.5"])
def test_a_page_size_outside_1_to_500_is_refused(ties, alice_api, page_size):
    response = alice_api.get(f"/api/v1/videos/?page_size={page_size}")
    assert response.status_code == 400
    assert error_codes(response) == [("page_size", "invalid_page_size")]


def test_page_sizes_of_1_and_500_are_accepted(ties, alice_api):
    assert len(alice_api.get("/api/v1/videos/?page_size=1").json()["results"]) == 1
    assert len(alice_api.get("/api/v1/videos/?page_size=500").json()["results"]) == len(ties)


def test_the_default_page_is_50(channel_a1, make_video, alice_api):
    for n in range(51):
        make_video(channel_a1, video_id=f"many{n:07d}")
    body = alice_api.get("/api/v1/videos/").json()
    assert len(body["results"]) == 50 and body["next"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJvIjoiLWlkIn0", "eyJvIjoiLXB1Ymxpc2hlZF9hdCIsInYiOiJub3QgYSB0aW1lIiwiayI6ImEifQ", "%00"],
)
def test_a_bad_cursor_is_a_400(ties, alice_api, cursor):
    response = alice_api.get(f"/api/v1/videos/?cursor={cursor}")
    assert response.status_code == 400
    assert error_codes(response) == [("cursor", "invalid_cursor")]


def test_a_cursor_of_another_ordering_is_refused(ties, alice_api):
    next_url = alice_api.get("/api/v1/videos/?ordering=id&page_size=2").json()["next"]
    cursor = parse_qs(urlparse(next_url).query)["cursor"][0]
    response = alice_api.get("/api/v1/videos/", {"cursor": cursor, "ordering": "updated_at"})
    assert error_codes(response) == [("cursor", "invalid_cursor")]


def test_an_unknown_ordering_is_refused(ties, alice_api):
    response = alice_api.get("/api/v1/videos/?ordering=title")
    assert response.status_code == 400
    assert error_codes(response) == [("ordering", "invalid_choice")]


def test_other_lists_page_by_their_own_orderings(rights, root_api, channel_b1):
    body = root_api.get("/api/v1/channels/?page_size=1").json()
    assert [row["title"] for row in body["results"]] == ["A One"]
    assert root_api.get(body["next"]).json()["results"][0]["title"] == "A Two"
    claims = walk(root_api, "/api/v1/claims/?page_size=1")
    assert [page for page, _ in claims] == [["claim-a1"], ["claim-b1"]]
