"""The Reporting API pull's tests run against the YouTube emulator of tests/syncs."""

from tests.syncs.conftest import (  # noqa: F401 - the YouTube emulator fixtures
    connect,
    emulator,
    encryption_key,
    pull_ready_owner,
    sleeps,
    youtube_emulator,
)
