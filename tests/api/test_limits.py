"""Body size limits and throttles: per user, per token, and the bulk edit's own budget."""

import json

import pytest

from channels_app.authentication import api_token_create
from tests.api.conftest import client_with_token, error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/videos/a1song00001/"


def test_a_body_over_the_limit_is_413_before_it_is_read(catalogue, alice_api):
    body = json.dumps({"notes": "x" * (1024 * 1024)}).encode()  # just over the default 1 MiB
    response = alice_api.generic("PATCH", URL, body, content_type="application/json")
    assert response.status_code == 413
    assert error_codes(response) == [(None, "body_too_large")]
    assert "at most 1,048,576 bytes" in response.json()["errors"][0]["message"]


def test_a_body_at_the_limit_is_read(catalogue, alice_api, settings):
    settings.API_MAX_BODY_BYTES = 2048
    body = json.dumps({"notes": "x" * 2000})
    body = body.replace("x" * 2000, "x" * (2000 + 2048 - len(body)))
    assert len(body.encode()) == 2048
    response = alice_api.generic("PATCH", URL, body.encode(), content_type="application/json")
    assert response.status_code == 200, response.content
    response = alice_api.generic("PATCH", URL, body.encode() + b" ", content_type="application/json")
    assert response.status_code == 413


def test_a_body_without_a_declared_length_is_counted(settings):
    # Behind some servers a chunked body reaches the parser with no Content-Length to check.
    import io

    from rest_framework.exceptions import APIException
    from rest_framework.test import APIRequestFactory

    from core.api import LimitedJSONParser

    settings.API_MAX_BODY_BYTES = 1024
    request = APIRequestFactory().patch(URL)
    request.META.pop("CONTENT_LENGTH", None)
    body = json.dumps({"notes": "x" * 5000}).encode()
    with pytest.raises(APIException) as refused:
        LimitedJSONParser().parse(io.BytesIO(body), "application/json", {"request": request})
    assert refused.value.status_code == 413
    assert LimitedJSONParser().parse(
        io.BytesIO(b'{"notes": "ok"}'), "application/json", {"request": request}
    ) == {"notes": "ok"}


def test_deeply_nested_json_is_a_400_not_a_crash(catalogue, alice_api):
    body = b'{"localizations": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = alice_api.generic("PATCH", URL, body, content_type="application/json")
    assert response.status_code == 400


def test_each_user_has_a_request_budget_across_tokens(catalogue, alice, settings):
    settings.API_THROTTLE_USER = "3/minute"
    first = client_with_token(api_token_create(user=alice, name="one")[1])
    second = client_with_token(api_token_create(user=alice, name="two")[1])
    assert [first.get("/api/v1/videos/").status_code for _ in range(2)] == [200, 200]
    assert second.get("/api/v1/videos/").status_code == 200
    response = second.get("/api/v1/videos/")
    assert response.status_code == 429
    assert error_codes(response) == [(None, "throttled")]
    assert int(response["Retry-After"]) > 0


def test_each_token_has_its_own_budget(catalogue, alice, settings):
    settings.API_THROTTLE_TOKEN = "2/minute"
    first = client_with_token(api_token_create(user=alice, name="one")[1])
    second = client_with_token(api_token_create(user=alice, name="two")[1])
    assert [first.get("/api/v1/videos/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/videos/").status_code == 200


def test_users_do_not_share_a_budget(catalogue, alice_api, charlie_api, settings):
    settings.API_THROTTLE_USER = "1/minute"
    assert alice_api.get("/api/v1/videos/").status_code == 200
    assert alice_api.get("/api/v1/videos/").status_code == 429
    assert charlie_api.get("/api/v1/videos/").status_code == 200


def test_bulk_edits_have_their_own_smaller_budget(catalogue, alice_api, settings):
    settings.API_THROTTLE_BULK = "1/minute"
    body = {"video_ids": ["a1song00001"], "edit": {"license": "youtube"}}
    assert alice_api.post("/api/v1/videos/bulk-edit/", body).status_code == 200
    assert alice_api.post("/api/v1/videos/bulk-edit/", body).status_code == 429
    assert alice_api.get("/api/v1/videos/").status_code == 200


def test_a_bad_rate_setting_stops_start_up(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "ytcms_site.settings",
            "DEBUG": "true",
            "YTCMS_VAR_DIR": str(tmp_path),
            "API_THROTTLE_USER": "2000 per hour",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        cwd=str(__import__("django").conf.settings.BASE_DIR),
    )
    assert result.returncode != 0
    assert "API_THROTTLE_USER='2000 per hour' is not a rate" in result.stderr
