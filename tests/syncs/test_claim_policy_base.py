"""#16 item 4: a claim's policy has a base whether it is a saved policy or a set of rules.

The catalogue keeps what YouTube has for each claim's policy (Claim.remote_policy, from push answers
and pulls); an edit takes it as its base; the push compares it with a fresh claims.get, so a
change made in Studio between the edit and the push is a conflict (base, theirs, ours) and nothing
is written. Studio edits go through the emulator's control, over HTTP (studio_claim_policy).
"""

import re

import pytest
from django.urls import reverse

from syncs.changesets.push import changeset_push
from syncs.changesets.services import changeset_add_claim_policy, changeset_queue
from syncs.models import ChangeSet, ChangeSetItem, SyncRecord
from syncs.services.pull import owner_pull
from syncs.youtube.mapping import claim_policy_canonical
from tests.conftest import browser
from videos.models import Claim

from .conftest import api_requests, studio_claim_policy
from .test_changeset_page import messages_of, page_of, press

pytestmark = pytest.mark.django_db

BLOCK = {"rules": [{"action": "block"}]}
TRACK = {"rules": [{"action": "track"}]}
MONETIZE = {"rules": [{"action": "monetize"}]}
# "Monetize in the US and Canada, block elsewhere" as Studio might hold it.
NORTH_AMERICA = {
    "rules": [
        {
            "action": "monetize",
            "conditions": {"requiredTerritories": {"type": "include", "territories": ["US", "CA"]}},
        },
        {
            "action": "block",
            "conditions": {"requiredTerritories": {"type": "exclude", "territories": ["US", "CA"]}},
        },
    ]
}


def _push(user) -> ChangeSet:
    changeset = ChangeSet.objects.get(created_by=user, status=ChangeSet.Status.DRAFT)
    changeset_queue(changeset=changeset, user=user, enqueue=False)
    changeset_push(changeset=changeset)
    changeset.refresh_from_db()
    return changeset


def _patches(emulator) -> list[dict]:
    return [request["body"] for request in api_requests(emulator, "youtubePartner.claims.patch")]


@pytest.fixture
def rules_claim(emulator, claimed, owner_a, alice, connect) -> Claim:
    """ytcms set C1's policy to the rules "block" and pushed it: YouTube and the catalogue agree."""
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "block"}])
    assert _push(alice).status == ChangeSet.Status.DONE
    claimed.refresh_from_db()
    return claimed


def test_a_rules_policy_ytcms_set_is_remembered_and_is_the_next_edits_base(rules_claim, alice, emulator):
    assert rules_claim.remote_policy == BLOCK

    item = changeset_add_claim_policy(user=alice, claim=rules_claim, policy_id="P-monetize")
    assert (item.base_value, item.new_value) == (BLOCK, {"id": "P-monetize"})
    changeset = _push(alice)

    item.refresh_from_db()
    assert (changeset.status, item.status) == (ChangeSet.Status.DONE, ChangeSetItem.Status.DONE)
    assert _patches(emulator)[-1] == {"policy": {"id": "P-monetize"}}
    assert emulator.state.claim("C1")["policy"] == {"id": "P-monetize"}
    rules_claim.refresh_from_db()
    assert (rules_claim.remote_policy, rules_claim.policy_id) == ({"id": "P-monetize"}, "P-monetize")


def test_rules_set_in_studio_between_edit_and_push_are_a_conflict_and_nothing_is_written(
    rules_claim, alice, emulator
):
    item = changeset_add_claim_policy(user=alice, claim=rules_claim, rules=[{"action": "track"}])
    studio_claim_policy(emulator, "C1", NORTH_AMERICA)
    patches_before = _patches(emulator)

    changeset = _push(alice)

    assert _patches(emulator) == patches_before  # nothing written
    assert claim_policy_canonical(emulator.state.claim("C1")["policy"]) == claim_policy_canonical(
        NORTH_AMERICA
    )
    item.refresh_from_db()
    theirs = claim_policy_canonical(NORTH_AMERICA)
    assert (item.status, item.base_value, item.theirs_value, item.new_value) == (
        ChangeSetItem.Status.CONFLICT,
        BLOCK,
        theirs,
        TRACK,
    )
    assert changeset.status == ChangeSet.Status.HAS_CONFLICTS
    record = SyncRecord.objects.get(changeset=changeset)
    assert (record.status, record.parts_sent, record.fields) == (
        SyncRecord.Status.CONFLICT,
        [],
        {"claim:C1": {"base": BLOCK, "theirs": theirs, "ours": TRACK}},  # ours was not sent
    )
    rules_claim.refresh_from_db()
    assert rules_claim.remote_policy == theirs  # what the push read is what the catalogue knows now


