"""Live-updates fixtures: a channel layer of each test's own, sessions of the personas, communicators.

The websocket tests are transactional: the consumer reads memberships in another thread (its own
database connection), and events only leave after a real commit.
"""

import uuid

import pytest
from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from core.live import transport
from tests.reports.test_ingest_helpers import generated_fixture, immediate_tasks_fixture  # noqa: F401
from tests.syncs.conftest import (  # noqa: F401
    connect,
    emulator,
    encryption_key,
    sleeps,
    youtube_emulator,
)

ORIGIN = b"http://testserver"
transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _own_channel_layer(settings):
    """In memory, or Redis under a prefix of this test's own when REDIS_URL is set."""
    if django_settings.REDIS_URL:
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [django_settings.REDIS_URL],
                    "prefix": f"ytcms-test-{uuid.uuid4().hex[:8]}",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    transport.reset_throttles()
    yield
    channel_layers.backends.clear()
    transport.reset_throttles()
    # database_sync_to_async ran the ORM in asgiref's executor thread: close its connection, or
    # PostgreSQL refuses to drop the test database ("being accessed by other users").
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


@pytest.fixture
def cookie_of():
    return session_cookie


def communicator(*, cookie: bytes | None = None, origin: bytes | None = ORIGIN) -> WebsocketCommunicator:
    from ytcms_site.asgi import application

    headers = [(b"host", b"testserver")]  # as a browser sends it: the origin check needs the site's host
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


async def connected(cookie: bytes) -> WebsocketCommunicator:
    """A signed-in websocket, past its connection_status frame."""
    socket = communicator(cookie=cookie)
    accepted, _ = await socket.connect()
    assert accepted
    status = await socket.receive_json_from(timeout=5)
    assert status["type"] == "connection_status"
    return socket


async def frames(socket: WebsocketCommunicator, *, wait: float = 0.5) -> list[dict]:
    """Every frame that arrives until `wait` seconds pass without one."""
    received = []
    while not await socket.receive_nothing(timeout=wait):
        received.append(await socket.receive_json_from(timeout=5))
    return received


def of_type(received: list[dict], event_type: str) -> list[dict]:
    return [frame for frame in received if frame["type"] == event_type]


in_thread = database_sync_to_async
