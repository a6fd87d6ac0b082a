"""Cross-cutting HTTP middleware: request ids, database errors as states, login throttling."""

import hashlib
import logging
import re
import uuid

from asgiref.sync import async_to_sync, iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.signals import request_finished
from django.db import IntegrityError, OperationalError, connections
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.logging import request_id_var

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


def login_username_key(username: str) -> str:
    """The one spelling of a username that every variant of it signs in as.

    AuthenticationForm strips the posted name and NFKC-normalises it (UsernameField, the same
    AbstractBaseUser.normalize_username) before authenticating, so "ａlice", "ªlice" and "𝐚lice"
    sign in as "alice"; casefold then merges spellings that differ only in case.
    """
    normalized = get_user_model().normalize_username(username.strip())
    return normalized.strip().casefold()


def _throttle_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{login_username_key(username)}\x00{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def _address_throttle_key(ip: str) -> str:
    digest = hashlib.sha256(ip.encode()).hexdigest()
    return f"login-failures-address:{digest}"


def _throttle_cache():
    return caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]


def _login_path() -> str | None:
    try:
        return reverse("admin:login")
    except NoReverseMatch:
        return None


def login_failures(*, username: str, ip: str) -> int:
    """Failed sign-ins for this username (in any spelling) from this address, in the window."""
    try:
        return _throttle_cache().get(_throttle_key(username, ip), 0)
    except Exception:
        # The cache (Redis) is down: sign-in must keep working; the error is logged.
        security_logger.exception("login throttle cache unavailable; not throttling")
        return 0


def login_failures_from_address(*, ip: str) -> int:
    """Failed sign-ins from this address in the window, whatever usernames they tried."""
    try:
        return _throttle_cache().get(_address_throttle_key(ip), 0)
    except Exception:
        security_logger.exception("login throttle cache unavailable; not throttling")
        return 0


def login_failures_forget(*, ip: str, username: str | None = None) -> None:
    """Clear the failures of username from ip; without a username, those of the address itself."""
    key = _throttle_key(username, ip) if username is not None else _address_throttle_key(ip)
    _throttle_cache().delete(key)


def _count(cache, key: str, window: int) -> int:
    # The window starts at the first failure; incr keeps the expiry of the key it updates.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


@receiver(user_login_failed, dispatch_uid="ytcms_login_throttle_failed")
def _count_login_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    username = credentials.get("username") or ""
    ip = _client_ip(request)
    cache = _throttle_cache()
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    try:
        failures = _count(cache, _throttle_key(username, ip), window)
        from_address = _count(cache, _address_throttle_key(ip), window)
    except Exception:
        security_logger.exception("login throttle cache unavailable; failure not counted")
        return
    security_logger.warning(
        "failed admin sign-in for %r from %s (%d in the window; %d from the address)",
        username,
        ip,
        failures,
        from_address,
    )


@receiver(user_logged_in, dispatch_uid="ytcms_login_throttle_succeeded")
def _forget_login_failures(sender, request=None, user=None, **kwargs):
    # Only the account's own count: the address's count stays, or one account of the attacker's
    # own, signed into between guesses, would reset the limit on trying everyone else's.
    if request is None or user is None:
        return
    try:
        login_failures_forget(ip=_client_ip(request), username=user.get_username())
    except Exception:
        security_logger.exception("login throttle cache unavailable; failures not cleared")


class LoginThrottleMiddleware:
    """Refuse admin sign-in attempts after too many failures, per account and per address.

    LOGIN_FAILURE_LIMIT failed attempts for one username from one address within
    LOGIN_FAILURE_WINDOW_SECONDS lock that pair out until the window ends, and
    LOGIN_FAILURE_LIMIT_PER_ADDRESS failures from one address, whatever the usernames, lock the
    address: the sign-in form answers 429 without checking the password, so a correct guess during
    the lockout is worth nothing. The username is keyed as Django authenticates it
    (login_username_key), so no spelling of it escapes the count. Failures are counted by the
    user_login_failed signal in the LOGIN_THROTTLE_CACHE cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path == _login_path():
            username = request.POST.get("username", "")
            ip = _client_ip(request)
            if login_failures_from_address(ip=ip) >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
                security_logger.warning("admin sign-in from %s refused: address locked out", ip)
                return self._locked_out(request, "from your address")
            if login_failures(username=username, ip=ip) >= settings.LOGIN_FAILURE_LIMIT:
                security_logger.warning("admin sign-in for %r from %s refused: locked out", username, ip)
                return self._locked_out(request, "for this account from your address")
        return self.get_response(request)

    @staticmethod
    def _locked_out(request, scope: str):
        minutes = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)
        response = error_response(
            request,
            status=429,
            title="Too many failed sign-in attempts",
            message=(
                f"Too many failed sign-in attempts {scope}. Sign-in is locked for up to "
                f"{minutes} minutes; try again later or ask an administrator to reset your password."
            ),
        )
        response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return response
