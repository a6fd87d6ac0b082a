"""Content ID through change sets: claims.insert and claims.patch bodies as Google documents them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_add_claim_insert, changeset_add_claim_policy, changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from videos.models import Asset, Claim, Policy, Video

from .conftest import REFRESH_TOKEN_B, api_requests

pytestmark = pytest.mark.django_db


def _push(user):
    changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    changeset_push(changeset=changeset)
    return changeset


def _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect):
    """Alice claims a1song00001 with asset A111 and a custom "track" policy; the push inserts it."""
    connect(owner_a)
    changeset_add_claim_insert(
        user=alice,
        video=catalogue["a1_song"],
        asset_id="A111",
        content_type="audio",
        rules=[{"action": "track"}],
    )
    return _push(alice)


def test_claims_insert_sends_the_documented_body(emulator, catalogue, owner_a, alice, connect):
    connect(owner_a)
    changeset_add_claim_insert(
        user=alice,
        video=catalogue["a1_song"],
        asset_id="A111",
        content_type="audiovisual",
        policy_id="P-monetize",
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


def test_a_video_claimed_through_a_push_reads_claimed_before_the_next_report(
    emulator, catalogue, owner_a, alice, connect
):
    """A rights manager who claimed a video sees it Claimed at once, not "Not claimed" until the
    next report lists the claim."""
    Video.objects.filter(pk="a1song00001").update(claimed_status=Video.ClaimedStatus.UNCLAIMED)

    _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect)

    assert Video.objects.get(pk="a1song00001").claimed_status == Video.ClaimedStatus.CLAIMED


def test_a_repeated_claims_insert_finds_the_claim_and_does_not_claim_twice(
    emulator, catalogue, owner_a, alice, connect
):
    changeset = _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect)
    # A worker killed after the insert, before it recorded the answer: its lease has gone stale.
    ChangeSetItem.objects.update(
        status=ChangeSetItem.Status.PUSHING,
        lease_token="dead",
        leased_until=timezone.now() - timedelta(seconds=1),
    )
    ChangeSet.objects.update(status=ChangeSet.Status.PUSHING)

    changeset_push(changeset=changeset)

    assert len(api_requests(emulator, "youtubePartner.claims.insert")) == 1
    assert ChangeSetItem.objects.get().status == ChangeSetItem.Status.DONE


def _state(instance) -> dict:
    instance.refresh_from_db()
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_claims_insert_for_b_answered_with_as_claim_id_fails_and_leaves_as_claim_alone(
    emulator, claimed, catalogue, owner_b, charlie, connect, monkeypatch
):
    """A YouTube (or a stand-in) whose claims.insert for B answers with the id of A's claim C1."""
    connect(owner_b, refresh_token=REFRESH_TOKEN_B)
    Asset.objects.create(id="B222", content_owner=owner_b, title="B's recording")
    emulator.state.load({"assets": [{"id": "B222", "contentOwner": "owner-b", "type": "web"}]})
    monkeypatch.setattr("devtools.youtube_emulator.content_id.new_id", lambda length=11, prefix="": "C1")
    claim_before = _state(claimed)
    changeset_add_claim_insert(
        user=charlie,
        video=catalogue["b1_secret"],
        asset_id="B222",
        content_type="audio",
        rules=[{"action": "track"}],
    )

    changeset = _push(charlie)

    assert len(api_requests(emulator, "youtubePartner.claims.insert")) == 1
    assert _state(claimed) == claim_before
    assert not Claim.objects.filter(video=catalogue["b1_secret"]).exists()
    item = ChangeSetItem.objects.get(changeset=changeset)
    message = (
        "YouTube answered with claim C1, which ytcms holds for another content owner; that claim was "
        "left unchanged. Check the claim on YouTube."
    )
    assert (item.status, item.error_reason, item.error_message) == (
        ChangeSetItem.Status.FAILED,
        "otherOwnersClaim",
        message,
    )
    assert "claimId" not in item.payload  # a revert must not patch A's claim
    record = SyncRecord.objects.get(changeset=changeset)
    assert (record.status, record.parts_sent, record.message) == (
        SyncRecord.Status.FAILED,
        ["claims.insert"],
        message,
    )
    changeset.refresh_from_db()
    assert changeset.status == ChangeSet.Status.PARTLY_FAILED


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


