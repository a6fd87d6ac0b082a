"""API throttle counters live in the `throttles` cache, which every web process shares on Redis."""

import os
import time

import pytest
from django.core.cache import cache, caches

from channels_app.authentication import api_token_create
from tests.api.conftest import client_with_token, error_codes

pytestmark = pytest.mark.django_db


def test_requests_are_counted_in_the_throttles_cache_not_the_per_process_default(catalogue, alice, settings):
    settings.API_THROTTLE_USER = "5/minute"
    client = client_with_token(api_token_create(user=alice, name="one")[1])

    assert client.get("/api/v1/videos/").status_code == 200

    assert len(caches["throttles"].get(f"throttle_user_{alice.pk}")) == 1
    assert cache.get(f"throttle_user_{alice.pk}") is None


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="the throttles cache is shared only on Redis (REDIS_URL)"
)
def test_requests_counted_by_another_web_process_spend_the_same_allowance(catalogue, alice, settings):
    from django.core.cache.backends.redis import RedisCache

    settings.API_THROTTLE_USER = "3/minute"
    # A second web process: its own connection to the same Redis, the same key prefix.
    other_process = RedisCache(
        os.environ["REDIS_URL"], {"KEY_PREFIX": settings.CACHES["throttles"]["KEY_PREFIX"]}
    )
    client = client_with_token(api_token_create(user=alice, name="one")[1])

    assert client.get("/api/v1/videos/").status_code == 200
    assert len(other_process.get(f"throttle_user_{alice.pk}")) == 1

    now = time.time()
    other_process.set(f"throttle_user_{alice.pk}", [now, now, now], 60)
    response = client.get("/api/v1/videos/")

    assert response.status_code == 429
    assert error_codes(response) == [(None, "throttled")]
