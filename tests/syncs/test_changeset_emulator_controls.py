"""The emulator controls the push tests lean on: a slowed-down operation and per-resource call counters."""

import json
import time
import urllib.error
import urllib.request

from .conftest import API_KEY


def _call(server, method: str, path: str, body=None):
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _timed_get(server, path: str) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(server.url + path, timeout=10) as answer:
        answer.read()
    return time.monotonic() - started


def test_one_operation_can_be_slowed_down_alone(emulator):
    status, faults = _call(
        emulator, "POST", "/_emulator/faults", {"operationLatencyMs": {"youtube.videos.list": 300}}
    )
    assert status == 200 and faults["operationLatencyMs"] == {"youtube.videos.list": 300}

    slow = _timed_get(emulator, f"/youtube/v3/videos?part=snippet&id=a1song00001&key={API_KEY}")
    fast = _timed_get(emulator, f"/youtube/v3/videoCategories?part=snippet&regionCode=US&key={API_KEY}")

    assert slow >= 0.3 > fast
    assert _call(emulator, "POST", "/_emulator/faults", {"operationLatencyMs": 300})[0] == 400
    _call(emulator, "DELETE", "/_emulator/faults")
    assert _call(emulator, "GET", "/_emulator/faults")[1]["operationLatencyMs"] == {}


def test_counters_count_calls_per_resource(emulator):
    for ids in ("a1song00001,a1live00001", "a1song00001", "nosuchvideo"):
        _timed_get(emulator, f"/youtube/v3/videos?part=id&id={ids}&key={API_KEY}")
    status, counts = _call(emulator, "GET", "/_emulator/counters?operation=youtube.videos.list")

    assert status == 200
    assert counts == {
        "operation": "youtube.videos.list",
        "total": 3,
        "byResource": {"a1song00001": 2, "a1live00001": 1, "nosuchvideo": 1},
    }
    assert _call(emulator, "GET", "/_emulator/counters")[0] == 400


def test_counters_can_count_failed_calls_too(emulator):
    emulator.state.fail_next({"status": 503, "match": "youtube.videos.list"})
    for _ in range(2):
        try:
            _timed_get(emulator, f"/youtube/v3/videos?part=id&id=a1song00001&key={API_KEY}")
        except urllib.error.HTTPError as error:
            assert error.code == 503

    ok = _call(emulator, "GET", "/_emulator/counters?operation=youtube.videos.list")[1]
    every = _call(emulator, "GET", "/_emulator/counters?operation=youtube.videos.list&status=any")[1]

    assert (ok["total"], every["total"]) == (1, 2)
