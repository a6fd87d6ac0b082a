"""Fault injection, the request log and the /_emulator/ control endpoints."""

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from googleapiclient.errors import HttpError

from .conftest import PROJECT, http, seed, youtube

REPO = Path(__file__).resolve().parents[3]


def test_queued_503s_then_success_with_client_retries(server):
    server.state.fail_next(503, count=2)

    answer = youtube(server).videos().list(part="id", id="vApublic001").execute(num_retries=3)

    assert [item["id"] for item in answer["items"]] == ["vApublic001"]
    log = server.state.requests(operation="youtube.videos.list")
    assert [(e["status"], e["reason"], e["fault"]) for e in log] == [
        (503, "backendError", True),
        (503, "backendError", True),
        (200, None, False),
    ]
    # Each 503 costs Google's floor of one unit, like a real backend failure (state.answer_cost).
    assert [e["quotaCost"] for e in log] == [1, 1, 1]
    assert server.state.quota_used(PROJECT) == 3


def test_rate_limit_is_retried_but_quota_exceeded_is_not(server):
    server.state.fail_next("rateLimitExceeded", "userRateLimitExceeded")
    client = youtube(server)

    client.videos().list(part="id", id="vApublic001").execute(num_retries=3)
    server.state.clear_requests()
    server.state.fail_next("quotaExceeded")
    with pytest.raises(HttpError) as excinfo:
        client.videos().list(part="id", id="vApublic001").execute(num_retries=3)

    assert excinfo.value.status_code == 403
    assert excinfo.value.error_details[0]["reason"] == "quotaExceeded"
    assert len(server.state.requests(operation="youtube.videos.list")) == 1


def test_queued_fault_can_target_one_operation(server):
    server.state.fail_next({"status": 500, "match": "youtube.videos.update"})
    client = youtube(server)
    client.videos().list(part="id", id="vApublic001").execute()

    with pytest.raises(HttpError) as excinfo:
        client.videos().update(
            part="snippet",
            onBehalfOfContentOwner="owner-a",
            body={"id": "vApublic001", "snippet": {"title": "x", "categoryId": "10"}},
        ).execute()

    assert excinfo.value.status_code == 500
    assert server.state.video("vApublic001")["snippet"]["title"] == "Midnight Song"


def test_error_rate_and_rate_limit_for_the_next_requests(server):
    client = youtube(server)
    server.state.set_faults(rate_limit_next=1)
    with pytest.raises(HttpError) as limited:
        client.videos().list(part="id", id="vApublic001").execute()
    server.state.set_faults(error_rate=1.0)
    with pytest.raises(HttpError) as unavailable:
        client.videos().list(part="id", id="vApublic001").execute()
    server.state.clear_faults()

    client.videos().list(part="id", id="vApublic001").execute()

    assert (limited.value.status_code, limited.value.error_details[0]["reason"]) == (403, "rateLimitExceeded")
    assert unavailable.value.status_code == 503


def test_quota_exhausted_switch(server):
    server.state.set_faults(quota_exhausted=True)

    with pytest.raises(HttpError) as excinfo:
        youtube(server).videos().list(part="id", id="vApublic001").execute()

    assert excinfo.value.error_details[0]["reason"] == "quotaExceeded"


def test_faults_through_the_control_endpoint(server):
    status, _, faults = http(
        "POST", f"{server.url}/_emulator/faults", json_body={"nextErrors": [503], "latencyMs": 0}
    )
    with pytest.raises(HttpError) as excinfo:
        youtube(server).videos().list(part="id", id="vApublic001").execute()
    cleared = http("DELETE", f"{server.url}/_emulator/faults")[2]

    assert status == 200 and faults["nextErrors"] == [{"status": 503, "reason": "backendError"}]
    assert excinfo.value.status_code == 503
    assert cleared["nextErrors"] == []


def test_unknown_fault_option_is_a_400(server):
    status, _, body = http("POST", f"{server.url}/_emulator/faults", json_body={"explode": True})

    assert status == 400 and "explode" in body["error"]