@pytest.fixture
def policy_conflict(rules_claim, alice, emulator) -> ChangeSet:
    """alice asked for "track"; Studio set "monetize" before the push: one conflict on the page."""
    changeset_add_claim_policy(user=alice, claim=rules_claim, rules=[{"action": "track"}])
    studio_claim_policy(emulator, "C1", MONETIZE)
    changeset = _push(alice)
    assert changeset.status == ChangeSet.Status.HAS_CONFLICTS
    return changeset


def _conflict_row(page: str, item: ChangeSetItem) -> list[str]:
    row = re.search(rf'<tr data-conflict-item="{item.pk}">(.*?)</tr>', page, re.S).group(1)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_the_change_set_page_shows_base_theirs_and_ours_and_overwrite_pushes_ours(
    policy_conflict, alice, emulator
):
    item = policy_conflict.items.get()
    page = browser(alice).get(page_of(policy_conflict)).content.decode()
    assert _conflict_row(page, item)[:5] == [
        "a1song00001",
        "claim:C1",
        "Custom rules: Block in all countries",
        "Custom rules: Monetize in all countries",
        "Custom rules: Track in all countries",
    ]

    response = press(browser(alice), policy_conflict, "overwrite", item=str(item.pk))
    assert messages_of(response) == [
        "1 conflict resolved: ours replace YouTube's when the change set is pushed."
    ]
    changeset_push(changeset=policy_conflict)

    item.refresh_from_db()
    assert (item.status, item.base_value) == (ChangeSetItem.Status.DONE, MONETIZE)
    assert _patches(emulator)[-1] == {"policy": TRACK}
    assert emulator.state.claim("C1")["policy"]["rules"] == [{"action": "track"}]
    assert Claim.objects.get(pk="C1").remote_policy == TRACK


def test_keep_youtubes_leaves_studios_rules_and_the_next_edit_starts_from_them(
    policy_conflict, alice, emulator
):
    item = policy_conflict.items.get()
    patches_before = _patches(emulator)

    response = press(browser(alice), policy_conflict, "keep_theirs", item=str(item.pk))

    assert messages_of(response) == ["1 conflict resolved: YouTube's values kept."]
    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.SKIPPED
    assert _patches(emulator) == patches_before
    assert emulator.state.claim("C1")["policy"]["rules"] == [{"action": "monetize"}]
    claim = Claim.objects.get(pk="C1")
    assert claim.remote_policy == MONETIZE
    assert changeset_add_claim_policy(user=alice, claim=claim, policy_id="P-monetize").base_value == MONETIZE


def test_the_same_rules_resaved_in_another_order_are_no_conflict(emulator, claimed, owner_a, alice, connect):
    """Rule order, key order and territory order do not change a policy (see claim_policy_canonical)."""
    connect(owner_a)
    changeset_add_claim_policy(user=alice, claim=claimed, rules=NORTH_AMERICA["rules"])
    _push(alice)
    reordered = [
        {
            "conditions": {"requiredTerritories": {"territories": ["CA", "US"], "type": "exclude"}},
            "action": "block",
            "subaction": [],
        },
        {
            "conditions": {"requiredTerritories": {"territories": ["US", "CA"], "type": "include"}},
            "action": "monetize",
        },
    ]
    studio_claim_policy(emulator, "C1", {"rules": reordered})
    claimed.refresh_from_db()

    item = changeset_add_claim_policy(user=alice, claim=claimed, rules=[{"action": "track"}])
    assert item.base_value == claim_policy_canonical(NORTH_AMERICA)
    _push(alice)

    item.refresh_from_db()
    assert item.status == ChangeSetItem.Status.DONE
    assert _patches(emulator)[-1] == {"policy": TRACK}


def test_claim_policy_canonical_form():
    api_answer = {
        "kind": "youtubePartner#policy",
        "rules": [
            {"subaction": [], "action": "track", "conditions": {"matchPercent": [{"high": 30.0, "low": 0}]}},
            {
                "action": "block",
                "conditions": {"requiredTerritories": {"type": "include", "territories": ["US", "DE"]}},
            },
        ],
    }
    assert claim_policy_canonical(api_answer) == {
        "rules": [
            {
                "action": "block",
                "conditions": {"requiredTerritories": {"territories": ["DE", "US"], "type": "include"}},
            },
            {"action": "track", "conditions": {"matchPercent": [{"high": 30, "low": 0}]}},
        ]
    }
    assert claim_policy_canonical({"id": "P1", "name": "Monetize", "rules": [{"action": "monetize"}]}) == {
        "id": "P1"
    }
    assert claim_policy_canonical({"rules": []}) is None
    assert claim_policy_canonical(None) is None


