"""Refuse the body of a request that is not signed in before Django reads any of it.

Under ASGI, Django reads a request's whole body into a temporary file (on disk past
FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware or upload handler runs, so a limit there comes
too late: an anonymous POST of gigabytes would be written to disk first, and
reports.uploads.SizeLimitUploadHandler (REPORTS_MAX_UPLOAD_BYTES) only sees it afterwards. This
wraps Django's ASGI app and decides on the headers: a request that is neither signed in (the
session of an active user) nor carrying a live API token (`Authorization: Token/Bearer`, checked
here as ApiTokenAuthentication checks it, since DRF authenticates only after the body is read)
may send at most ANONYMOUS_MAX_BODY_BYTES, and no multipart body at all. Otherwise it is answered
413 (403 for multipart) and its body is never read; a chunked body is cut off at the cap.

Requests with no body or a small non-multipart one (the sign-in form) cost no lookup at all.
"""

import logging
from importlib import import_module
from types import SimpleNamespace

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.db import close_old_connections
from django.http.cookie import parse_cookie
from rest_framework.exceptions import AuthenticationFailed

from channels_app.authentication import KEYWORDS, api_token_for_key

logger = logging.getLogger("ytcms.security")

# The sign-in and password forms are well under 1 KB; a browser's CSP report is a few KB.
ANONYMOUS_MAX_BODY_BYTES = 64 * 1024


def _header(scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key == name), None)


def _signed_in(scope) -> bool:
    """A live API token in Authorization, or the session cookie of a signed-in, active user."""
    close_old_connections()  # this runs before request_started, which would otherwise do it
    authorization = (_header(scope, b"authorization") or b"").split()
    if authorization and authorization[0].lower() in KEYWORDS:
        if len(authorization) != 2:
            return False
        try:
            api_token_for_key(authorization[1].decode("ascii"))
        except (AuthenticationFailed, UnicodeDecodeError):
            return False
        return True
    cookies = parse_cookie((_header(scope, b"cookie") or b"").decode("latin1"))
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # get_user() checks the session's password hash and the backend, as AuthenticationMiddleware does.
    user = get_user(SimpleNamespace(session=session))
    return user.is_authenticated and user.is_active


async def _answer(send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the unread body is not ours to drain
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AnonymousBodyLimit:
    """ASGI wrapper for Django's HTTP app: bodies of requests that are not signed in stay small."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        declared = _header(scope, b"content-length")
        try:
            length = int(declared) if declared is not None else None
        except ValueError:
            length = None  # the server refuses such a request before it reaches us
        chunked = _header(scope, b"transfer-encoding") is not None
        if not length and not chunked:
            return await self.application(scope, receive, send)
        multipart = (_header(scope, b"content-type") or b"").lower().startswith(b"multipart/")
        small = length is not None and length <= ANONYMOUS_MAX_BODY_BYTES
        if (small and not multipart) or await sync_to_async(_signed_in)(scope):
            return await self.application(scope, receive, send)
        client = (scope.get("client") or ["?"])[0]
        if multipart:
            logger.warning(
                "Anonymous multipart body refused unread (%s %s, client %s).",
                scope["method"],
                scope["path"],
                client,
            )
            return await _answer(send, 403, "Sign in to upload files.")
        if length is not None:
            logger.warning(
                "Anonymous body of %s bytes refused unread (%s %s, client %s).",
                length,
                scope["method"],
                scope["path"],
                client,
            )
            return await _answer(send, 413, f"Sign in to send more than {ANONYMOUS_MAX_BODY_BYTES} bytes.")
        # Chunked, length unknown: let Django read up to the cap, then tell it the client left.
        received = 0
        cut = False

        async def receive_up_to_the_cap():
            nonlocal received, cut
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > ANONYMOUS_MAX_BODY_BYTES:
                    cut = True
                    return {"type": "http.disconnect"}
            return message

        await self.application(scope, receive_up_to_the_cap, send)
        if cut:
            logger.warning(
                "Anonymous chunked body cut off past %s bytes (%s %s, client %s).",
                ANONYMOUS_MAX_BODY_BYTES,
                scope["method"],
                scope["path"],
                client,
            )
            await _answer(send, 413, f"Sign in to send more than {ANONYMOUS_MAX_BODY_BYTES} bytes.")
