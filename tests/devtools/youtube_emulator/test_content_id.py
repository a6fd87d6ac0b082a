"""Content ID (youtubePartner v1) through build_from_document and the vendored discovery document."""

import pytest
from googleapiclient.errors import HttpError

from .conftest import http, partner, user_credentials


def _claim(video="vApublic001", asset="A1", policy=None, content_type="audiovisual"):
    return {
        "assetId": asset,
        "videoId": video,
        "contentType": content_type,
        "policy": policy or {"rules": [{"action": "monetize"}]},
    }


def _reason(excinfo):
    return excinfo.value.status_code, excinfo.value.error_details[0]["reason"]


def test_content_owners_fetch_mine(server):
    answer = partner(server).contentOwners().list(fetchMine=True).execute()

    assert answer["kind"] == "youtubePartner#contentOwnerList"
    assert answer["items"] == [
        {"kind": "youtubePartner#contentOwner", "id": "owner-a", "displayName": "Label A"}
    ]


def test_claim_insert_creates_an_active_claim(server):
    claim = partner(server).claims().insert(body=_claim(), onBehalfOfContentOwner="owner-a").execute()

    assert claim["status"] == "active"
    assert claim["id"] and claim["timeCreated"].endswith("Z")
    assert (claim["assetId"], claim["videoId"], claim["contentType"]) == ("A1", "vApublic001", "audiovisual")
    assert server.state.claim(claim["id"])["policy"] == {
        "kind": "youtubePartner#policy",
        "rules": [{"action": "monetize"}],
    }


def test_claim_with_a_saved_policy_applies_it(server):
    claim = partner(server).claims().insert(body=_claim(policy={"id": "P-monetize"})).execute()

    assert claim["policy"] == {"id": "P-monetize"}
    assert claim["appliedPolicy"]["name"] == "Monetize everywhere"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (_claim(policy={"id": "P-b"}), (400, "invalid")),  # another owner's policy
        (_claim(policy={"rules": [{"action": "mute"}]}), (400, "invalid")),
        (_claim(content_type="soundtrack"), (400, "invalid")),
        ({"assetId": "A1", "videoId": "vApublic001", "contentType": "audio"}, (400, "required")),
        (_claim(asset="B1"), (404, "notFound")),
        (_claim(video="nosuchvideo"), (404, "notFound")),
        (_claim(video="vBpublic001"), (403, "videoNotOwned")),
    ],
)
def test_invalid_claims_are_refused(server, body, expected):
    with pytest.raises(HttpError) as excinfo:
        partner(server).claims().insert(body=body).execute()

    assert _reason(excinfo) == expected
    assert server.state.claims_for(video_id=body["videoId"]) == []


def test_duplicate_active_claim_is_refused(server):
    client = partner(server)
    client.claims().insert(body=_claim()).execute()

    with pytest.raises(HttpError) as excinfo:
        client.claims().insert(body=_claim(policy={"id": "P-track"})).execute()

    assert _reason(excinfo) == (409, "alreadyClaimed")
    assert len(server.state.claims_for(video_id="vApublic001")) == 1


def test_manual_claim_may_claim_another_channels_video(server):
    claim = partner(server).claims().insert(body=_claim(video="vBpublic001"), isManualClaim=True).execute()

    assert claim["status"] == "active" and claim["isPartnerUploaded"] is False


def test_patch_changes_the_policy(server):
    client = partner(server)
    claim = client.claims().insert(body=_claim()).execute()

    patched = client.claims().patch(claimId=claim["id"], body={"policy": {"id": "P-track"}}).execute()

    assert patched["policy"] == {"id": "P-track"} and patched["status"] == "active"
    assert client.claims().get(claimId=claim["id"]).execute()["appliedPolicy"]["rules"] == [
        {"action": "track"}
    ]


def test_patch_releases_a_claim_but_cannot_reactivate_it(server):
    client = partner(server)
    claim = client.claims().insert(body=_claim()).execute()

    released = client.claims().patch(claimId=claim["id"], body={"status": "inactive"}).execute()
    with pytest.raises(HttpError) as excinfo:
        client.claims().patch(claimId=claim["id"], body={"status": "active"}).execute()

    assert released["status"] == "inactive"
    assert _reason(excinfo) == (400, "invalidStatusTransition")
    assert server.state.claim(claim["id"])["status"] == "inactive"


def test_claim_of_another_owner_is_not_found(server):
    claim = partner(server).claims().insert(body=_claim()).execute()

    with pytest.raises(HttpError) as excinfo:
        partner(server, user_credentials(server, "1//charlie")).claims().get(claimId=claim["id"]).execute()

    assert _reason(excinfo) == (404, "notFound")