# ---------------------------------------------------------------------- saved policies and pulls


def test_a_pulled_saved_policy_is_the_base_and_a_studio_change_to_rules_is_a_conflict(
    emulator, claimed, owner_a, alice, connect
):
    """The claim came from a report (its policy only a label), then a pull read YouTube's saved id."""
    connect(owner_a)
    Claim.objects.filter(pk="C1").update(policy=None)
    owner_pull(owner=owner_a, videos=False)
    claim = Claim.objects.get(pk="C1")
    assert claim.remote_policy == {"id": "P-monetize"}

    item = changeset_add_claim_policy(user=alice, claim=claim, rules=[{"action": "block"}])
    assert item.base_value == {"id": "P-monetize"}
    studio_claim_policy(emulator, "C1", TRACK)
    changeset = _push(alice)

    item.refresh_from_db()
    assert (item.status, item.base_value, item.theirs_value, item.new_value) == (
        ChangeSetItem.Status.CONFLICT,
        {"id": "P-monetize"},
        TRACK,
        BLOCK,
    )
    assert changeset.status == ChangeSet.Status.HAS_CONFLICTS
    assert _patches(emulator) == []


def test_owner_pull_reads_each_known_claims_policy_and_only_the_owners(
    emulator, catalogue, claimed, owner_a, owner_b, connect
):
    from videos.models import Asset

    connect(owner_a)
    asset_b = Asset.objects.create(id="B222", content_owner=owner_b, title="B's recording")
    Claim.objects.create(id="C-b-1", video=catalogue["b1_secret"], asset=asset_b, content_type="audio")
    emulator.state.load(
        {
            "assets": [{"id": "B222", "contentOwner": "owner-b", "type": "web"}],
            "claims": [
                {"id": "C-b-1", "contentOwner": "owner-b", "assetId": "B222", "videoId": "b1secret001"},
                {
                    "id": "C2",
                    "contentOwner": "owner-a",
                    "assetId": "A111",
                    "videoId": "a1live00001",
                    "policy": NORTH_AMERICA,
                },
            ],
        }
    )
    Claim.objects.create(id="C2", video=catalogue["a1_live"], asset_id="A111", content_type="audiovisual")

    result = owner_pull(owner=owner_a, videos=False)

    assert dict(Claim.objects.values_list("pk", "remote_policy")) == {
        "C1": {"id": "P-monetize"},
        "C2": claim_policy_canonical(NORTH_AMERICA),
        "C-b-1": None,
    }
    (listed,) = api_requests(emulator, "youtubePartner.claims.list")
    assert listed["params"]["id"] == "C1,C2" and listed["params"]["onBehalfOfContentOwner"] == "owner-a"
    assert result.claims == 2 and "2 claims' policies" in result.summary()


# ---------------------------------------------------------------------- tenancy


def test_charlie_sees_neither_as_claim_nor_its_policy_change(rules_claim, alice, charlie):
    item = changeset_add_claim_policy(user=alice, claim=rules_claim, rules=[{"action": "track"}])
    assert browser(alice).get("/api/v1/claims/C1/").json()["remote_policy"] == BLOCK

    as_charlie = browser(charlie)
    assert as_charlie.get("/api/v1/claims/C1/").status_code == 404
    assert "C1" not in as_charlie.get("/api/v1/claims/").content.decode()
    assert as_charlie.get(reverse("admin:videos_claim_change", args=["C1"])).status_code == 404
    assert as_charlie.get(page_of(item.changeset)).status_code == 404
    assert as_charlie.get(reverse("admin:syncs_changesetitem_change", args=[item.pk])).status_code == 404


# ---------------------------------------------------------------------- reports and the emulator seed


def test_a_report_import_keeps_the_policy_youtube_answered(rules_claim, emulator, owner_a):
    """A report names a claim's policy by Studio's label only: it cannot say which rules, so the
    snapshot the API gave stays (a later change on YouTube shows up at the push as a conflict)."""
    from .test_report_round_trip import pull_and_import

    report = pull_and_import(emulator, "owner-a")

    assert report.status == report.Status.DONE, report.error_message
    rules_claim.refresh_from_db()
    assert rules_claim.remote_policy == BLOCK


def test_the_emulator_seeded_from_the_catalogue_holds_a_claims_rules(rules_claim):
    """`make run` seeds the emulator from ytcms's tables: a rules policy ytcms knows is seeded as rules."""
    from devtools.youtube_emulator_seed import emulator_seed_from_db

    seed = emulator_seed_from_db(client_id="cid", client_secret="secret")

    (c1,) = [claim for claim in seed["claims"] if claim["id"] == "C1"]
    assert c1["policy"] == BLOCK
