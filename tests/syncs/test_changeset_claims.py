"""Content ID through change sets: claims.insert and claims.patch bodies as Google documents them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_add_claim_insert, changeset_add_claim_policy, changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.models import Asset, Claim, Policy

from .conftest import api_requests

pytestmark = pytest.mark.django_db


def _push(user):
    changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    changeset_push(changeset=changeset)
    return changeset


@pytest.fixture
def claimed(emulator, catalogue, owner_a):
    """Claim C1 of asset A111 on a1song00001 with the saved policy P-monetize, on both sides."""
    emulator.state.load(
        {
            "claims": [
                {
                    "id": "C1",
                    "contentOwner": "owner-a",
                    "assetId": "A111",
                    "videoId": "a1song00001",
                    "contentType": "audiovisual",
                    "policy": {"id": "P-monetize"},
                }
            ]
        }
    )
    asset = Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    policy = Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    return Claim.objects.create(
        id="C1", video=catalogue["a1_song"], asset=asset, policy=policy, content_type="audiovisual"
    )


def test_claims_insert_sends_the_documented_body(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset_add_claim_insert(
        user=alice, video=catalogue["a1_song"], asset_id="A111", content_type="audiovisual", policy_id="P-monetize"
    )

    changeset = _push(alice)

    (insert,) = api_requests(emulator, "youtubePartner.claims.insert")
    assert insert["body"] == {
        "assetId": "A111",
        "videoId": "a1song00001",
        "contentType": "audiovisual",
        "policy": {"id": "P-monetize"},
    }
    assert insert["params"]["onBehalfOfContentOwner"] == "owner-a"
    assert len(emulator.state.claims_for(video_id="a1song00001")) == 1
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.DONE
    record = SyncRecord.objects.get()
    assert (record.status, record.parts_sent) == (SyncRecord.Status.SUCCESS, ["claims.insert"])


def test_a_repeated_claims_insert_finds_the_claim_and_does_not_claim_twice(
    emulator, catalogue, owner_a, alice, connect
):
    connect(owner_a)
    changeset_add_claim_insert(
        user=alice, video=catalogue["a1_song"], asset_id="A111", content_type="audio", rules=[{"action": "track"}]
    )
    changeset = _push(alice)
    # A worker killed after the insert, before it recorded the answer: its lease has gone stale.
    ChangeSetItem.objects.update(
        status=ChangeSetItem.Status.PUSHING, lease_token="dead", leased_until=timezone.now() - timedelta(seconds=1)
    )
    ChangeSet.objects.update(status=ChangeSet.Status.PUSHING)

    changeset_push(changeset=changeset)

    assert len(api_requests(emulator, "youtubePartner.claims.insert")) == 1
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE


def test_claims_patch_changes_the_policy(emulator, claimed, owner_a, alice, connect):
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])

    _push(alice)

    (patch,) = api_requests(emulator, "youtubePartner.claims.patch")
    assert patch["body"] == {"policy": {"rules": [{"action": "block"}]}}
    assert patch["path"].endswith("/claims/C1")
    assert emulator.state.claim("C1")["policy"]["rules"] == [{"action": "block"}]
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE
    claimed.refresh_from_db()
    assert claimed.policy_id is None  # rules, not a saved policy


def test_a_policy_changed_on_youtube_is_a_conflict(emulator, claimed, owner_a, alice, connect):
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])
    emulator.state.claims["C1"]["resource"]["policy"] = {"rules": [{"action": "track"}]}

    _push(alice)

    assert api_requests(emulator, "youtubePartner.claims.patch") == []
    item = ChangeSetItem.objects.get()
    assert item.status == ChangeSetItem.Status.CONFLICT
    assert item.theirs_value == {"rules": [{"action": "track"}]}


def test_preview_counts_content_id_calls_apart_from_the_data_api(claimed, alice):
    from syncs.changesets.preview import changeset_preview

    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])

    preview = changeset_preview(changeset=ChangeSet.objects.get())
    assert (preview.quota_units, preview.content_id_calls) == (0, 2)
    assert preview.rows[0].violations == []
