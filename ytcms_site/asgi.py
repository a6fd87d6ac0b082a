"""The ASGI entry point: Django for HTTP, the live-updates consumer for websockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ytcms_site.settings")
# Build the HTTP app before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from ytcms_site.live.origin import LoggedAllowedHostsOriginValidator  # noqa: E402
from ytcms_site.routing import websocket_urlpatterns  # noqa: E402
from ytcms_site.uploads import AnonymousBodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Before Django, which reads a whole body to disk before any middleware runs.
        "http": AnonymousBodyLimit(django_asgi_app),
        # This site's own origin or CSRF_TRUSTED_ORIGINS, as CSRF checks a POST; refusals are logged.
        "websocket": LoggedAllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
