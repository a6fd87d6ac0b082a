"""API fixtures: a token-authenticated client per persona, and rights data around the catalogue."""

import pytest
from rest_framework.test import APIClient

from channels_app.authentication import api_token_create
from tests.syncs.conftest import (  # noqa: F401 - the YouTube emulator fixtures, for pushes through the API
    connect,
    emulator,
    encryption_key,
    sleeps,
    youtube_emulator,
)
from videos.models import Asset, Claim, Policy


@pytest.fixture(autouse=True)
def _api_settings(settings):
    # The throttling tests set their own small rates (tests/conftest.py empties the counters).
    settings.API_THROTTLE_USER = "100000/hour"
    settings.API_THROTTLE_TOKEN = "100000/hour"
    settings.API_THROTTLE_BULK = "100000/hour"
    yield


def client_with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def api_for():
    """api_for(user) → an APIClient sending a fresh token of that user."""

    def make(user, **token_options) -> APIClient:
        _, key = api_token_create(user=user, name="tests", **token_options)
        return client_with_token(key)

    return make


@pytest.fixture
def alice_api(alice, api_for):
    return api_for(alice)


@pytest.fixture
def bob_api(bob, api_for):
    return api_for(bob)


@pytest.fixture
def charlie_api(charlie, api_for):
    return api_for(charlie)


@pytest.fixture
def root_api(root, api_for):
    return api_for(root)


@pytest.fixture
def rights(catalogue, owner_a, owner_b):
    """An asset and a policy per owner; a claim on an A1 video and one on the B1 video."""
    asset_a = Asset.objects.create(id="A100000000001", content_owner=owner_a, title="Midnight Song")
    asset_b = Asset.objects.create(id="B200000000001", content_owner=owner_b, title="Secret Demo")
    policy_a = Policy.objects.create(id="policy-a", content_owner=owner_a, name="Monetize A")
    policy_b = Policy.objects.create(id="policy-b", content_owner=owner_b, name="Block B")
    claim_a = Claim.objects.create(
        id="claim-a1", video=catalogue["a1_song"], asset=asset_a, content_type="audiovisual", policy=policy_a
    )
    claim_b = Claim.objects.create(
        id="claim-b1", video=catalogue["b1_secret"], asset=asset_b, content_type="audio", policy=policy_b
    )
    return {
        "asset_a": asset_a,
        "asset_b": asset_b,
        "policy_a": policy_a,
        "policy_b": policy_b,
        "claim_a": claim_a,
        "claim_b": claim_b,
    }


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def error_codes(response) -> list[tuple]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


# ---- personas of the report and change-set endpoints (tests/api/test_reports_api.py, test_changesets_api.py)


@pytest.fixture
def dora(django_user_model, owner_a):
    """A second manager of owner A: the four-eyes approver of alice's change sets."""
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    user = django_user_model.objects.create_user(username="dora", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Rights manager"))
    Membership.objects.create(user=user, content_owner=owner_a, role=Role.MANAGER)
    return user


@pytest.fixture
def vera(django_user_model, owner_a):
    """A viewer of the whole content owner A: reads its reports (bob, a channel viewer, does not)."""
    from django.contrib.auth.models import Group

    from channels_app.models import Membership, Role

    user = django_user_model.objects.create_user(username="vera", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name="Viewer"))
    Membership.objects.create(user=user, content_owner=owner_a, role=Role.VIEWER)
    return user


@pytest.fixture
def dora_api(dora, api_for):
    return api_for(dora)


@pytest.fixture
def vera_api(vera, api_for):
    return api_for(vera)
