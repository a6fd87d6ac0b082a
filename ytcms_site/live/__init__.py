"""Live updates: the websocket consumer, the groups a user joins, and the one publish helper.

Services call `ytcms_site.live.events` after their writes; the frames reach only the people
who may see the content owner or channel concerned (see groups.py).
"""