def test_request_log_counts_calls(server):
    client = youtube(server)
    client.videos().list(part="snippet", id="vApublic001", onBehalfOfContentOwner="owner-a").execute()
    client.videos().update(
        part="snippet",
        onBehalfOfContentOwner="owner-a",
        body={"id": "vApublic001", "snippet": {"title": "New", "categoryId": "10"}},
    ).execute()

    updates = server.state.requests(operation="youtube.videos.update")
    status, _, over_http = http("GET", f"{server.url}/_emulator/requests?operation=youtube.videos.update")

    assert len(updates) == 1
    entry = updates[0]
    assert (entry["method"], entry["path"], entry["status"], entry["quotaCost"], entry["project"]) == (
        "PUT",
        "/youtube/v3/videos",
        200,
        50,
        PROJECT,
    )
    assert entry["params"]["part"] == "snippet" and entry["body"]["snippet"]["title"] == "New"
    assert entry["account"] == "alice@example.com"
    assert status == 200 and over_http["requests"] == updates


def test_seed_reset_and_read_back_over_http(server):
    base = f"{server.url}/_emulator"

    assert http("POST", f"{base}/reset")[0] == 200
    assert http("GET", f"{base}/videos/vApublic001")[0] == 404
    status, _, loaded = http("POST", f"{base}/state", json_body=seed())
    _, _, video = http("GET", f"{base}/videos/vApublic001")
    _, _, dumped = http("GET", f"{base}/state")

    assert status == 200 and loaded["counts"]["videos"] == 5
    assert video["snippet"]["tags"] == ["night", "live session"] and video["etag"]
    assert {c["id"] for c in dumped["channels"]} >= {"UCownerA1xxxxxxxxxxxxxxx"}
    assert http("POST", f"{base}/state", json_body={"videos": [{"id": "x"}]})[0] == 400  # no channelId


def test_settings_and_token_helpers_over_http(server):
    base = f"{server.url}/_emulator"

    _, _, settings = http("POST", f"{base}/settings", json_body={"accessTokenLifetime": 5})
    _, _, token = http(
        "POST",
        f"{base}/oauth/tokens",
        json_body={"account": "alice@example.com", "clientId": "client-1.apps.googleusercontent.com"},
    )
    ok = http(
        "GET",
        f"{server.url}/youtube/v3/videos?part=id&id=vApublic001",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )[0]
    http("POST", f"{base}/oauth/expire-access-tokens")
    expired = http(
        "GET",
        f"{server.url}/youtube/v3/videos?part=id&id=vApublic001",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )[0]

    assert settings["accessTokenLifetime"] == 5 and token["expires_in"] == 5
    assert (ok, expired) == (200, 401)


def test_unemulated_method_answers_501(server):
    status, _, body = http("GET", f"{server.url}/youtube/v3/search?part=snippet&key=AIza-test-key")

    assert status == 501 and body["error"]["errors"][0]["reason"] == "notImplemented"


@pytest.mark.slow  # the youtube_emulator command as a process
def test_management_command_serves_until_sigterm(tmp_path):
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed()))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "youtube_emulator", "--port", "0", "--seed-file", str(seed_file)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline()
        url = line.split("serving at ", 1)[1].split()[0]
        status, _, video = http("GET", f"{url}/_emulator/videos/vApublic001")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)

    assert status == 200 and video["snippet"]["title"] == "Midnight Song"
    assert "5 videos" in line
    assert process.returncode == 0, err
    assert "stopped" in out


def test_latency_is_applied_to_api_requests_only(server, monkeypatch):
    slept = []
    monkeypatch.setattr("devtools.youtube_emulator.server.time.sleep", slept.append)
    server.state.set_faults(latency_ms=250)

    youtube(server).videos().list(part="id", id="vApublic001").execute()
    http("GET", f"{server.url}/_emulator/quota")

    assert slept == [0.25, 0.25]  # the token refresh and the list; not the control call


def test_dump_and_load_rebuild_the_same_world(server):
    youtube(server).videos().update(
        part="snippet",
        onBehalfOfContentOwner="owner-a",
        body={"id": "vApublic001", "snippet": {"title": "Edited", "categoryId": "10"}},
    ).execute()
    server.state.revoke_refresh_token("1//charlie")
    dumped = server.state.dump(include_bodies=True)

    server.state.reset()
    server.state.load(dumped)

    assert server.state.video("vApublic001")["snippet"]["title"] == "Edited"
    assert server.state.refresh_tokens["1//charlie"]["revoked"] is True
    assert server.state.reports["r-new"]["body"] == _dumped_body(dumped, "r-new")
    assert (
        server.state.channel("UCownerA1xxxxxxxxxxxxxxx")["contentOwnerDetails"]["contentOwner"] == "owner-a"
    )


def _dumped_body(dumped, report_id):
    report = next(r for r in dumped["reports"] if r["id"] == report_id)
    return base64.b64decode(report["csvBase64"])
