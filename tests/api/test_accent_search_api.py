"""The API's `search` filter ignores accents as the admin's does (#15), inside the user's scope."""

import pytest

from tests.api.conftest import ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def accented(channel_a1, channel_b1, make_video):
    make_video(channel_a1, video_id="canyon00001", title="Cañón del Sumidero", tags=["travel"])
    make_video(channel_a1, video_id="canyontag01", title="Road trip", tags=["Cañón"])
    make_video(channel_b1, video_id="canyonb0001", title="Cañón secreto")


@pytest.mark.parametrize("term", ["canon", "CANON"])
def test_api_search_without_accents_finds_accented_title_and_tag(accented, alice_api, term):
    assert set(ids(alice_api.get(f"/api/v1/videos/?search={term}"))) == {"canyon00001", "canyontag01"}


def test_api_accent_search_stays_in_scope(accented, charlie_api):
    assert ids(charlie_api.get("/api/v1/videos/?search=canon")) == ["canyonb0001"]


def test_api_search_by_id_stays_exact(accented, alice_api):
    assert ids(alice_api.get("/api/v1/videos/?search=canyon00001")) == ["canyon00001"]
    assert ids(alice_api.get("/api/v1/videos/?search=canyon0000")) == []
