"""Quota: per project, per Pacific day, charged even for failed calls."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from googleapiclient.errors import HttpError

from .conftest import KEY, KEY_PROJECT, PROJECT, access_token, http, youtube

PACIFIC = ZoneInfo("America/Los_Angeles")


def _snippet_body(title="New"):
    return {"id": "vApublic001", "snippet": {"title": title, "categoryId": "10"}}


def test_list_costs_one_unit_and_update_fifty(server):
    client = youtube(server)

    client.videos().list(part="snippet", id="vApublic001", onBehalfOfContentOwner="owner-a").execute()
    assert server.state.quota_used(PROJECT) == 1
    client.videos().update(part="snippet", body=_snippet_body(), onBehalfOfContentOwner="owner-a").execute()
    assert server.state.quota_used(PROJECT) == 51


def test_rejected_requests_still_cost(server):
    client = youtube(server)

    with pytest.raises(HttpError):
        client.videos().update(
            part="snippet", body=_snippet_body(title=""), onBehalfOfContentOwner="owner-a"
        ).execute()
    with pytest.raises(HttpError):
        client.videos().list(part="snippet", id=[f"v{n}" for n in range(51)]).execute()

    assert server.state.quota_used(PROJECT) == 50 + 1
    costs = [entry["quotaCost"] for entry in server.state.requests(api="youtube")]
    assert costs == [50, 1]


def test_rejected_requests_cost_one_unit_when_configured(server):
    server.state.configure(chargeRejectedFull=False)

    with pytest.raises(HttpError):
        youtube(server).videos().update(
            part="snippet", body=_snippet_body(title=""), onBehalfOfContentOwner="owner-a"
        ).execute()

    assert server.state.quota_used(PROJECT) == 1


@pytest.mark.parametrize("fault", [503, "notReady", 500])
def test_a_backend_failure_costs_one_unit_not_the_methods_price(server, fault):
    server.state.fail_next(fault)

    with pytest.raises(HttpError) as excinfo:
        youtube(server).videos().update(
            part="snippet", body=_snippet_body(), onBehalfOfContentOwner="owner-a"
        ).execute()

    assert excinfo.value.status_code >= 500
    assert server.state.quota_used(PROJECT) == 1  # "at least one point", not videos.update's 50
    assert [entry["quotaCost"] for entry in server.state.requests(api="youtube")] == [1]


def test_an_expired_tokens_401_costs_one_unit_to_its_project(server):
    token = access_token(server)
    server.state.expire_access_tokens()

    status, _, answer = http(
        "PUT",
        f"{server.url}/youtube/v3/videos?part=snippet&onBehalfOfContentOwner=owner-a",
        json_body=_snippet_body(),
        headers={"Authorization": f"Bearer {token}"},
    )

    assert (status, answer["error"]["errors"][0]["reason"]) == (401, "authError")
    assert server.state.quota_used(PROJECT) == 1
    assert server.state.video("vApublic001")["snippet"]["title"] != "New"


def test_an_injected_401_costs_one_unit_like_a_real_one(server):
    server.state.fail_next("authError")

    # google-auth's AuthorizedHttp refreshes on the 401 and sends the update again.
    youtube(server).videos().update(
        part="snippet", body=_snippet_body(), onBehalfOfContentOwner="owner-a"
    ).execute()

    costs = [(entry["status"], entry["quotaCost"]) for entry in server.state.requests(api="youtube")]
    assert costs == [(401, 1), (200, 50)]
    assert server.state.quota_used(PROJECT) == 51


def test_quota_is_counted_per_project(server):
    youtube(server, key=KEY).videos().list(part="id", id="vApublic001").execute()

    assert server.state.quota_used(KEY_PROJECT) == 1
    assert server.state.quota_used(PROJECT) == 0


def test_exhausted_quota_is_403_quota_exceeded_and_not_retried(server):
    server.state.set_quota_used(PROJECT, 10_000)

    with pytest.raises(HttpError) as excinfo:
        youtube(server).videos().list(part="id", id="vApublic001").execute(num_retries=3)

    error = excinfo.value
    assert error.status_code == 403
    assert error.error_details[0]["reason"] == "quotaExceeded"
    assert error.error_details[0]["domain"] == "youtube.quota"
    assert "exceeded your" in error.error_details[0]["message"]
    assert len(server.state.requests(operation="youtube.videos.list")) == 1
    assert server.state.quota_used(PROJECT) == 10_000  # the refusal itself is not charged


def test_update_is_refused_when_fewer_than_fifty_units_remain(server):
    server.state.set_quota_limit(100)
    server.state.set_quota_used(PROJECT, 60)
    client = youtube(server)

    client.videos().list(part="id", id="vApublic001").execute()
    with pytest.raises(HttpError) as excinfo:
        client.videos().update(
            part="snippet", body=_snippet_body(), onBehalfOfContentOwner="owner-a"
        ).execute()

    assert excinfo.value.error_details[0]["reason"] == "quotaExceeded"
    assert server.state.quota_used(PROJECT) == 61


def test_quota_resets_at_pacific_midnight(server):
    server.state.clock.set(datetime(2026, 11, 27, 23, 58, tzinfo=PACIFIC))
    server.state.set_quota_used(PROJECT, 10_000)
    client = youtube(server)
    with pytest.raises(HttpError):
        client.videos().list(part="id", id="vApublic001").execute()

    server.state.clock.advance(120)  # 00:00 PT on the 28th (08:00 UTC)
    client.videos().list(part="id", id="vApublic001").execute()

    assert server.state.quota_used(PROJECT) == 1
    assert server.state.quota_used(PROJECT, day="2026-11-27") == 10_000


def test_quota_day_is_pacific_not_utc(server):
    server.state.clock.set(datetime(2026, 11, 28, 7, 30, tzinfo=ZoneInfo("UTC")))  # 23:30 PT on the 27th

    youtube(server).videos().list(part="id", id="vApublic001").execute()

    assert server.state.quota_used(PROJECT, day="2026-11-27") == 1


def test_bad_credentials_are_not_charged(server):
    status, _, _ = http(
        "GET",
        f"{server.url}/youtube/v3/videos?part=id&id=vApublic001",
        headers={"Authorization": "Bearer nonsense"},
    )

    assert status == 401
    assert server.state.quota_report()["usage"] == {}


def test_quota_is_read_and_set_through_the_control_endpoint(server):
    youtube(server).videos().list(part="id", id="vApublic001").execute()

    status, _, report = http("GET", f"{server.url}/_emulator/quota")
    http("POST", f"{server.url}/_emulator/quota", json_body={"api": "youtube", "limit": 5})
    http("POST", f"{server.url}/_emulator/quota", json_body={"project": PROJECT, "used": 5})

    assert status == 200 and report["usage"] == {PROJECT: {"youtube": 1}}
    assert report["limits"]["youtube"] == 10_000
    with pytest.raises(HttpError) as excinfo:
        youtube(server).videos().list(part="id", id="vApublic001").execute()
    assert excinfo.value.error_details[0]["reason"] == "quotaExceeded"


def test_clock_is_set_through_the_control_endpoint(server):
    status, _, clock = http(
        "POST", f"{server.url}/_emulator/clock", json_body={"set": "2026-11-28T07:59:30Z", "freeze": True}
    )

    assert status == 200 and clock["pacificDate"] == "2026-11-27"
    assert clock["nextQuotaReset"] == "2026-11-28T08:00:00.000Z"
    _, _, later = http("POST", f"{server.url}/_emulator/clock", json_body={"advance": 60})
    assert later["pacificDate"] == "2026-11-28"
