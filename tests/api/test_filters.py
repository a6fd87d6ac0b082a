"""Video filters: the admin's list filters and search, within the user's scope."""

from datetime import UTC, datetime

import pytest

from tests.api.conftest import error_codes, ids
from videos.models import Video

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(catalogue):
    Video.objects.filter(pk="a1song00001").update(
        privacy_status="unlisted",
        category_id="24",
        claimed_status="claimed",
        effective_policy="Monetize in all countries",
        isrc="USRC17607839",
        custom_id="CID-7",
        artists=["Nina Blue"],
        search_keywords="NIGHT | NINA BLUE",
        has_pending_changes=True,
        pending_fields=["title"],
        published_at=datetime(2020, 5, 1, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    Video.objects.filter(pk="a1live00001").update(
        claimed_status="unclaimed",
        has_drift=True,
        drifted_fields=["tags"],
        published_at=datetime(2022, 5, 1, tzinfo=UTC),
        updated_at=datetime(2023, 1, 1, tzinfo=UTC),
    )
    Video.objects.filter(pk="a2clip00001").update(
        claimed_status="", updated_at=datetime(2023, 1, 1, tzinfo=UTC)
    )
    return catalogue


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("search=midnight", {"a1song00001"}),
        ("search=nina", {"a1song00001"}),
        ("search=night", {"a1song00001"}),  # a tag
        ("search=USRC17607839", {"a1song00001"}),
        ("search=US-RC1-76-07839", {"a1song00001"}),
        ("search=CID-7", {"a1song00001"}),
        ("search=a2clip00001", {"a2clip00001"}),
        ("search=live dawn", {"a1live00001"}),
        ("search=nothing-like-this", set()),
        ("content_owner=owner-a", {"a1song00001", "a1live00001", "a2clip00001"}),
        ("content_owner=owner-b", set()),  # not alice's: filtered inside her scope
        ("channel=UCbbbbbbbbbbbbbbbbbbbbbb", {"a2clip00001"}),
        ("category=24", {"a1song00001"}),
        ("privacy=unlisted", {"a1song00001"}),
        ("claimed=claimed", {"a1song00001"}),
        ("claimed=unclaimed", {"a1live00001"}),
        ("claimed=unknown", {"a2clip00001"}),
        ("policy=Monetize in all countries", {"a1song00001"}),
        ("pending=true", {"a1song00001"}),
        ("pending=false", {"a1live00001", "a2clip00001"}),
        ("drifted=true", {"a1live00001"}),
        ("published_after=2021-01-01T00:00:00Z", {"a1live00001"}),
        ("published_before=2021-01-01T00:00:00Z", {"a1song00001"}),
        ("updated_since=2024-01-01T00:00:00Z", {"a1song00001"}),
        ("privacy=public&drifted=true", {"a1live00001"}),
    ],
)
def test_video_filters(varied, alice_api, query, expected):
    assert set(ids(alice_api.get(f"/api/v1/videos/?{query}"))) == expected


def test_search_never_reaches_outside_the_users_scope(varied, charlie_api, alice_api):
    # "Midnight" is in an A1 title and in B1's: each sees only their own.
    assert ids(charlie_api.get("/api/v1/videos/?search=midnight")) == ["b1secret001"]
    assert ids(alice_api.get("/api/v1/videos/?search=midnight")) == ["a1song00001"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("privacy=secret", "privacy"),
        ("claimed=maybe", "claimed"),
        ("published_after=yesterday", "published_after"),
        ("updated_since=2024-13-01", "updated_since"),
        ("search=" + "x" * 201, "search"),
        ("search=a%00b", "search"),
    ],
)
def test_bad_filter_values_are_400_with_the_parameter_named(varied, alice_api, query, field):
    response = alice_api.get(f"/api/v1/videos/?{query}")
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_rights_filters(rights, root_api):
    assert ids(root_api.get("/api/v1/claims/?video=b1secret001")) == ["claim-b1"]
    assert ids(root_api.get("/api/v1/claims/?status=active&content_type=audio")) == ["claim-b1"]
    assert ids(root_api.get("/api/v1/assets/?content_owner=owner-a")) == ["A100000000001"]
    response = root_api.get("/api/v1/claims/?status=bogus")
    assert error_codes(response) == [("status", "invalid_choice")]


def test_time_filters_take_any_offset_python_does_and_query_in_utc(catalogue, alice_api):
    # PostgreSQL refuses offsets beyond ±15:59 ("time zone displacement out of range"): a 500
    # before the filters turned every time into UTC.
    response = alice_api.get("/api/v1/videos/", {"updated_since": "1426-10-26T19:08:16.7+19:54"})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 3
    response = alice_api.get("/api/v1/videos/", {"published_after": "1426-10-26T19:08:16.7-19:54"})
    assert response.status_code == 200, response.content
    response = alice_api.get("/api/v1/videos/", {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "updated_since"
