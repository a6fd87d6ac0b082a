"""The admin's id searches match ids exactly: YouTube ids are case-sensitive, and an exact match
is served by the primary key and foreign-key indexes where "=field" (UPPER(col) = UPPER(term))
reads every row of a table of millions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from videos.models import Asset, Claim, Video

pytestmark = pytest.mark.django_db

CLAIMS = reverse("admin:videos_claim_changelist")
ASSETS = reverse("admin:videos_asset_changelist")


@pytest.fixture
def claims(catalogue, owner_a):
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="Song")
    other = Asset.objects.create(id="a111", content_owner=owner_a, title="Another song")
    video = Video.objects.get(pk="a1song00001")
    Claim.objects.create(id="Cl-Upper", video=video, asset=asset, content_type="audio")
    Claim.objects.create(
        id="cl-upper", video=Video.objects.get(pk="a1live00001"), asset=other, content_type="audio"
    )


def _listed(client, url, term) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, {"q": term}).content.decode()
    return page, [q["sql"] for q in queries.captured_queries]


def test_a_claim_is_found_by_its_id_its_video_and_its_asset_exactly(client, alice, claims):
    client.force_login(alice)

    page, sql = _listed(client, CLAIMS, "Cl-Upper")
    assert "Cl-Upper" in page and "cl-upper" not in page  # case matters, as at YouTube
    assert not any("UPPER(" in statement for statement in sql)

    page, _ = _listed(client, CLAIMS, "a1live00001")
    assert "cl-upper" in page and "Cl-Upper" not in page

    page, _ = _listed(client, CLAIMS, "A111")
    assert "Cl-Upper" in page and "cl-upper" not in page


def test_an_asset_is_found_by_its_exact_id_or_its_title(client, alice, claims):
    client.force_login(alice)
    page, _ = _listed(client, ASSETS, "a111")
    assert "Another song" in page and ">Song<" not in page
    page, _ = _listed(client, ASSETS, "Another")
    assert "Another song" in page
