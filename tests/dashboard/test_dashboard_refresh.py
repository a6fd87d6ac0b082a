"""Stale-while-revalidate of the dashboard's catalogue counts: no page load pays for a recount.

The figures live in a "dashboard" cache shared with the task worker (Redis when REDIS_URL is set,
else files in a temporary folder: both outlive a process, like the real set-up), and tasks go to
the DummyBackend, which keeps what was queued without running it: a test runs the queued refresh
itself, so a request that computed inline could not hide behind an immediate task.
alice manages content owner A (3 videos in `catalogue`).
"""

import os
from datetime import datetime, timedelta

import pytest
from django.core.cache import caches
from django.tasks import task_backends
from django.urls import reverse
from django.utils import timezone

from channels_app.models import Membership
from channels_app.selectors import membership_scope_key
from ytcms_site.dashboard import selectors
from ytcms_site.dashboard.selectors import dashboard_data

pytestmark = pytest.mark.django_db


def _shared_cache(tmp_path) -> dict:
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "ytcms-test-dashboard",
        }
    return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}


@pytest.fixture
def shared_cache(settings, tmp_path):
    settings.CACHES = {**settings.CACHES, "dashboard": _shared_cache(tmp_path)}
    caches["dashboard"].clear()
    yield caches["dashboard"]
    caches["dashboard"].clear()


