"""API tokens: stored hashed, shown once, revocable, expiring; managed in the admin."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import serializers
from django.utils import timezone
from rest_framework.test import APIClient

from channels_app.authentication import api_token_create, api_tokens_revoke
from channels_app.models import ApiToken
from tests.api.conftest import client_with_token, error_codes

pytestmark = pytest.mark.django_db

VIDEOS = "/api/v1/videos/"


def test_the_database_keeps_only_the_hash_and_a_prefix(alice):
    token, key = api_token_create(user=alice, name="BI export")
    assert key.startswith("ytc_") and len(key) == 4 + 43
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.prefix == key[:12]
    dumped = serializers.serialize("json", ApiToken.objects.all())
    assert key not in dumped and key[12:] not in dumped


def test_each_token_gets_its_own_key(alice):
    keys = {api_token_create(user=alice, name=f"t{n}")[1] for n in range(5)}
    assert len(keys) == 5


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_token_authenticates_with_either_keyword(catalogue, alice, keyword):
    _, key = api_token_create(user=alice, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    assert client.get(VIDEOS).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Bearer ytc_notarealtoken", "Bearer", "Bearer a b", "Token " + "x" * 47],
)
def test_a_wrong_or_malformed_token_is_401(catalogue, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(VIDEOS)
    assert response.status_code == 401
    assert error_codes(response) in ([(None, "invalid_token")],)


def test_a_key_with_a_known_prefix_but_a_wrong_secret_is_401(catalogue, alice):
    _, key = api_token_create(user=alice, name="script")
    forged = key[:12] + ("A" if key[12] != "A" else "B") + key[13:]
    assert client_with_token(forged).get(VIDEOS).status_code == 401


def test_an_expired_token_is_refused(catalogue, alice):
    _, key = api_token_create(user=alice, name="old", expires_at=timezone.now() - timedelta(seconds=1))
    response = client_with_token(key).get(VIDEOS)
    assert response.status_code == 401
    assert error_codes(response) == [(None, "token_expired")]


def test_a_token_works_until_its_expiry(catalogue, alice):
    _, key = api_token_create(user=alice, name="soon", expires_at=timezone.now() + timedelta(minutes=5))
    assert client_with_token(key).get(VIDEOS).status_code == 200


def test_a_revoked_token_stops_working_at_once(catalogue, alice):
    token, key = api_token_create(user=alice, name="leaked")
    client = client_with_token(key)
    assert client.get(VIDEOS).status_code == 200
    assert api_tokens_revoke(tokens=[token], user=alice) == 1
    response = client.get(VIDEOS)
    assert response.status_code == 401
    assert error_codes(response) == [(None, "token_revoked")]


def test_the_token_of_a_deactivated_user_is_refused(catalogue, alice):
    _, key = api_token_create(user=alice, name="script")
    alice.is_active = False
    alice.save()
    assert client_with_token(key).get(VIDEOS).status_code == 401


def test_use_is_recorded(catalogue, alice):
    token, key = api_token_create(user=alice, name="script")
    assert token.last_used is None
    client_with_token(key).get(VIDEOS)
    token.refresh_from_db()
    assert token.last_used is not None


def test_the_browsable_api_works_with_the_admin_session(catalogue, client, alice):
    client.force_login(alice)
    response = client.get(VIDEOS, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Midnight Song" in response.content
    detail = client.get(f"{VIDEOS}a1song00001/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200 and b"Midnight Song" in detail.content


def test_a_session_write_needs_the_csrf_token(catalogue, alice):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    response = browser.patch(f"{VIDEOS}a1song00001/", {"notes": "x"}, content_type="application/json")
    assert response.status_code == 403


# ----------------------------------------------------------------------------- admin

ADMIN = "/admin/channels_app/apitoken/"


# Creating a token in the admin and seeing its key once: tests/api/test_token_admin_key.py.


def test_users_see_only_their_own_tokens_in_the_admin(catalogue, client, alice, bob, root):
    alice_token, _ = api_token_create(user=alice, name="alice's script")
    bob_token, _ = api_token_create(user=bob, name="bob's script")
    client.force_login(bob)
    listing = client.get(ADMIN).content.decode()
    assert "bob&#x27;s script" in listing and "alice" not in listing
    assert client.get(f"{ADMIN}{alice_token.pk}/change/").status_code in (302, 404)
    client.force_login(root)
    listing = client.get(ADMIN).content.decode()
    assert "bob&#x27;s script" in listing and "alice&#x27;s script" in listing


def test_the_admin_revoke_action_revokes_only_the_users_own_tokens(catalogue, client, alice, bob):
    alice_token, alice_key = api_token_create(user=alice, name="alice's script")
    bob_token, _ = api_token_create(user=bob, name="bob's script")
    client.force_login(bob)
    client.post(ADMIN, {"action": "revoke", "_selected_action": [alice_token.pk, bob_token.pk]})
    alice_token.refresh_from_db()
    bob_token.refresh_from_db()
    assert bob_token.revoked_at is not None
    assert alice_token.revoked_at is None
    assert client_with_token(alice_key).get(VIDEOS).status_code == 200


def test_the_admin_add_page_offers_the_user_field_to_superusers_only(client, bob, root):
    client.force_login(bob)
    page = client.get(f"{ADMIN}add/").content.decode()
    assert 'name="name"' in page and 'name="user"' not in page
    client.force_login(root)
    assert 'name="user"' in client.get(f"{ADMIN}add/").content.decode()


def test_a_superuser_may_make_a_token_for_another_account(catalogue, client, root, alice):
    client.force_login(root)
    page = client.get(f"{ADMIN}add/").content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    client.post(
        f"{ADMIN}add/",
        {**hidden, "user": alice.pk, "name": "integration", "expires_at_0": "", "expires_at_1": ""},
    )
    assert ApiToken.objects.get(name="integration").user == alice
