"""The video list's column sorts: the order a user sees, ties broken by video id, served by an index."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.urls import reverse

from videos.models import Video
from videos.selectors import video_list_ordering

CHANGELIST = reverse("admin:videos_video_changelist")
START = datetime(2020, 1, 1, tzinfo=UTC)
PRIVACY = ["public", "private", "unlisted"]
CLAIMED = ["claimed", "unclaimed", "others", ""]
POLICIES = ["Monetize in all countries", "Track in all countries", ""]


@pytest.fixture
def sortable_catalogue(channel_a1, channel_a2, make_video):
    """Twelve videos whose sorted columns repeat, so the id decides between most of them.

    Ids are created out of order, so an order that only looks right by creation would fail.
    """
    videos = []
    for n in (7, 2, 11, 0, 5, 9, 3, 10, 1, 6, 8, 4):
        videos.append(
            make_video(
                channel_a1 if n % 3 else channel_a2,
                video_id=f"sort{n:07d}",
                title=f"Song {n % 2}",
                privacy_status=PRIVACY[n % 3],
                published_at=START + timedelta(days=n // 4),
            )
        )
        Video.objects.filter(pk=f"sort{n:07d}").update(
            claimed_status=CLAIMED[n % 4],
            effective_policy=POLICIES[n % 3],
            has_pending_changes=n % 5 == 0,
        )
    return videos


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def sort(client, column: str, *, descending: bool = False) -> str:
    """The o= value of a column, as the list's header links build it (action_checkbox comes first)."""
    display = list(client.get(CHANGELIST).context["cl"].list_display)
    if column == "pending":
        column = "pending_marker"
    return f"{'-' if descending else ''}{display.index(column)}"


def listed(client, **params):
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return [video.pk for video in response.context["cl"].result_list]


def expected(key, *, descending):
    rows = sorted(Video.objects.all(), key=lambda video: (key(video), video.pk), reverse=descending)
    return [video.pk for video in rows]


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("column", ["title", "privacy_status", "claimed_status", "effective_policy"])
def test_a_column_sort_breaks_ties_by_id_in_the_same_direction(
    alice_client, sortable_catalogue, column, descending
):
    shown = listed(alice_client, o=sort(alice_client, column, descending=descending))

    assert shown == expected(lambda video: getattr(video, column), descending=descending)


def test_the_first_click_on_pending_lists_pending_videos_first_newest_id_first(
    alice_client, sortable_catalogue
):
    shown = listed(alice_client, o=sort(alice_client, "pending"))

    assert shown == expected(lambda video: video.has_pending_changes, descending=True)
    assert shown[:3] == ["sort0000010", "sort0000005", "sort0000000"]


def test_the_second_click_on_pending_lists_pending_videos_last(alice_client, sortable_catalogue):
    shown = listed(alice_client, o=sort(alice_client, "pending", descending=True))

    assert shown == expected(lambda video: video.has_pending_changes, descending=False)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_the_channel_sort_groups_by_channel_id_then_date_then_id(
    alice_client, sortable_catalogue, descending
):
    shown = listed(alice_client, o=sort(alice_client, "channel", descending=descending))

    assert shown == expected(lambda video: (video.channel_id, video.published_at), descending=descending)


def test_a_second_sorted_column_keeps_the_direction_the_user_chose(alice_client, sortable_catalogue):
    shown = listed(
        alice_client,
        o=f"{sort(alice_client, 'privacy_status')}.{sort(alice_client, 'published_at', descending=True)}",
    )

    rows = sorted(
        Video.objects.all(),
        key=lambda video: (video.privacy_status, -video.published_at.timestamp(), video.pk),
    )
    assert shown == [video.pk for video in rows]


def test_the_default_list_is_newest_first(alice_client, sortable_catalogue):
    shown = listed(alice_client)

    assert shown == expected(lambda video: video.published_at, descending=True)


# ---------------------------------------------------------------------------- the rewrite itself


@pytest.mark.parametrize(
    ("admin_ordering", "rewritten"),
    [
        (["effective_policy", "-pk"], ["effective_policy", "id"]),
        (["-effective_policy", "-pk"], ["-effective_policy", "-id"]),
        (["-has_pending_changes", "-pk"], ["-has_pending_changes", "-id"]),
        (["channel", "-pk"], ["channel_id", "published_at", "id"]),
        (["-channel", "-pk"], ["-channel_id", "-published_at", "-id"]),
        # The user's own second column keeps its direction; the tie-breaker follows the first.
        (["privacy_status", "-published_at", "-pk"], ["privacy_status", "-published_at", "id"]),
        (["channel", "-published_at", "-pk"], ["channel_id", "published_at", "id"]),
        (["-published_at", "-id"], ["-published_at", "-id"]),
        (["id"], ["id"]),
        (["-id"], ["-id"]),
        (["title", "-id"], ["title", "-id"]),
        (["-pk"], ["-pk"]),
    ],
)
def test_video_list_ordering(admin_ordering, rewritten):
    assert video_list_ordering(admin_ordering) == rewritten


def test_video_list_ordering_leaves_expressions_alone():
    ordering = [F("title").asc(), "-pk"]

    assert video_list_ordering(ordering) == ordering


# ---------------------------------------------------------------------------- PostgreSQL plans


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize(
    "column", ["title", "channel", "privacy_status", "claimed_status", "effective_policy", "pending"]
)
def test_every_column_sort_is_read_from_an_index_without_a_sort(
    client, admin_user, sortable_catalogue, column, descending
):
    client.force_login(admin_user)
    response = client.get(CHANGELIST, {"o": sort(client, column, descending=descending)})
    sql, params = response.context["cl"].queryset[:50].query.sql_with_params()

    with connection.cursor() as cursor:
        # A dozen rows: the planner would sort them however it could; forbid that, and a sort
        # still shows in the plan only when no index delivers the order.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Sort" not in plan, plan
    assert "Index Scan" in plan, plan
