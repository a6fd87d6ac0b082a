"""Websocket origin check, the way Django's CSRF middleware checks a POST's Origin; refusals are logged.

Channels' AllowedHostsOriginValidator compared host names only, so a page on another port or
scheme of an allowed host (http://site:8080, or http://site when the site is https) could open
a socket with the user's cookie. Here an Origin is accepted when it is exactly

- the site's own origin: the scheme of the connection (ws -> http, wss -> https, or what our own
  proxy says in SECURE_PROXY_SSL_HEADER), then the Host header, host and port, which must be one
  of ALLOWED_HOSTS — as CsrfViewMiddleware builds `good_origin` from is_secure() and get_host();
- or one of CSRF_TRUSTED_ORIGINS, with their `https://*.example.com` wildcards.

A missing Origin is refused (every browser sends one on a websocket handshake), as before.
"""

import logging
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

logger = logging.getLogger("ytcms.live")


def _allowed_hosts() -> list[str]:
    # As HttpRequest.get_host(), read per connection, so the test runner's and a reloaded
    # configuration's ALLOWED_HOSTS count.
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _meta(scope) -> dict[str, str]:
    """The handshake's headers named as Django's request.META names them (HTTP_X_FORWARDED_PROTO)."""
    return {
        "HTTP_" + name.decode("latin1").upper().replace("-", "_"): value.decode("latin1")
        for name, value in scope.get("headers", [])
    }


def _is_secure(scope, meta: dict[str, str]) -> bool:
    # As HttpRequest.is_secure(): a proxy's header only when SECURE_PROXY_SSL_HEADER names one.
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        if header in meta:
            return meta[header].split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") == "wss"


def site_origin(scope) -> str | None:
    """The origin a page of this site has for this connection, or None if its Host is not allowed."""
    meta = _meta(scope)
    secure = _is_secure(scope, meta)
    host = meta.get("HTTP_HOST")
    if host is None:
        server = scope.get("server")
        if not server or server[1] is None:
            return None
        name, port = server
        host = name if str(port) == ("443" if secure else "80") else f"{name}:{port}"
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()):
        return None
    return f"{'https' if secure else 'http'}://{host}"


def origin_allowed(origin: str, scope) -> bool:
    """Whether a websocket handshake with this Origin may go on (CsrfViewMiddleware._origin_verified)."""
    if origin == site_origin(scope):
        return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {entry for entry in trusted if "*" not in entry}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, entry_parsed.netloc.lstrip("*"))
        for entry_parsed in (urlsplit(entry) for entry in trusted if "*" in entry)
        if entry_parsed.scheme == parsed.scheme
    )


class LoggedAllowedHostsOriginValidator:
    """Accept websockets from this site's own origin or CSRF_TRUSTED_ORIGINS; log every refusal."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("The origin validator only guards websocket connections.")
        raw = next((value for name, value in scope.get("headers", []) if name == b"origin"), None)
        origin = raw.decode("latin1") if raw is not None else None
        if origin is not None and origin_allowed(origin, scope):
            return await self.application(scope, receive, send)
        client = (scope.get("client") or ["?"])[0]
        logger.warning(
            "Websocket refused: origin %s is neither this site's origin (%s) nor in CSRF_TRUSTED_ORIGINS "
            "(path %s, client %s).",
            origin or "(none)",
            site_origin(scope) or "Host not in ALLOWED_HOSTS",
            scope.get("path", ""),
            client,
            extra={"origin": origin or "(none)", "client": client},
        )
        return await WebsocketDenier()(scope, receive, send)
