"""Bodies of requests that are not signed in are refused before Django spools them, over real HTTP.

The site runs in uvicorn (in a thread, on the test database). The client streams its body the
way a large upload arrives and stops as soon as the server answers; Django's body spool (the
SpooledTemporaryFile every ASGI request body goes to) is watched to see how much it was given.
"""

import re
import select
import socket
import tempfile
import threading
import time
from types import SimpleNamespace

import pytest
import requests
import uvicorn
from asgiref.sync import SyncToAsync
from django.core.handlers import asgi as django_asgi
from django.db import connections

from channels_app.authentication import api_token_create, api_tokens_revoke
from reports.models import Report
from tests.conftest import channel_id
from ytcms_site.uploads import ANONYMOUS_MAX_BODY_BYTES

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BIG = 5 * 2**20  # a few MB over the cap is enough to see where reading stops
PIECE = 16 * 1024
BOUNDARY = "----ytcmsboundary"


class WatchedSpool(tempfile.SpooledTemporaryFile):
    """Django's body spool, counting what it is given."""

    written: list[int] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.written.append(0)
        self._index = len(self.written) - 1

    def write(self, data):
        self.written[self._index] += len(data)
        return super().write(data)


@pytest.fixture
def spool(monkeypatch):
    WatchedSpool.written = []
    monkeypatch.setattr(django_asgi, "tempfile", SimpleNamespace(SpooledTemporaryFile=WatchedSpool))
    return WatchedSpool.written


@pytest.fixture
def site(settings, tmp_path):
    """http://127.0.0.1:PORT of the site served by uvicorn in a thread."""
    from ytcms_site.asgi import application

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = False
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()
    # The sign-in check ran in asgiref's executor thread: close its connection, or PostgreSQL
    # refuses to drop the test database ("being accessed by other users").
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


def multipart(size: int, *, name="report.csv") -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head + b"x" * (size - len(head) - len(tail)) + tail


def send_streaming(host: str, path: str, body: bytes, *, headers: dict, chunked: bool = False):
    """POST `body` piece by piece, stopping once the server answers: (status, text, bytes sent)."""
    connection = socket.create_connection(tuple(host.split(":")), timeout=20)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}")
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent = 0
    # A refusal on the headers alone comes at once; give it that moment before any body is sent.
    answered = bool(select.select([connection], [], [], 0.5)[0])
    try:
        while not answered and sent < len(body):
            piece = body[sent : sent + PIECE]
            connection.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            sent += len(piece)
            answered = bool(select.select([connection], [], [], 0)[0])
        if not answered and chunked:
            connection.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server stopped listening: its answer is waiting
    response = b""
    while b"\r\n\r\n" not in response or len(response) < _expected_length(response):
        data = connection.recv(65536)
        if not data:
            break
        response += data
    connection.close()
    status = int(response.split(b" ", 2)[1])
    return status, response.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace"), sent


def _expected_length(response: bytes) -> int:
    head, _, _ = response.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length: *(\d+)", head)
    return len(head) + 4 + int(match.group(1)) if match else 1 << 62


def test_an_anonymous_upload_over_the_cap_is_refused_before_its_body_is_read(site, spool):
    status, text, sent = send_streaming(
        site,
        "/api/v1/reports/",
        multipart(BIG),
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert status == 403 and "Sign in to upload files" in text
    assert sent == 0
    assert spool == []  # Django never started reading the body


def test_an_anonymous_plain_body_over_the_cap_is_413_unread(site, spool):
    status, text, sent = send_streaming(
        site,
        "/admin/login/",
        b"a=" + b"x" * BIG,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413 and f"more than {ANONYMOUS_MAX_BODY_BYTES} bytes" in text
    assert sent == 0 and spool == []


def test_an_anonymous_chunked_body_is_cut_off_at_the_cap(site, spool):
    # No Content-Length to judge: Django is handed the body up to the cap, then told the client left.
    # Much more than the socket buffers can hold, so "not all sent" means the server stopped reading.
    body = b"a=" + b"x" * (32 * 2**20)
    status, text, sent = send_streaming(
        site,
        "/admin/login/",
        body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        chunked=True,
    )
    assert status == 413 and f"more than {ANONYMOUS_MAX_BODY_BYTES} bytes" in text
    assert spool and max(spool) <= ANONYMOUS_MAX_BODY_BYTES
    assert sent < len(body)


def test_an_invalid_or_revoked_token_counts_as_anonymous(site, spool, alice):
    token, key = api_token_create(user=alice, name="script")
    api_tokens_revoke(tokens=[token], user=alice)
    for authorization in (f"Bearer {key}", "Bearer ytc_not-a-token", "Token"):
        status, _, sent = send_streaming(
            site,
            "/api/v1/reports/",
            multipart(BIG),
            headers={
                "Authorization": authorization,
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            },
        )
        assert (status, sent) == (403, 0)
    assert spool == []


def test_the_sign_in_form_still_works_and_the_session_may_then_post_large_bodies(site, spool, alice):
    browser = requests.Session()
    page = browser.get(f"http://{site}/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed_in = browser.post(
        f"http://{site}/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": token, "username": "alice", "password": "pw", "next": "/admin/"},
        headers={"Referer": f"http://{site}/admin/login/"},
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text[:500]
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    status, _, sent = send_streaming(
        site,
        "/admin/login/",
        b"a=" + b"x" * BIG,
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status != 413 and sent == BIG + 2  # Django read it all and answered on its own terms
    assert max(spool) == BIG + 2


def test_a_live_api_token_may_upload_a_report_over_the_cap(site, spool, alice, owner_a, channel_a1):
    _, key = api_token_create(user=alice, name="script")
    rows = "".join(f"abcdefghi{n:02d},{channel_id('a')},Title {n},public,True\n" for n in range(40))
    csv_data = ("video_id,channel_id,video_title,video_privacy_status,embedding_allowed\n" + rows).encode()
    padding = b"\n" * (ANONYMOUS_MAX_BODY_BYTES * 2)  # blank lines: larger than the cap, same report
    response = requests.post(
        f"http://{site}/api/v1/reports/",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": ("report.csv", csv_data + padding, "text/csv")},
        data={"content_owner": owner_a.pk, "dry_run": "true"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    assert Report.objects.get(pk=response.json()["id"]).content_owner_id == owner_a.pk


def test_charlies_token_passes_the_body_check_but_not_into_owner_a(site, charlie, owner_a):
    # Being signed in only lifts the body cap: what the upload may touch is decided as before.
    _, key = api_token_create(user=charlie, name="script")
    response = requests.post(
        f"http://{site}/api/v1/reports/",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": ("report.csv", b"video_id\n" + b"\n" * ANONYMOUS_MAX_BODY_BYTES * 2, "text/csv")},
        data={"content_owner": owner_a.pk},
        timeout=30,
    )
    assert response.status_code in (400, 403, 404), response.text
    assert response.status_code != 413
    assert not Report.objects.exists()