@pytest.fixture
def queued(settings):
    """What was queued: the DummyBackend keeps task results and runs nothing."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]
    backend.clear()
    yield backend.results
    backend.clear()


@pytest.fixture
def counts(monkeypatch):
    """Each recount of a catalogue: the user it was made as."""
    made_as = []
    count = selectors.catalogue_counts

    def counting(*, user):
        made_as.append(user)
        return count(user=user)

    monkeypatch.setattr(selectors, "catalogue_counts", counting)
    return made_as


def _run(result):
    return result.task.call(*result.args, **result.kwargs)


def _stale_time() -> datetime:
    return timezone.now() - timedelta(seconds=selectors.CATALOGUE_CACHE_SECONDS + 1)


def test_a_cold_scope_is_counted_inline_and_nothing_is_queued(alice, catalogue, shared_cache, queued, counts):
    data = dashboard_data(user=alice)

    assert data["catalogue"]["total"] == 3
    assert counts == [alice]
    assert queued == []
    assert data["refreshing"] is False


def test_fresh_figures_are_served_without_a_recount(alice, catalogue, shared_cache, queued, counts):
    start = timezone.now()
    dashboard_data(user=alice, now=start)

    almost_stale = start + timedelta(seconds=selectors.CATALOGUE_CACHE_SECONDS - 1)
    data = dashboard_data(user=alice, now=almost_stale)

    assert len(counts) == 1
    assert queued == []
    assert data["refreshing"] is False
    assert data["computed_at"] == start.isoformat()


def test_stale_figures_are_served_at_once_and_one_refresh_is_queued(
    alice, channel_a1, catalogue, make_video, shared_cache, queued, counts
):
    counted_at = _stale_time()
    dashboard_data(user=alice, now=counted_at)
    make_video(channel_a1)

    first = dashboard_data(user=alice)
    second = dashboard_data(user=alice)

    assert len(counts) == 1  # neither stale request counted
    assert first["catalogue"]["total"] == second["catalogue"]["total"] == 3
    assert first["computed_at"] == second["computed_at"] == counted_at.isoformat()
    assert first["refreshing"] is second["refreshing"] is True
    assert [(result.task.module_path, result.kwargs) for result in queued] == [
        (
            "ytcms_site.dashboard.tasks.dashboard_refresh_task",
            {"user_id": alice.pk, "scope": membership_scope_key(user=alice)},
        )
    ]


def test_the_refresh_recounts_and_the_next_request_sees_the_new_figures(
    alice, channel_a1, catalogue, make_video, shared_cache, queued, counts
):
    dashboard_data(user=alice, now=_stale_time())
    make_video(channel_a1)
    dashboard_data(user=alice)
    before_refresh = timezone.now()

    assert _run(queued[0])["status"] == "refreshed"
    data = dashboard_data(user=alice)

    assert len(counts) == 2
    assert data["catalogue"]["total"] == 4
    assert data["refreshing"] is False
    assert datetime.fromisoformat(data["computed_at"]) >= before_refresh
    assert len(queued) == 1


def test_after_a_refresh_the_next_stale_request_may_queue_again(
    alice, catalogue, shared_cache, queued, counts
):
    dashboard_data(user=alice, now=_stale_time())
    dashboard_data(user=alice)
    _run(queued[0])

    later = timezone.now() + timedelta(seconds=selectors.CATALOGUE_CACHE_SECONDS + 1)
    dashboard_data(user=alice, now=later)

    assert len(queued) == 2  # the refresh released its lock


def test_users_sharing_a_scope_share_the_one_queued_refresh(
    alice, django_user_model, owner_a, catalogue, shared_cache, queued
):
    twin = django_user_model.objects.create_user("alice2", password="pw", is_staff=True)
    Membership.objects.create(user=twin, content_owner=owner_a, role="editor")
    dashboard_data(user=alice, now=_stale_time())

    dashboard_data(user=alice)
    dashboard_data(user=twin)

    assert len(queued) == 1


def test_a_refresh_for_a_user_whose_memberships_changed_counts_nothing(
    alice, catalogue, shared_cache, queued, counts
):
    counted_at = _stale_time()
    dashboard_data(user=alice, now=counted_at)
    dashboard_data(user=alice)
    scope = membership_scope_key(user=alice)
    Membership.objects.filter(user=alice).delete()

    assert _run(queued[0])["status"] == "skipped: the user no longer has this scope"

    assert len(counts) == 1
    # The old scope keeps its figures, and its lock is free for the next stale request.
    assert shared_cache.get(f"{selectors.CACHE_PREFIX}:catalogue-as-of:{scope}")["computed_at"] == counted_at
    assert shared_cache.get(f"{selectors.CACHE_PREFIX}:catalogue-refresh:{scope}") is None


def test_a_refresh_that_finds_the_figures_fresh_again_does_not_recount(
    alice, catalogue, shared_cache, queued, counts
):
    dashboard_data(user=alice, now=_stale_time())
    dashboard_data(user=alice)
    dashboard_data(user=alice)
    queued_twice = [queued[0], queued[0]]  # e.g. a lost lock let a second refresh be queued

    statuses = [_run(result)["status"] for result in queued_twice]

    assert statuses == ["refreshed", "skipped: already fresh"]
    assert len(counts) == 2


def test_a_refresh_that_cannot_be_queued_still_serves_the_stale_figures(
    alice, catalogue, shared_cache, queued, counts, monkeypatch
):
    counted_at = _stale_time()
    dashboard_data(user=alice, now=counted_at)

    def broken_enqueue(task, args, kwargs):
        raise RuntimeError("task table unavailable")

    monkeypatch.setattr(task_backends["default"], "enqueue", broken_enqueue)
    data = dashboard_data(user=alice)

    assert data["computed_at"] == counted_at.isoformat()
    assert len(counts) == 1
    monkeypatch.undo()
    dashboard_data(user=alice)
    assert len(queued) == 1  # the failed attempt released the lock


def test_a_per_process_cache_recounts_in_the_one_request_that_takes_the_lock(
    settings, alice, channel_a1, catalogue, make_video, queued, counts
):
    # Without a "dashboard" cache the figures sit in the per-process "default" (locmem): the
    # worker could not write where this process reads, so the request counts, once per scope.
    settings.CACHES = {name: value for name, value in settings.CACHES.items() if name != "dashboard"}
    cache = selectors.dashboard_cache()
    cache.clear()
    dashboard_data(user=alice, now=_stale_time())
    make_video(channel_a1)
    scope = membership_scope_key(user=alice)

    assert cache.add(f"{selectors.CACHE_PREFIX}:catalogue-refresh:{scope}", "someone else", 60)
    while_locked = dashboard_data(user=alice)
    cache.delete(f"{selectors.CACHE_PREFIX}:catalogue-refresh:{scope}")
    recounted = dashboard_data(user=alice)

    assert while_locked["catalogue"]["total"] == 3 and while_locked["refreshing"] is True
    assert recounted["catalogue"]["total"] == 4 and recounted["refreshing"] is False
    assert len(counts) == 2
    assert queued == []
    cache.clear()


def test_the_json_says_when_the_catalogue_was_counted(client, alice, catalogue, shared_cache, queued):
    client.force_login(alice)
    before = timezone.now()

    body = client.get(reverse("dashboard_data")).json()

    computed_at = datetime.fromisoformat(body["computed_at"])
    assert before <= computed_at <= timezone.now()
    assert body["refreshing"] is False


def test_the_json_of_stale_figures_keeps_their_time_and_says_a_refresh_is_under_way(
    client, alice, catalogue, shared_cache, queued
):
    counted_at = _stale_time()
    dashboard_data(user=alice, now=counted_at)
    client.force_login(alice)

    body = client.get(reverse("dashboard_data")).json()

    assert body["computed_at"] == counted_at.isoformat()
    assert body["refreshing"] is True


def test_the_catalogue_cards_have_a_place_for_as_of(client, alice, catalogue):
    client.force_login(alice)
    page = client.get(reverse("admin:index")).content.decode()
    for card in ("dash-privacy", "dash-claimed", "dash-policy"):
        start = page.index(f'id="{card}"')
        assert "data-as-of" in page[start : page.index("</h2>", start)]


def test_the_refresh_queued_in_the_database_is_what_the_worker_can_run(
    settings, alice, channel_a1, catalogue, make_video, shared_cache, counts
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    dashboard_data(user=alice, now=_stale_time())
    make_video(channel_a1)
    assert dashboard_data(user=alice)["catalogue"]["total"] == 3

    # What db_worker does with the row: import the task by its path, call it with the stored
    # JSON arguments (running the worker here would close the test's database connection).
    row = DBTaskResult.objects.get()
    assert row.task_path == "ytcms_site.dashboard.tasks.dashboard_refresh_task"
    assert row.queue_name == "default"
    outcome = row.task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])

    assert outcome["status"] == "refreshed"
    assert dashboard_data(user=alice)["catalogue"]["total"] == 4
    assert len(counts) == 2  # the cold count and the refresh