def test_claims_list_and_claim_search(server):
    client = partner(server)
    first = client.claims().insert(body=_claim()).execute()
    second = client.claims().insert(body=_claim(video="vAprivate01", asset="A2")).execute()
    partner(server, user_credentials(server, "1//charlie")).claims().insert(
        body=_claim(video="vApublic001", asset="B1"), isManualClaim=True
    ).execute()

    listed = client.claims().list(videoId="vApublic001").execute()
    by_video = client.claimSearch().list(videoId="vApublic001,vAprivate01").execute()
    by_asset = client.claimSearch().list(assetId="A2").execute()
    with_third_party = (
        client.claimSearch().list(videoId="vApublic001", includeThirdPartyClaims=True).execute()
    )

    assert listed["kind"] == "youtubePartner#claimList" and [c["id"] for c in listed["items"]] == [
        first["id"]
    ]
    assert by_video["kind"] == "youtubePartner#claimSnippetList"
    assert {s["id"] for s in by_video["items"]} == {first["id"], second["id"]}
    assert by_video["items"][0]["videoTitle"] in ("Midnight Song", "Secret Demo")
    assert [s["id"] for s in by_asset["items"]] == [second["id"]]
    assert sorted(s["thirdPartyClaim"] for s in with_third_party["items"]) == [False, True]


def test_claim_search_pages(server):
    server.state.configure(contentIdPageSize=1)
    client = partner(server)
    client.claims().insert(body=_claim()).execute()
    client.claims().insert(body=_claim(asset="A2")).execute()

    first = client.claimSearch().list(videoId="vApublic001").execute()
    second = client.claimSearch().list(videoId="vApublic001", pageToken=first["nextPageToken"]).execute()

    assert len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0]["id"] != second["items"][0]["id"]
    assert "nextPageToken" not in second


def test_user_of_several_owners_must_name_one(server):
    client = partner(server, user_credentials(server, "1//multi"))

    with pytest.raises(HttpError) as excinfo:
        client.claims().insert(body=_claim()).execute()
    claim = client.claims().insert(body=_claim(), onBehalfOfContentOwner="owner-a").execute()

    assert _reason(excinfo) == (400, "contentOwnerNotProvided")
    assert claim["status"] == "active"


def test_policies_and_assets(server):
    client = partner(server)

    policies = client.policies().list().execute()
    policy = client.policies().get(policyId="P-track").execute()
    assets = client.assets().list(id="A1,A2,B1").execute()
    asset = client.assets().get(assetId="A1", fetchMetadata="mine").execute()

    assert policies["kind"] == "youtubePartner#policyList"
    assert {p["id"] for p in policies["items"]} == {"P-monetize", "P-track"}
    assert policy["rules"] == [{"action": "track"}]
    assert [a["id"] for a in assets["items"]] == ["A1", "A2"]
    assert asset["metadataMine"] == {"title": "Midnight Song"}


# ---------------------------------------------------------------------- Studio edits (control)


def _studio_policy(server, claim_id, policy):
    return http(
        "POST", f"{server.url}/_emulator/claims/{claim_id}/studio-policy", json_body={"policy": policy}
    )


def test_a_studio_policy_change_is_what_claims_get_shows_and_no_api_call(server):
    client = partner(server)
    claim = client.claims().insert(body=_claim()).execute()
    server.state.clear_requests()
    quota_before = server.state.quota_report()
    rules = [
        {
            "action": "monetize",
            "conditions": {"requiredTerritories": {"type": "include", "territories": ["US"]}},
        }
    ]

    status, _, changed = _studio_policy(server, claim["id"], {"rules": rules})

    assert status == 200 and changed["policy"] == {"kind": "youtubePartner#policy", "rules": rules}
    assert server.state.requests(api="youtubePartner") == []
    assert server.state.quota_report() == quota_before
    fetched = client.claims().get(claimId=claim["id"]).execute()
    assert fetched["policy"]["rules"] == rules and fetched["appliedPolicy"]["rules"] == rules
    assert _studio_policy(server, claim["id"], {"id": "P-track"})[2]["policy"] == {"id": "P-track"}


def test_a_studio_policy_change_is_checked_as_claims_patch_checks_it(server):
    claim = partner(server).claims().insert(body=_claim()).execute()

    unknown = _studio_policy(server, claim["id"], {"id": "P-nope"})
    others = _studio_policy(server, claim["id"], {"id": "P-b"})  # owner B's saved policy
    takedown = _studio_policy(server, claim["id"], {"rules": [{"action": "takedown"}]})
    missing = _studio_policy(server, "no-such-claim", {"rules": [{"action": "track"}]})
    partner(server).claims().patch(claimId=claim["id"], body={"status": "inactive"}).execute()
    closed = _studio_policy(server, claim["id"], {"rules": [{"action": "track"}]})

    assert [answer[0] for answer in (unknown, others, takedown, missing, closed)] == [400] * 5
    assert closed[2]["error"]["errors"][0]["reason"] == "claimIsClosed"
    assert takedown[2]["error"]["errors"][0]["reason"] == "takedownNotPermitted"
    assert server.state.claim(claim["id"])["policy"]["rules"] == [{"action": "monetize"}]
