"""Whose claim and whose asset: the one rule report imports and pulls apply (videos.selectors)."""

import pytest

from channels_app.models import Channel
from videos.models import Asset, Claim
from videos.selectors import asset_ids_of_other_owners, claim_ids_of_other_owners

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_video(channel_a1, make_video):
    return make_video(channel_a1, video_id="aVideo00001")


def test_a_claim_is_the_owner_of_its_videos_channels(a_video, owner_a, owner_b):
    asset = Asset.objects.create(id="A1", content_owner=owner_a)
    Claim.objects.create(id="C1", video=a_video, asset=asset, content_type="audio")
    assert claim_ids_of_other_owners(owner_id="owner-b", claim_ids=["C1", "unknown"]) == {"C1"}
    assert claim_ids_of_other_owners(owner_id="owner-a", claim_ids=["C1", "unknown"]) == set()


def test_a_claim_on_a_video_of_a_channel_without_owner_is_no_owners(make_video, owner_a):
    video = make_video(Channel.objects.create(id="UC" + "z" * 22, title="Nobody's"))
    Claim.objects.create(id="C1", video=video, asset=Asset.objects.create(id="A1"), content_type="audio")
    assert claim_ids_of_other_owners(owner_id="owner-a", claim_ids=["C1"]) == {"C1"}


def test_an_asset_without_owner_belongs_to_the_owner_of_its_claims(a_video, owner_a, owner_b):
    asset = Asset.objects.create(id="A1", content_owner=None)
    assert asset_ids_of_other_owners(owner_id="owner-b", asset_ids=["A1"]) == set()  # no claims: nobody's yet
    Claim.objects.create(id="C1", video=a_video, asset=asset, content_type="audio")
    assert asset_ids_of_other_owners(owner_id="owner-b", asset_ids=["A1"]) == {"A1"}
    assert asset_ids_of_other_owners(owner_id="owner-a", asset_ids=["A1"]) == set()


def test_an_asset_with_an_owner_is_that_owners_whatever_its_claims(a_video, owner_a, owner_b):
    asset = Asset.objects.create(id="A1", content_owner=owner_b)
    Claim.objects.create(id="C1", video=a_video, asset=asset, content_type="audio")
    assert asset_ids_of_other_owners(owner_id="owner-a", asset_ids=["A1"]) == {"A1"}
    assert asset_ids_of_other_owners(owner_id="owner-b", asset_ids=["A1"]) == set()


def test_more_ids_than_one_lookup_takes_are_all_answered(a_video, owner_a):
    """901 and more: SQLite takes 900 ids per lookup."""
    assets = Asset.objects.bulk_create(Asset(id=f"A{n:04d}", content_owner=owner_a) for n in range(1001))
    Claim.objects.bulk_create(
        Claim(id=f"C{n:04d}", video=a_video, asset=asset, content_type="audio")
        for n, asset in enumerate(assets)
    )
    claim_ids = [f"C{n:04d}" for n in range(1001)]
    asset_ids = [asset.pk for asset in assets]
    assert claim_ids_of_other_owners(owner_id="owner-b", claim_ids=claim_ids) == set(claim_ids)
    assert asset_ids_of_other_owners(owner_id="owner-b", asset_ids=asset_ids) == set(asset_ids)
