"""PostgreSQL only: the feeder's one-statement ownership lookup (merge_postgres.chunk_owners)
decides exactly what videos.selectors decides, id by id, for every kind of owner an id can have."""

import pytest

from channels_app.models import Channel
from reports import merge_postgres
from tests.reports.test_ingest_helpers import postgres_only
from videos.models import Asset, Claim, Video
from videos.selectors import asset_ids_of_other_owners, claim_ids_of_other_owners

pytestmark = [postgres_only, pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def mixed_catalogue(owner_a, owner_b, channel_a1, channel_b1, make_video):
    """Videos, claims and assets of A, of B and of nobody, with every asset ownership the rules name."""
    nobodys_channel = Channel.objects.create(id="UCnobody0000000000000001", title="No owner")
    videos = {
        "a": make_video(channel_a1, video_id="aVideo00001"),
        "b": make_video(channel_b1, video_id="bVideo00001"),
        "nobody": make_video(nobodys_channel, video_id="nVideo00001"),
    }
    assets = {
        "a": Asset.objects.create(id="asset-a", content_owner=owner_a),
        "b": Asset.objects.create(id="asset-b", content_owner=owner_b),
        "free-on-a": Asset.objects.create(id="asset-free-on-a"),  # no owner, claimed on A's video
        "free-on-b": Asset.objects.create(id="asset-free-on-b"),  # no owner, claimed on B's video
        "free-on-both": Asset.objects.create(id="asset-free-on-both"),
        "free-on-nobody": Asset.objects.create(id="asset-free-on-nobody"),
        "free-unclaimed": Asset.objects.create(id="asset-free-unclaimed"),
    }
    claims = [
        ("claim-a", "a", "a"),
        ("claim-b", "b", "b"),
        ("claim-nobody", "nobody", "free-on-nobody"),
        ("claim-free-on-a", "a", "free-on-a"),
        ("claim-free-on-b", "b", "free-on-b"),
        ("claim-both-a", "a", "free-on-both"),
        ("claim-both-b", "b", "free-on-both"),
    ]
    for claim_id, video, asset in claims:
        Claim.objects.create(id=claim_id, video=videos[video], asset=assets[asset])
    return {
        "videos": [*(video.pk for video in videos.values()), "xVideo00001"],
        "channels": [channel_a1.pk, channel_b1.pk, nobodys_channel.pk, "UCmissing000000000000001"],
        "claims": [claim_id for claim_id, _, _ in claims] + ["claim-missing"],
        "assets": [asset.pk for asset in assets.values()] + ["asset-missing"],
    }


@pytest.mark.parametrize("owner", ["owner_a", "owner_b"])
def test_chunk_owners_decides_what_the_selectors_decide(request, owner, mixed_catalogue):
    owner_id = request.getfixturevalue(owner).pk
    videos, channels, claims, assets = merge_postgres.chunk_owners(
        owner_id=owner_id,
        video_ids=mixed_catalogue["videos"],
        channel_ids=mixed_catalogue["channels"],
        claim_ids=mixed_catalogue["claims"],
        asset_ids=mixed_catalogue["assets"],
    )
    assert videos == dict(
        Video.objects.filter(pk__in=mixed_catalogue["videos"]).values_list("pk", "channel__content_owner_id")
    )
    assert channels == dict(
        Channel.objects.filter(pk__in=mixed_catalogue["channels"]).values_list("pk", "content_owner_id")
    )
    assert claims == claim_ids_of_other_owners(owner_id=owner_id, claim_ids=mixed_catalogue["claims"])
    assert assets == asset_ids_of_other_owners(owner_id=owner_id, asset_ids=mixed_catalogue["assets"])
    # The catalogue holds every case: each kind has ids on both sides of the rule.
    assert claims and set(mixed_catalogue["claims"]) - claims - {"claim-missing"}
    assert assets and set(mixed_catalogue["assets"]) - assets - {"asset-missing"}


def test_chunk_owners_without_an_owner_checks_no_claim_nor_asset(mixed_catalogue):
    """An import for no content owner writes claims and assets unchecked, as before (pipeline)."""
    videos, _, claims, assets = merge_postgres.chunk_owners(
        owner_id=None,
        video_ids=mixed_catalogue["videos"],
        channel_ids=[],
        claim_ids=mixed_catalogue["claims"],
        asset_ids=mixed_catalogue["assets"],
    )
    assert len(videos) == 3 and claims == set() and assets == set()