# ---------------------------------------------------------------------------- revert


def _revert_and_push(changeset, user):
    from syncs.changesets.services import changeset_revert

    changeset.refresh_from_db()
    revert = changeset_revert(changeset=changeset, user=user)
    changeset_queue(changeset=revert, user=user, enqueue=False)
    changeset_push(changeset=revert)
    revert.refresh_from_db()
    changeset.refresh_from_db()
    return revert


def test_revert_of_a_policy_change_patches_the_previous_policy_back(
    emulator, claimed, owner_a, alice, connect
):
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])
    changeset = _push(alice)

    revert = _revert_and_push(changeset, alice)

    (item,) = revert.items.all()
    assert (item.kind, item.field, item.payload) == (
        ChangeSetItem.Kind.CLAIM_PATCH,
        "claim:C1",
        {"claimId": "C1"},
    )
    assert (item.base_value, item.new_value) == ({"rules": [{"action": "block"}]}, {"id": "P-monetize"})
    assert item.status == ChangeSetItem.Status.DONE
    patches = api_requests(emulator, "youtubePartner.claims.patch")
    assert [p["body"] for p in patches] == [
        {"policy": {"rules": [{"action": "block"}]}},
        {"policy": {"id": "P-monetize"}},
    ]
    assert emulator.state.claim("C1")["policy"] == {"id": "P-monetize"}
    assert (revert.status, changeset.status) == (ChangeSet.Status.DONE, ChangeSet.Status.REVERTED)
    claimed.refresh_from_db()
    assert claimed.policy_id == "P-monetize"


def test_revert_of_a_claims_insert_releases_the_claim(emulator, catalogue, owner_a, alice, connect):
    Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    changeset = _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect)
    (made,) = emulator.state.claims_for(video_id="a1song00001")
    assert ChangeSetItem.objects.get(changeset=changeset).payload["claimId"] == made["id"]
    assert Claim.objects.get(pk=made["id"]).status == Claim.Status.ACTIVE

    revert = _revert_and_push(changeset, alice)

    (item,) = revert.items.all()
    assert (item.kind, item.field) == (ChangeSetItem.Kind.CLAIM_RELEASE, f"claim:{made['id']}")
    assert (item.base_value, item.new_value, item.status) == (
        {"status": "active"},
        {"status": "inactive"},
        ChangeSetItem.Status.DONE,
    )
    (release,) = api_requests(emulator, "youtubePartner.claims.patch")
    assert release["body"] == {"status": "inactive"} and release["path"].endswith(f"/claims/{made['id']}")
    assert release["params"]["onBehalfOfContentOwner"] == "owner-a"
    assert emulator.state.claim(made["id"])["status"] == "inactive"
    assert Claim.objects.get(pk=made["id"]).status == Claim.Status.INACTIVE
    assert changeset.status == ChangeSet.Status.REVERTED
    record = SyncRecord.objects.filter(changeset=revert).get()
    assert record.parts_sent == ["claims.patch"] and record.fields == {
        item.field: {"before": {"status": "active"}, "after": {"status": "inactive"}}
    }
    # A release cannot be undone: Content ID allows only active → inactive.
    from syncs.changesets.services import ChangeSetError, changeset_revert

    with pytest.raises(ChangeSetError, match="cannot make a released claim active again"):
        changeset_revert(changeset=revert, user=alice)


def test_a_claim_already_released_on_youtube_is_done_without_a_patch(
    emulator, catalogue, owner_a, alice, connect
):
    changeset = _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect)
    (made,) = emulator.state.claims_for(video_id="a1song00001")
    emulator.state.claims[made["id"]]["resource"]["status"] = "inactive"  # released in Studio

    _revert_and_push(changeset, alice)

    assert api_requests(emulator, "youtubePartner.claims.patch") == []
    assert (
        ChangeSetItem.objects.get(kind=ChangeSetItem.Kind.CLAIM_RELEASE).status == ChangeSetItem.Status.DONE
    )


