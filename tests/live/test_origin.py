"""The websocket Origin check: this site's exact origin (scheme, host, port) or CSRF_TRUSTED_ORIGINS."""

import logging

import pytest
from channels.testing import WebsocketCommunicator

from .conftest import transactional

pytestmark = [transactional, pytest.mark.asyncio]


async def handshake(
    cookie: bytes, *, origin: str | None, host: str = "testserver", scheme: str = "ws", **more
):
    """Open /ws/live/ as a signed-in browser would; True if the socket was accepted."""
    from ytcms_site.asgi import application

    headers = [(b"host", host.encode()), (b"cookie", cookie)]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(name.replace("_", "-").encode(), value.encode()) for name, value in more.items()]
    socket = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    socket.scope["scheme"] = scheme
    accepted, _ = await socket.connect()
    if accepted:
        status = await socket.receive_json_from(timeout=5)
        assert status["type"] == "connection_status"  # signed in and past every check
    await socket.disconnect()
    return accepted


@pytest.fixture
def alice_cookie(alice, cookie_of):
    return cookie_of(alice)


async def test_the_sites_exact_origin_is_accepted(alice_cookie):
    assert await handshake(alice_cookie, origin="http://testserver")


async def test_the_sites_origin_with_its_port_is_accepted(alice_cookie):
    assert await handshake(alice_cookie, origin="http://testserver:8000", host="testserver:8000")


async def test_the_same_host_on_another_port_is_refused(alice_cookie, caplog):
    with caplog.at_level(logging.WARNING, logger="ytcms.live"):
        assert not await handshake(alice_cookie, origin="http://testserver:8080")
        assert not await handshake(alice_cookie, origin="http://testserver:8080", host="testserver:8000")
    refusals = [r.getMessage() for r in caplog.records if r.name == "ytcms.live"]
    assert len(refusals) == 2 and "origin http://testserver:8080 is neither" in refusals[0]


async def test_another_scheme_of_the_same_host_is_refused(alice_cookie):
    # A page on plain http must not reach a site served over https (wss), nor the other way round.
    assert not await handshake(alice_cookie, origin="http://testserver", scheme="wss")
    assert not await handshake(alice_cookie, origin="https://testserver", scheme="ws")
    assert await handshake(alice_cookie, origin="https://testserver", scheme="wss")


async def test_the_scheme_our_proxy_reports_counts_only_when_it_is_trusted(alice_cookie, settings):
    # TLS ends at our proxy: the socket arrives as ws with X-Forwarded-Proto: https.
    assert not await handshake(alice_cookie, origin="https://testserver", x_forwarded_proto="https")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert await handshake(alice_cookie, origin="https://testserver", x_forwarded_proto="https")
    assert not await handshake(alice_cookie, origin="http://testserver", x_forwarded_proto="https")


async def test_a_host_outside_allowed_hosts_gives_no_own_origin(alice_cookie):
    assert not await handshake(alice_cookie, origin="http://evil.example.net", host="evil.example.net")


async def test_a_csrf_trusted_origin_is_accepted_exactly(alice_cookie, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://cms.example.com", "https://*.corp.example.com"]
    assert await handshake(alice_cookie, origin="https://cms.example.com")
    assert await handshake(alice_cookie, origin="https://team.corp.example.com")
    assert not await handshake(alice_cookie, origin="http://cms.example.com")
    assert not await handshake(alice_cookie, origin="https://cms.example.com:8443")
    assert not await handshake(alice_cookie, origin="http://team.corp.example.com")
    assert not await handshake(alice_cookie, origin="https://corp.example.com.evil.net")


async def test_a_missing_origin_is_refused_and_logged_as_before(alice_cookie, caplog):
    with caplog.at_level(logging.WARNING, logger="ytcms.live"):
        assert not await handshake(alice_cookie, origin=None)
    assert any("origin (none)" in r.getMessage() for r in caplog.records if r.name == "ytcms.live")


async def test_a_null_origin_is_refused(alice_cookie):
    assert not await handshake(alice_cookie, origin="null")
