"""Websocket routes (served by asgi.py behind the origin check and the session authentication)."""

from django.urls import path

from ytcms_site.live.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