def test_a_claim_disputed_on_youtube_is_a_conflict_not_a_release(
    emulator, catalogue, owner_a, alice, connect
):
    changeset = _claim_with_a_tracking_policy_and_push(catalogue, owner_a, alice, connect)
    (made,) = emulator.state.claims_for(video_id="a1song00001")
    emulator.state.claims[made["id"]]["resource"]["status"] = "disputed"

    revert = _revert_and_push(changeset, alice)

    item = revert.items.get()
    assert (item.status, item.theirs_value) == (ChangeSetItem.Status.CONFLICT, {"status": "disputed"})
    assert api_requests(emulator, "youtubePartner.claims.patch") == []


def test_an_unknown_base_policy_takes_youtubes_and_the_revert_restores_it(
    emulator, claimed, owner_a, alice, connect
):
    """The catalogue knew no policy (rules on YouTube): the push's read is the base, so revert works."""
    connect(owner_a)
    emulator.state.claims["C1"]["resource"]["policy"] = {"rules": [{"action": "track"}]}
    Claim.objects.filter(pk="C1").update(policy=None)
    claimed.refresh_from_db()
    changeset_add_claim_policy(user=alice, claim=claimed, policy_id="P-monetize")
    changeset = _push(alice)
    item = ChangeSetItem.objects.get(changeset=changeset)
    assert (item.status, item.base_value) == (ChangeSetItem.Status.DONE, {"rules": [{"action": "track"}]})

    _revert_and_push(changeset, alice)

    restored = emulator.state.claim("C1")["policy"]
    assert restored["rules"] == [{"action": "track"}] and "id" not in restored
    assert api_requests(emulator, "youtubePartner.claims.patch")[-1]["body"] == {
        "policy": {"rules": [{"action": "track"}]}
    }


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"policy_id": "P-monetize", "rules": [{"action": "block"}]}, "not both"),
        ({}, "needs a saved policy or rules"),
        ({"rules": [{"action": "takedown"}]}, "monetize, track or block, not 'takedown'"),
        ({"rules": [{"action": "track"}], "content_type": "picture"}, "audio, video or audiovisual"),
        ({"policy_id": "P-b"}, "Policy P-b belongs to another content owner"),
    ],
)
def test_claim_insert_refuses_bad_input_with_a_clear_message(
    catalogue, owner_a, owner_b, alice, kwargs, message
):
    from syncs.changesets.services import ChangeSetError

    Policy.objects.create(id="P-b", content_owner=owner_b, name="B block")
    arguments = {"content_type": "audio", **kwargs}
    with pytest.raises(ChangeSetError, match=message):
        changeset_add_claim_insert(user=alice, video=catalogue["a1_song"], asset_id="A111", **arguments)
    assert not ChangeSetItem.objects.exists()


def test_claim_insert_refuses_another_owners_asset_and_a_second_claim(claimed, catalogue, owner_b, alice):
    from syncs.changesets.services import ChangeSetError

    Asset.objects.create(id="B222", content_owner=owner_b)
    with pytest.raises(ChangeSetError, match="Asset B222 belongs to another content owner"):
        changeset_add_claim_insert(
            user=alice,
            video=catalogue["a1_song"],
            asset_id="B222",
            content_type="audio",
            rules=[{"action": "track"}],
        )
    with pytest.raises(ChangeSetError, match=r"already claimed by asset A111 \(claim C1\)"):
        changeset_add_claim_insert(
            user=alice,
            video=catalogue["a1_song"],
            asset_id="A111",
            content_type="audio",
            rules=[{"action": "track"}],
        )


def test_policy_change_refuses_an_inactive_claim_and_the_same_policy(claimed, alice):
    from syncs.changesets.services import ChangeSetError

    with pytest.raises(ChangeSetError, match="already has policy Monetize"):
        changeset_add_claim_policy(user=alice, claim=claimed, policy_id="P-monetize")
    claimed.status = Claim.Status.INACTIVE
    with pytest.raises(ChangeSetError, match="only changes the policy of an active claim"):
        changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])


def test_four_eyes_rule_covers_claim_policies(claimed, alice, settings):
    from syncs.changesets.services import ChangeSetError

    settings.CHANGESET_FOUR_EYES = True
    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])
    changeset = ChangeSet.objects.get()
    assert changeset.needs_approval
    with pytest.raises(ChangeSetError, match="claim policy"):
        changeset_queue(changeset=changeset, user=alice, enqueue=False)
