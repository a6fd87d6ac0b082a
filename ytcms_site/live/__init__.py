"""Live updates: the transport (events.py, outbox.py, group names in groups.py), the websocket
consumer and which groups a user may join (access.py, the one module here that reads an app).

Each app builds its own frames (videos/events.py, reports/events.py, syncs/events.py) and hands
them to `ytcms_site.live.events` after its writes; the frames reach only the people who may see
the content owner or channel concerned.
"""
