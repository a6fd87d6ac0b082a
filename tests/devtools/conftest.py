"""The development tools' tests: the emulator seed needs the seeded emulator of tests/syncs."""

from tests.syncs.conftest import (  # noqa: F401 - the YouTube emulator fixtures
    emulator,
    encryption_key,
    sleeps,
    youtube_emulator,
)
