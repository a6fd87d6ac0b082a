"""`make run`'s emulator: seeded from the catalogue, so a first refresh changes nothing."""

import io
import sys

import pytest
from django.core.management import call_command

from devtools.demo import DEMO_OWNER_ID
from devtools.youtube_emulator import EmulatorServer
from devtools.youtube_emulator_seed import emulator_refresh_token, emulator_seed_from_db
from syncs.services.pull import owner_pull
from tests.syncs.conftest import CLIENT_ID, CLIENT_SECRET
from videos.models import Claim, Video


@pytest.mark.django_db
def test_a_seeded_emulator_matches_the_catalogue(emulator, settings, monkeypatch):
    call_command("load_demo", "--videos", "120", stdout=io.StringIO(), stderr=io.StringIO())
    pending_before = set(Video.objects.filter(has_pending_changes=True).values_list("pk", flat=True))
    assert pending_before, "the demo catalogue should hold pending changes"
    seed = emulator_seed_from_db(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    with EmulatorServer(seed=seed) as server:
        url = server.url + "/"
        settings.YOUTUBE_API_ENDPOINT = settings.YOUTUBE_PARTNER_API_ENDPOINT = url
        settings.YOUTUBE_TOKEN_URI = server.token_uri
        monkeypatch.setattr(sys, "stdin", io.StringIO(emulator_refresh_token(DEMO_OWNER_ID)))
        call_command(
            "youtube_connect", "--owner", DEMO_OWNER_ID, "--refresh-token-file", "-", stdout=io.StringIO()
        )

        result = owner_pull(owner=Video.objects.first().channel.content_owner)

    assert result.videos_read == 120 and not result.videos_missing
    assert result.assets == Claim.objects.values("asset_id").distinct().count()
    assert not Video.objects.filter(has_drift=True).exists()
    assert set(Video.objects.filter(has_pending_changes=True).values_list("pk", flat=True)) == pending_before
