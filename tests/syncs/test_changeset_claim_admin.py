"""The admin's "Claim with asset…" (videos) and "Change claim policy…" (claims) land in the draft change set."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse

from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_queue
from syncs.models import ChangeSet, ChangeSetItem
from videos.models import Asset, Claim, Policy

from .conftest import api_requests

pytestmark = pytest.mark.django_db

VIDEOS = reverse("admin:videos_video_changelist")
CLAIMS = reverse("admin:videos_claim_changelist")


@pytest.fixture
def content_id(owner_a, owner_b):
    Asset.objects.create(id="A111", content_owner=owner_a, title="Midnight Song (asset)")
    Asset.objects.create(id="B222", content_owner=owner_b, title="Label B asset")
    Policy.objects.create(id="P-monetize", content_owner=owner_a, name="Monetize")
    Policy.objects.create(id="P-b", content_owner=owner_b, name="B block")


def _claim_videos(client, video_ids, **form):
    data = {"action": "claim_with_asset", ACTION_CHECKBOX_NAME: video_ids, "select_across": "0", **form}
    return client.post(VIDEOS, data)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_claim_with_asset_shows_a_form_then_adds_claims_inserts_to_the_draft(
    client, emulator, catalogue, content_id, owner_a, alice, connect
):
    client.force_login(alice)

    form_page = _claim_videos(client, ["a1song00001", "a1live00001"])
    assert form_page.status_code == 200
    page = form_page.content.decode()
    assert "Claim 2 videos with one asset." in page and "Midnight Song (a1song00001)" in page
    assert '<option value="P-monetize">Monetize</option>' in page and "P-b" not in page  # owner A's only

    response = _claim_videos(
        client,
        ["a1song00001", "a1live00001"],
        claim_step="apply",
        asset="A111",
        content_type="audio",
        policy="P-monetize",
    )

    assert response.status_code == 302
    draft = ChangeSet.objects.get(created_by=alice, status=ChangeSet.Status.DRAFT)
    items = {item.video_id: item for item in draft.items.all()}
    assert set(items) == {"a1song00001", "a1live00001"}
    assert {item.kind for item in items.values()} == {ChangeSetItem.Kind.CLAIM_INSERT}
    assert items["a1live00001"].payload == {
        "assetId": "A111",
        "videoId": "a1live00001",
        "contentType": "audio",
        "policy": {"id": "P-monetize"},
    }
    (message,) = _messages(response)
    assert "2 new claims (claims.insert) added to your draft change set" in message
    assert reverse("admin:syncs_changeset_change", args=[draft.pk]) in message

    connect(owner_a)
    changeset_queue(changeset=draft, user=alice, enqueue=False)
    changeset_push(changeset=draft)
    inserted = api_requests(emulator, "youtubePartner.claims.insert")
    assert sorted(r["body"]["videoId"] for r in inserted) == ["a1live00001", "a1song00001"]
    assert Claim.objects.filter(asset_id="A111", status=Claim.Status.ACTIVE).count() == 2


def test_a_rule_instead_of_a_saved_policy(client, catalogue, content_id, alice):
    client.force_login(alice)

    _claim_videos(
        client, ["a1song00001"], claim_step="apply", asset="A111", content_type="audiovisual", rule="block"
    )

    item = ChangeSetItem.objects.get()
    assert item.payload["policy"] == item.new_value == {"rules": [{"action": "block"}]}


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"asset": "A111", "content_type": "audio", "policy": "P-monetize", "rule": "track"}, "not both"),
        (
            {"asset": "A111", "content_type": "audio"},
            "Choose a saved policy or a rule (monetize, track or block).",
        ),
        (
            {"asset": "B222", "content_type": "audio", "rule": "track"},
            "is not an asset of this content owner",
        ),
        (
            {"asset": "A999", "content_type": "audio", "rule": "track"},
            "Asset A999 is not an asset of this content owner",
        ),
        ({"asset": "A111", "content_type": "audio", "policy": "P-b"}, "Select a valid choice."),
    ],
)
def test_claim_with_asset_shows_clear_errors_and_adds_nothing(
    client, catalogue, content_id, alice, form, error
):
    client.force_login(alice)

    response = _claim_videos(client, ["a1song00001"], claim_step="apply", **form)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not ChangeSetItem.objects.exists()


def test_another_owners_asset_is_refused_in_the_words_of_an_unknown_one(client, catalogue, content_id, alice):
    client.force_login(alice)

    def error_for(asset_id: str) -> str:
        page = _claim_videos(
            client, ["a1song00001"], claim_step="apply", asset=asset_id, content_type="audio", rule="track"
        ).content.decode()
        return re.search(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, re.S).group(1)

    assert error_for("B222").replace("B222", "X") == error_for("A999").replace("A999", "X")


def test_a_video_already_claimed_by_the_asset_is_reported_and_the_others_added(
    client, catalogue, content_id, alice
):
    Claim.objects.create(id="C1", video=catalogue["a1_song"], asset_id="A111", content_type="audio")
    client.force_login(alice)

    response = _claim_videos(
        client,
        ["a1song00001", "a1live00001"],
        claim_step="apply",
        asset="A111",
        content_type="audio",
        rule="track",
    )

    assert list(ChangeSetItem.objects.values_list("video_id", flat=True)) == ["a1live00001"]
    messages = _messages(response)
    assert "Not added: Video a1song00001 is already claimed by asset A111 (claim C1)." in messages


def test_a_selection_across_content_owners_is_refused(client, catalogue, content_id, admin_user):
    client.force_login(admin_user)

    response = _claim_videos(client, ["a1song00001", "b1secret001"])

    assert response.status_code == 302
    assert "spans 2 content owners" in _messages(response)[0]


def test_a_viewer_has_no_claim_action(client, catalogue, content_id, bob):
    client.force_login(bob)

    page = client.get(VIDEOS).content.decode()
    assert "claim_with_asset" not in page
    _claim_videos(
        client, ["a1song00001"], claim_step="apply", asset="A111", content_type="audio", rule="track"
    )
    assert not ChangeSetItem.objects.exists()


def test_change_claim_policy_adds_a_claims_patch_and_pushes(
    client, emulator, catalogue, content_id, owner_a, alice, connect
):
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
    Claim.objects.create(
        id="C1",
        video=catalogue["a1_song"],
        asset_id="A111",
        policy_id="P-monetize",
        content_type="audiovisual",
    )
    client.force_login(alice)
    data = {"action": "change_claim_policy", ACTION_CHECKBOX_NAME: ["C1"], "select_across": "0"}

    form_page = client.post(CLAIMS, data)
    assert form_page.status_code == 200
    assert "Claim C1: asset A111 on a1song00001, now Monetize" in form_page.content.decode()
    same = client.post(CLAIMS, {**data, "claim_step": "apply", "policy": "P-monetize"})
    assert "Not added: Claim C1 already has policy Monetize." in _messages(same)
    response = client.post(CLAIMS, {**data, "claim_step": "apply", "rule": "block"})

    assert response.status_code == 302
    assert any(
        m.startswith("1 claim policy change (claims.patch) added to your draft change set")
        for m in _messages(response)
    ), _messages(response)
    item = ChangeSetItem.objects.get()
    assert (item.kind, item.base_value, item.new_value) == (
        ChangeSetItem.Kind.CLAIM_PATCH,
        {"id": "P-monetize"},
        {"rules": [{"action": "block"}]},
    )
    connect(owner_a)
    changeset_queue(changeset=item.changeset, user=alice, enqueue=False)
    changeset_push(changeset=item.changeset)
    assert emulator.state.claim("C1")["policy"]["rules"] == [{"action": "block"}]


def test_an_outsider_cannot_change_a_claims_policy(client, catalogue, content_id, charlie):
    Claim.objects.create(id="C1", video=catalogue["a1_song"], asset_id="A111", content_type="audio")
    client.force_login(charlie)

    client.post(
        CLAIMS,
        {
            "action": "change_claim_policy",
            ACTION_CHECKBOX_NAME: ["C1"],
            "claim_step": "apply",
            "rule": "block",
        },
    )

    assert not ChangeSetItem.objects.exists()
