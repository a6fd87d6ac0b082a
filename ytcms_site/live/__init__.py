"""Live updates, the project's side: the websocket consumer (consumers.py), which groups a user
may join (access.py, which reads channels_app), the websocket origin check (origin.py) and the
signals that make open sockets follow membership changes (signals.py).

The transport (publish, throttles, the outbox, group names) is the ground's: core/live/. Each app
builds its own frames (videos/events.py, reports/events.py, syncs/events.py) and hands them to
`core.live.transport` after its writes; the frames reach only the people who may see the content
owner or channel concerned.
"""
