"""Hardening: sign-in throttling, the Content Security Policy, CSRF on bulk actions, upload limits."""

import uuid

import pytest
from django.conf import settings as django_settings

from core.middleware import _throttle_cache, _throttle_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    # A name of its own: with REDIS_URL the counter lives in a Redis other test runs share.
    username = f"manager-{uuid.uuid4().hex[:8]}"
    user = django_user_model.objects.create_user(username=username, password="right-password", is_staff=True)
    yield user
    for ip in ("127.0.0.1", "203.0.113.7", "198.51.100.9"):
        _throttle_cache().delete(_throttle_key(username, ip))


def sign_in(client, username, password, **extra):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def test_the_limit_of_failures_locks_out_even_the_right_password(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(5):
        assert sign_in(client, staff.username, "wrong").status_code == 200  # the form again, with its error
    response = sign_in(client, staff.username, "right-password")
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    assert response["Retry-After"] == str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    assert "_auth_user_id" not in client.session


def test_one_failure_fewer_than_the_limit_still_signs_in(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    for _ in range(4):
        sign_in(client, staff.username, "wrong")
    assert sign_in(client, staff.username, "right-password").status_code == 302


def test_a_successful_sign_in_clears_the_failures(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        sign_in(client, staff.username, "wrong")
    assert sign_in(client, staff.username, "right-password").status_code == 302
    client.logout()
    for _ in range(2):
        sign_in(client, staff.username, "wrong")
    assert sign_in(client, staff.username, "right-password").status_code == 302


def test_the_lockout_is_per_address(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(client, staff.username, "wrong", REMOTE_ADDR="203.0.113.7")
    assert sign_in(client, staff.username, "right-password", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert sign_in(client, staff.username, "right-password", REMOTE_ADDR="198.51.100.9").status_code == 302


def test_the_username_is_matched_without_case(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        sign_in(client, staff.username.upper(), "wrong")
    assert sign_in(client, staff.username, "right-password").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may prepend anything; our one proxy appended the address it saw, the last one.
    forwarded = {"HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"}
    for _ in range(2):
        sign_in(client, staff.username, "wrong", **forwarded)
    assert sign_in(client, staff.username, "right-password", **forwarded).status_code == 429
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 198.51.100.9"}
    assert sign_in(client, staff.username, "right-password", **spoofed).status_code == 302


def test_a_broken_throttle_cache_does_not_stop_sign_in(client, staff, monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise ConnectionError("redis is down")

    monkeypatch.setattr("core.middleware._throttle_cache", lambda: Broken())
    assert sign_in(client, staff.username, "wrong").status_code == 200
    assert sign_in(client, staff.username, "right-password").status_code == 302


# ---- Content Security Policy


def test_every_page_carries_the_content_security_policy(client):
    for url in ("/admin/login/", "/healthz"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "connect-src 'self'" in policy


def test_the_policy_lets_the_youtube_connect_form_reach_googles_consent_page(client):
    assert (
        "form-action 'self' https://accounts.google.com"
        in client.get("/admin/login/")["Content-Security-Policy"]
    )


def test_the_nonce_in_the_header_is_the_one_the_templates_get(rf):
    from django.http import HttpResponse
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.template import engines

    request = rf.get("/")
    middleware = ContentSecurityPolicyMiddleware(lambda request: None)
    middleware.process_request(request)
    template = engines["django"].from_string("<script {% csp_nonce_attr %}>1</script>{{ csp_nonce }}")
    html = template.render({}, request)
    response = middleware.process_response(request, HttpResponse(html))
    nonce = str(request._csp_nonce)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert f'nonce="{nonce}"' in html


# ---- CSRF on bulk admin actions (Django's default, kept)


def test_a_bulk_admin_action_without_a_csrf_token_is_refused(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(
        "/admin/videos/video/", {"action": "bulk_edit", "_selected_action": ["x"], "select_across": "1"}
    )
    assert response.status_code == 403


# ---- limits


def test_request_bodies_are_limited():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2621440
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000


def test_a_form_body_over_the_limit_is_refused(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/admin/login/", {"username": "x" * 2048, "password": "y"})
    assert response.status_code == 400
