# Websocket routes; the live-updates consumer joins here when it lands.
websocket_urlpatterns: list = []
