"""Development tools: never needed to run ytcms against Google.

The YouTube emulator (a local Google for tests and `make run`), the seed that makes it match the
catalogue, and the demo catalogue loader. They sit above the domain apps and may import them; no
domain app (channels_app, videos, reports, syncs) imports this package.
"""
