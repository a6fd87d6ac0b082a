"""Cross-cutting HTTP middleware: request ids, database errors as states, login throttling."""

import hashlib
import logging
import re
import uuid

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.signals import request_finished
from django.db import IntegrityError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from ytcms_site.logging import request_id_var

logger = logging.getLogger("ytcms.http")
security_logger = logging.getLogger("ytcms.security")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept an incoming id from a proxy or load balancer only if it is a plain token: it goes into
# every log line, so it must not carry spaces, quotes or control characters.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$")


def _new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give every request an id: on each log line written while serving it, and in X-Request-ID.

    A sane incoming X-Request-ID (from the proxy) is kept so one id follows a request through the
    proxy's log and ours; anything else is replaced by a fresh one.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _start(self, request) -> str:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else _new_request_id()
        request.request_id = request_id
        # Not reset when the response leaves the middleware: Django logs 4xx/5xx responses ("Not
        # Found: /x") after the chain has returned, and those lines belong to this request too.
        # request_finished (below) resets it.
        request_id_var.set(request_id)
        return request_id

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        request_id = self._start(request)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def __acall__(self, request):
        request_id = self._start(request)
        response = await self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


@receiver(request_finished, dispatch_uid="ytcms_request_id_forget")
def _forget_request_id(**kwargs):
    """Once the response is closed, lines from this thread no longer belong to that request."""
    request_id_var.set("-")


# ---- Database errors as states


_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · ytcms</title></head>
<body><h1>{title}</h1><p>{message}</p><p>Reference: <code>{request_id}</code></p>
<p><a href="/admin/">Admin home</a></p></body></html>
"""

DATABASE_UNAVAILABLE_MESSAGE = (
    "The database cannot be reached right now, so this page cannot be shown. Nothing was changed. "
    "Try again in a minute; if it keeps happening, tell the operators and quote the reference."
)
CONFLICT_MESSAGE = (
    "This change conflicts with data that is already stored (for example a duplicate of an existing "
    "record, or a record that something else still refers to). Nothing was saved: the whole change "
    "was rolled back. Reload the page to see the current data and try again."
)


def _wants_json(request) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request, *, status: int, title: str, message: str) -> HttpResponse:
    request_id = getattr(request, "request_id", request_id_var.get())
    if _wants_json(request):
        return JsonResponse({"detail": message, "request_id": request_id}, status=status)
    body = format_html(_ERROR_PAGE, title=title, message=message, request_id=request_id)
    return HttpResponse(body, status=status)


def _discard_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        # Close a connection that raised a database error and no longer answers; the next query
        # opens a new one. One inside a transaction is left to whoever opened the transaction.
        if (
            connection.connection is not None
            and connection.errors_occurred
            and not connection.in_atomic_block
        ):
            connection.close_if_unusable_or_obsolete()


class DatabaseErrorMiddleware:
    """Turn database failures in a view into pages that say what happened instead of a 500.

    * OperationalError (lost connection, server restarting, SQLite busy): a safe request (GET,
      HEAD) is retried once on a fresh connection, then answered 503 with a message.
    * IntegrityError: 409 with a message. Admin saves run in a transaction, so nothing of the
      failed change is kept. (The API maps it to 409 in DRF itself; this covers HTML pages.)

    Only exceptions raised by views (and while rendering their templates) pass through here;
    Django calls process_exception for those.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, IntegrityError):
            logger.warning("integrity error on %s %s: %s", request.method, request.path, exception)
            return error_response(request, status=409, title="Conflict", message=CONFLICT_MESSAGE)
        if not isinstance(exception, OperationalError):
            return None
        if request.method in _SAFE_METHODS and not getattr(request, "_ytcms_db_retried", False):
            request._ytcms_db_retried = True
            logger.warning(
                "database error on %s %s, retrying once: %s", request.method, request.path, exception
            )
            response = self._retry(request)
            if response is not None:
                return response
        else:
            logger.error("database error on %s %s: %s", request.method, request.path, exception)
        return error_response(
            request, status=503, title="Database unavailable", message=DATABASE_UNAVAILABLE_MESSAGE
        )

    def _retry(self, request):
        if any(connection.settings_dict.get("ATOMIC_REQUESTS") for connection in connections.all()):
            # Inside a request-wide transaction a retry cannot start afresh.
            return None
        _discard_broken_connections()
        match = request.resolver_match
        view = match.func
        if iscoroutinefunction(view):
            view = async_to_sync(view)
        try:
            response = view(request, *match.args, **match.kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        except OperationalError as error:
            logger.error("database error on %s %s again: %s", request.method, request.path, error)
            _discard_broken_connections()
            return None
        return response


# ---- Login throttling


def _client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address our own proxies saw (TRUSTED_PROXY_COUNT).

    X-Forwarded-For is only believed as far as our proxies wrote it: each proxy appends the address
    it saw, so with N proxies the client is the N-th entry from the right. Entries further left are
    whatever the client sent.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _throttle_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\x00{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _throttle_cache():
    return caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]


def _login_path() -> str | None:
    try:
        return reverse("admin:login")
    except NoReverseMatch:
        return None


def login_failures(*, username: str, ip: str) -> int:
    try:
        return _throttle_cache().get(_throttle_key(username, ip), 0)
    except Exception:
        # The cache (Redis) is down: sign-in must keep working; the error is logged.
        security_logger.exception("login throttle cache unavailable; not throttling")
        return 0


@receiver(user_login_failed, dispatch_uid="ytcms_login_throttle_failed")
def _count_login_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    username = credentials.get("username") or ""
    ip = _client_ip(request)
    cache = _throttle_cache()
    key = _throttle_key(username, ip)
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    try:
        # The window starts at the first failure; incr keeps the expiry of the key it updates.
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            failures = 1
    except Exception:
        security_logger.exception("login throttle cache unavailable; failure not counted")
        return
    security_logger.warning("failed admin sign-in for %r from %s (%d in the window)", username, ip, failures)


@receiver(user_logged_in, dispatch_uid="ytcms_login_throttle_succeeded")
def _forget_login_failures(sender, request=None, user=None, **kwargs):
    if request is None or user is None:
        return
    username = request.POST.get("username") if request.method == "POST" else None
    try:
        _throttle_cache().delete(_throttle_key(username or user.get_username(), _client_ip(request)))
    except Exception:
        security_logger.exception("login throttle cache unavailable; failures not cleared")


class LoginThrottleMiddleware:
    """Refuse admin sign-in attempts for a username from an address after too many failures.

    LOGIN_FAILURE_LIMIT failed attempts for one username from one address within
    LOGIN_FAILURE_WINDOW_SECONDS lock that pair out until the window ends: the sign-in form answers
    429 without checking the password, so a correct guess during the lockout is worth nothing.
    Failures are counted by the user_login_failed signal in the LOGIN_THROTTLE_CACHE cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == _login_path():
            username = request.POST.get("username", "")
            ip = _client_ip(request)
            failures = login_failures(username=username, ip=ip)
            if failures >= settings.LOGIN_FAILURE_LIMIT:
                minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
                security_logger.warning("admin sign-in for %r from %s refused: locked out", username, ip)
                response = error_response(
                    request,
                    status=429,
                    title="Too many failed sign-in attempts",
                    message=(
                        f"Too many failed sign-in attempts for this account from your address. "
                        f"Sign-in is locked for up to {minutes} minutes; try again later or ask an "
                        f"administrator to reset your password."
                    ),
                )
                response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
                return response
        return self.get_response(request)
