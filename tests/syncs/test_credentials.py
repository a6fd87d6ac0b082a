"""Credentials: encrypted at rest, rotated, connected headless, by service account and by OAuth consent."""

import io
import json
import logging
import sys
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from core.fields import SecretDecryptionError, key_ring
from syncs.models import ApiCall, YouTubeCredential
from syncs.services.pull import videos_pull
from syncs.youtube.errors import NeedsReauthorisation, PermanentError
from syncs.youtube.gateway import YouTubeSession

from .conftest import (
    ACCOUNT_A,
    API_KEY,
    CLIENT_SECRET,
    REFRESH_TOKEN_A,
    api_requests,
)

pytestmark = pytest.mark.django_db


def _raw(column: str, owner_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM syncs_youtubecredential WHERE owner_id = %s", [owner_id])
        return cursor.fetchone()[0]


# ---------------------------------------------------------------------- at rest


def test_tokens_are_encrypted_in_the_database(emulator, owner_a, connect):
    connect(owner_a)
    session = YouTubeSession.for_owner(owner_a)
    session.execute(session.youtube.channels().list(part="id", managedByMe=True, **session.owner_params()))
    credential = YouTubeCredential.objects.get(owner=owner_a)

    raw_refresh, raw_access = _raw("refresh_token", "owner-a"), _raw("access_token", "owner-a")

    assert credential.refresh_token == REFRESH_TOKEN_A and credential.access_token.startswith("ya29.")
    assert REFRESH_TOKEN_A not in raw_refresh and raw_refresh.startswith("gAAAAA")
    assert credential.access_token not in raw_access and raw_access.startswith("gAAAAA")


def test_dumpdata_contains_no_plaintext_token(emulator, owner_a, connect):
    connect(owner_a)
    session = YouTubeSession.for_owner(owner_a)
    session.execute(session.youtube.channels().list(part="id", managedByMe=True, **session.owner_params()))
    access_token = YouTubeCredential.objects.get(owner=owner_a).access_token
    out = io.StringIO()

    # Every app that exists in every branch (reports/ is being built elsewhere).
    call_command("dumpdata", "syncs", "channels_app", "videos", "admin", "auth", stdout=out)

    dump = out.getvalue()
    assert '"model": "syncs.youtubecredential"' in dump
    assert REFRESH_TOKEN_A not in dump
    assert access_token not in dump


def test_a_dump_loads_back_into_the_same_secrets(encryption_key, owner_a, connect, settings, tmp_path):
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = "cid", "secret"
    connect(owner_a)
    dump = tmp_path / "credentials.json"
    call_command("dumpdata", "syncs.youtubecredential", output=str(dump))
    YouTubeCredential.objects.all().delete()

    call_command("loaddata", str(dump), stdout=io.StringIO())

    assert YouTubeCredential.objects.get(owner=owner_a).refresh_token == REFRESH_TOKEN_A


def test_rotate_keys_re_encrypts_with_the_first_key(owner_a, connect, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = "cid", "secret"
    settings.ENCRYPTION_KEYS = [old]
    connect(owner_a)

    settings.ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    assert "Re-encrypted 1 secrets in 1 rows" in out.getvalue()

    settings.ENCRYPTION_KEYS = [old]
    with pytest.raises(SecretDecryptionError):
        YouTubeCredential.objects.get(owner=owner_a)
    settings.ENCRYPTION_KEYS = [new]
    assert YouTubeCredential.objects.get(owner=owner_a).refresh_token == REFRESH_TOKEN_A


def test_rotate_keys_without_the_old_key_changes_nothing(owner_a, connect, settings):
    old = Fernet.generate_key().decode()
    settings.YOUTUBE_CLIENT_ID, settings.YOUTUBE_CLIENT_SECRET = "cid", "secret"
    settings.ENCRYPTION_KEYS = [old]
    connect(owner_a)
    before = _raw("refresh_token", "owner-a")
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_keys", stdout=io.StringIO())

    assert _raw("refresh_token", "owner-a") == before


def test_without_keys_and_debug_off_the_key_ring_refuses_with_how_to_make_one(settings):
    settings.ENCRYPTION_KEYS, settings.DEBUG = [], False

    with pytest.raises(ImproperlyConfigured) as excinfo:
        key_ring()

    assert "Fernet.generate_key().decode()" in str(excinfo.value)


def test_without_keys_even_in_debug_no_key_is_derived_from_secret_key(settings):
    # The settings generate a random key with DEBUG on; a key ring that still finds none refuses
    # instead of deriving one from SECRET_KEY (a public SECRET_KEY would open every token).
    settings.ENCRYPTION_KEYS, settings.DEBUG = [], True

    with pytest.raises(ImproperlyConfigured):
        key_ring()


# ---------------------------------------------------------------------- headless connect


def test_youtube_connect_reads_the_refresh_token_from_stdin_and_verifies(emulator, owner_a, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(REFRESH_TOKEN_A + "\n"))
    out = io.StringIO()

    call_command("youtube_connect", "--owner", "owner-a", "--refresh-token-file", "-", stdout=out)

    assert "Connected owner-a: Google lists 2 channels managed for it." in out.getvalue()
    credential = YouTubeCredential.objects.get(owner=owner_a)
    assert (credential.kind, credential.refresh_token, credential.status) == ("oauth", REFRESH_TOKEN_A, "ok")
    assert credential.last_success_at is not None
    assert REFRESH_TOKEN_A not in out.getvalue()


def test_youtube_connect_reads_a_file_and_reports_a_revoked_token(emulator, owner_a, tmp_path):
    emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)
    token_file = tmp_path / "token"
    token_file.write_text(REFRESH_TOKEN_A)

    with pytest.raises(CommandError, match="Reconnect this content owner"):
        call_command(
            "youtube_connect",
            "--owner",
            "owner-a",
            "--refresh-token-file",
            str(token_file),
            stdout=io.StringIO(),
        )

    assert YouTubeCredential.objects.get(owner=owner_a).needs_reauthorisation


def test_youtube_connect_takes_no_secret_on_the_command_line(emulator, owner_a):
    with pytest.raises(CommandError):
        call_command("youtube_connect", "--owner", "owner-a", "--refresh-token", REFRESH_TOKEN_A)


def test_youtube_connect_refuses_an_unknown_owner(emulator, db):
    with pytest.raises(CommandError, match="No content owner 'nope'"):
        call_command("youtube_connect", "--owner", "nope", "--refresh-token-file", "-")


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _service_account(emulator, key) -> dict:
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    email = "ytcms@label-a-project.iam.gserviceaccount.com"
    emulator.state.load(
        {
            "serviceAccounts": [
                {
                    "clientEmail": email,
                    "publicKeyPem": public_pem,
                    "keyId": "k1",
                    "contentOwners": ["owner-a"],
                }
            ]
        }
    )
    return {
        "type": "service_account",
        "project_id": "label-a-project",
        "private_key_id": "k1",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "client_email": email,
        "client_id": "1234567890",
        # What Google's key file says; ytcms points it at YOUTUBE_TOKEN_URI instead.
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def test_service_account_connects_and_reads_content_id(emulator, owner_a, rsa_key, monkeypatch):
    key = _service_account(emulator, rsa_key)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(key)))
    out = io.StringIO()

    call_command("youtube_connect", "--owner", "owner-a", "--service-account-file", "-", stdout=out)

    assert "Connected owner-a" in out.getvalue()
    credential = YouTubeCredential.objects.get(owner=owner_a)
    assert (credential.kind, credential.account) == ("service_account", key["client_email"])
    assert "PRIVATE KEY" not in _raw("service_account_key", "owner-a")
    token_call = emulator.state.requests(operation="oauth.token")[0]
    assert token_call["body"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"

    session = YouTubeSession.for_owner(owner_a)
    policies = session.execute(session.partner.policies().list(**session.owner_params()))

    assert [p["id"] for p in policies["items"]] == ["P-monetize"]
    assert session.project == "label-a-project"
    assert len(emulator.state.requests(operation="oauth.token")) == 1  # the stored token was reused


def test_a_key_file_that_is_not_a_service_account_is_refused(emulator, owner_a, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"type": "authorized_user"}'))

    with pytest.raises(CommandError, match="not a service-account key"):
        call_command("youtube_connect", "--owner", "owner-a", "--service-account-file", "-")


# ---------------------------------------------------------------------- OAuth consent in the admin


@pytest.fixture
def redirect_uri(emulator, settings):
    # A development set-up: the site on 127.0.0.1, where oauthlib may use plain http.
    settings.YOUTUBE_OAUTH_REDIRECT_URI = "http://127.0.0.1:8000/oauth/youtube/callback/"
    return settings.YOUTUBE_OAUTH_REDIRECT_URI


def _follow_consent(location: str) -> str:
    """What the browser does at Google: the emulator consents and redirects back; return that URL."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())
    try:
        opener.open(location, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 302, error.read()
        return error.headers["Location"]
    raise AssertionError("the consent page did not redirect")


def test_oauth_connect_flow_end_to_end(emulator, redirect_uri, owner_a, alice, client):
    client.force_login(alice)
    page = client.get(reverse("admin:channels_app_contentowner_change", args=["owner-a"])).content.decode()
    assert "Connect YouTube" in page

    start = client.post(reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"]))

    assert start.status_code == 302
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(emulator.url + "/o/oauth2/auth?")
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert set(query["scope"][0].split()) == {
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/youtubepartner",
        "https://www.googleapis.com/auth/yt-analytics.readonly",
    }
    back = urlsplit(_follow_consent(start["Location"]))
    assert back.path == reverse("youtube_oauth_callback")

    done = client.get(f"{back.path}?{back.query}", follow=True)

    assert "Connected to YouTube: Google lists 2 channels managed for Label A." in done.content.decode()
    credential = YouTubeCredential.objects.get(owner=owner_a)
    assert credential.kind == "oauth" and credential.refresh_token.startswith("1//")
    assert credential.connected_by == alice
    token_call = emulator.state.requests(operation="oauth.token")[0]
    assert token_call["body"]["grant_type"] == "authorization_code"
    assert token_call["body"]["code_verifier"]
    assert "Reconnect YouTube" in done.content.decode()


def test_oauth_callback_with_a_forged_state_stores_nothing(emulator, redirect_uri, owner_a, alice, client):
    client.force_login(alice)
    start = client.post(reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"]))
    back = urlsplit(_follow_consent(start["Location"]))
    forged = back.query.replace("state=", "state=forged")

    done = client.get(f"{back.path}?{forged}", follow=True)

    assert "did not match this connection attempt" in done.content.decode()
    assert not YouTubeCredential.objects.exists()
    assert emulator.state.requests(operation="oauth.token") == []


def test_a_refused_authorisation_code_stores_nothing(emulator, redirect_uri, owner_a, alice, client):
    client.force_login(alice)
    start = client.post(reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"]))
    back = urlsplit(_follow_consent(start["Location"]))
    wrong_code = back.query.replace("code=", "code=wrong")

    done = client.get(f"{back.path}?{wrong_code}", follow=True)

    assert (
        "Google refused the authorisation code (invalid_grant); nothing was stored." in done.content.decode()
    )
    assert not YouTubeCredential.objects.exists()


def test_denied_consent_stores_nothing(emulator, redirect_uri, owner_a, alice, client):
    emulator.state.configure(authorizeDecision="deny")
    client.force_login(alice)
    start = client.post(reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"]))
    back = urlsplit(_follow_consent(start["Location"]))

    done = client.get(f"{back.path}?{back.query}", follow=True)

    assert "Google did not grant access (access_denied)" in done.content.decode()
    assert not YouTubeCredential.objects.exists()


def test_only_a_manager_of_the_owner_may_connect_it(emulator, owner_a, owner_b, bob, charlie, client):
    url = reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"])
    client.force_login(bob)  # a viewer of one of A's channels
    assert client.post(url).status_code == 403
    assert (
        "Connect YouTube"
        not in client.get(
            reverse("admin:channels_app_contentowner_change", args=["owner-a"])
        ).content.decode()
    )
    client.force_login(charlie)  # manages B, sees nothing of A
    assert client.post(url).status_code == 404


def test_the_owner_page_shows_kind_status_last_success_and_last_error(
    emulator, owner_a, alice, connect, client
):
    connect(owner_a)
    session = YouTubeSession.for_owner(owner_a)
    session.execute(session.youtube.channels().list(part="id", managedByMe=True, **session.owner_params()))
    emulator.state.revoke_refresh_token(REFRESH_TOKEN_A)
    emulator.state.expire_access_tokens()
    with pytest.raises(NeedsReauthorisation):
        YouTubeSession.for_owner(owner_a).execute(
            session.youtube.channels().list(part="id", managedByMe=True, **session.owner_params())
        )
    client.force_login(alice)

    page = client.get(reverse("admin:channels_app_contentowner_change", args=["owner-a"])).content.decode()
    listing = client.get(reverse("admin:channels_app_contentowner_changelist")).content.decode()

    assert "OAuth (a CMS user&#x27;s consent)" in page
    assert "Reconnect this content owner: Google says the authorisation was revoked or expired." in page
    assert "Last successful call: 20" in page
    assert "Needs re-authorisation" in listing


# ---------------------------------------------------------------------- secrets never logged


def test_no_token_or_secret_appears_in_logs_or_call_records(
    emulator, catalogue, owner_a, settings, caplog, monkeypatch
):
    settings.YOUTUBE_API_KEY = API_KEY
    monkeypatch.setattr(sys, "stdin", io.StringIO(REFRESH_TOKEN_A))
    with caplog.at_level(logging.DEBUG):
        call_command(
            "youtube_connect", "--owner", "owner-a", "--refresh-token-file", "-", stdout=io.StringIO()
        )
        emulator.state.expire_access_tokens()
        emulator.state.fail_next(503)
        call_command("youtube_pull", "--owner", "owner-a", stdout=io.StringIO())
        YouTubeCredential.objects.all().delete()  # the channel's owner: the API key reads it now
        videos_pull(video_ids=["a1song00001"])
        emulator.state.fail_next({"status": 400, "reason": "invalidTitle"})
        with pytest.raises(PermanentError):
            videos_pull(video_ids=["a1song00001"])

    access_tokens = list(emulator.state.access_tokens)
    secrets = [REFRESH_TOKEN_A, CLIENT_SECRET, API_KEY, *access_tokens]
    assert len(access_tokens) >= 2 and any(r["params"].get("key") for r in api_requests(emulator))
    logged = caplog.text + "".join(repr(record.__dict__) for record in caplog.records)
    calls = repr(list(ApiCall.objects.values()))
    for secret in secrets:
        assert secret not in logged
        assert secret not in calls
    assert ApiCall.objects.filter(outcome="ok").count() >= 3
    assert ACCOUNT_A not in calls


def test_plain_http_outside_this_machine_is_refused_with_a_message(
    emulator, owner_a, alice, client, settings
):
    settings.YOUTUBE_OAUTH_REDIRECT_URI = "http://ytcms.example.com/oauth/youtube/callback/"
    client.force_login(alice)

    response = client.post(
        reverse("admin:channels_app_contentowner_youtube_connect", args=["owner-a"]), follow=True
    )

    assert "OAuth needs https" in response.content.decode()
    assert emulator.state.requests() == []


@pytest.mark.parametrize("name", ["youtube_connect", "youtube_pull_reports"])
def test_the_owner_buttons_answer_only_a_post_in_scope(name, owner_a, owner_b, alice, client):
    client.force_login(alice)
    url_name = f"admin:channels_app_contentowner_{name}"
    assert client.get(reverse(url_name, args=["owner-a"])).status_code == 405
    assert client.post(reverse(url_name, args=["owner-b"])).status_code == 404  # not alice's
