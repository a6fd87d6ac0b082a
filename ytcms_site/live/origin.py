"""Websocket origin check that logs what it refuses (Channels' own validator denies silently)."""

import logging
from urllib.parse import urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings

logger = logging.getLogger("ytcms.live")


def _allowed_hosts() -> list[str]:
    # As channels.security.websocket.AllowedHostsOriginValidator, but read per connection, so the
    # test runner's and a reloaded configuration's ALLOWED_HOSTS count.
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = ["localhost", "127.0.0.1", "[::1]"]
    return hosts


class LoggedAllowedHostsOriginValidator(OriginValidator):
    """Accept websockets whose Origin is one of ALLOWED_HOSTS; log every refusal with its origin."""

    def __init__(self, application):
        super().__init__(application, allowed_origins=None)

    @property
    def allowed_origins(self):
        return _allowed_hosts()

    @allowed_origins.setter
    def allowed_origins(self, value):
        pass  # always ALLOWED_HOSTS, read per connection

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("The origin validator only guards websocket connections.")
        raw = next((value for name, value in scope.get("headers", []) if name == b"origin"), None)
        parsed = None
        if raw is not None:
            try:
                parsed = urlparse(raw.decode("latin1"))
            except (UnicodeDecodeError, ValueError):
                parsed = None
        if self.valid_origin(parsed):
            return await self.application(scope, receive, send)
        origin = raw.decode("latin1") if raw is not None else "(none)"
        client = (scope.get("client") or ["?"])[0]
        logger.warning(
            "Websocket refused: origin %s is not in ALLOWED_HOSTS (path %s, client %s).",
            origin,
            scope.get("path", ""),
            client,
            extra={"origin": origin, "client": client},
        )
        return await WebsocketDenier()(scope, receive, send)
