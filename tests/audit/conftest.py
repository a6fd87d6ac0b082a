"""The audit log's tests use the API clients of the personas and the YouTube emulator."""

from tests.api.conftest import (  # noqa: F401 - fixtures
    _api_settings,
    alice_api,
    api_for,
    bob_api,
    charlie_api,
    dora,
    dora_api,
    root_api,
)
from tests.syncs.conftest import (  # noqa: F401 - fixtures
    conflicted,
    connect,
    emulator,
    encryption_key,
    sleeps,
    youtube_emulator,
)
