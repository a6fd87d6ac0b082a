"""OAuth: refresh, expiry and refresh-on-401, invalid_grant, the consent flow with PKCE, service accounts."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import google.auth.transport.requests
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account

from .conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    access_token,
    http,
    partner,
    user_credentials,
    youtube,
)

PARTNER_SCOPE = "https://www.googleapis.com/auth/youtubepartner"


def _refresh(server, **fields):
    form = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "1//alice",
        **fields,
    }
    return http("POST", server.token_uri, form=form)


def test_refresh_answers_an_access_token_without_a_refresh_token(server):
    status, _, body = _refresh(server)

    assert status == 200
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599


def test_unknown_refresh_token_is_invalid_grant(server):
    status, _, body = _refresh(server, refresh_token="1//nobody")

    assert status == 400
    assert body == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def test_wrong_client_secret_is_invalid_client(server):
    status, _, body = _refresh(server, client_secret="wrong")

    assert status == 401 and body["error"] == "invalid_client"


def test_google_auth_refresh_keeps_the_refresh_token(server):
    credentials = user_credentials(server)

    credentials.refresh(google.auth.transport.requests.Request())

    assert credentials.token.startswith("ya29.")
    assert credentials.refresh_token == "1//alice"
    assert credentials.expiry is not None


def test_expired_access_token_is_401_and_the_client_refreshes_on_it(server):
    stale = access_token(server)
    server.state.clock.advance(3600)
    client = youtube(server, user_credentials(server, token=stale))

    answer = client.videos().list(part="id", id="vApublic001").execute()

    assert [item["id"] for item in answer["items"]] == ["vApublic001"]
    log = server.state.requests()
    assert [(e["operation"], e["status"]) for e in log] == [
        ("youtube.videos.list", 401),
        ("oauth.token", 200),
        ("youtube.videos.list", 200),
    ]
    assert log[0]["reason"] == "authError"


def test_expired_token_answer_has_googles_body(server):
    stale = access_token(server, lifetime=0)

    status, _, body = http(
        "GET",
        f"{server.url}/youtube/v3/videos?part=id&id=vApublic001",
        headers={"Authorization": f"Bearer {stale}"},
    )

    assert status == 401
    error = body["error"]
    assert error["status"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Request had invalid authentication credentials.")
    assert error["errors"] == [
        {
            "message": "Invalid Credentials",
            "domain": "global",
            "reason": "authError",
            "location": "Authorization",
            "locationType": "header",
        }
    ]


def test_revoked_refresh_token_raises_refresh_error(server):
    status, _, _ = http(
        "POST", f"{server.url}/_emulator/oauth/revoke", json_body={"refreshToken": "1//alice"}
    )
    credentials = user_credentials(server)

    with pytest.raises(RefreshError) as excinfo:
        youtube(server, credentials).videos().list(part="id", id="vApublic001").execute()

    assert status == 200
    assert "invalid_grant" in str(excinfo.value)
    assert excinfo.value.retryable is False


def test_short_token_lifetime_makes_google_auth_refresh_every_call(server):
    server.state.configure(accessTokenLifetime=60)  # under google-auth's 3 min 45 s refresh threshold
    client = youtube(server)

    client.videos().list(part="id", id="vApublic001").execute()
    client.videos().list(part="id", id="vApublic001").execute()

    assert len(server.state.requests(operation="oauth.token")) == 2


def _pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def _authorize(server, **overrides):
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": f"{PARTNER_SCOPE} https://www.googleapis.com/auth/youtube.force-ssl",
        "state": "xyz",
        "access_type": "offline",
        "login_hint": "alice@example.com",
        **overrides,
    }
    status, headers, _ = http(
        "GET", f"{server.url}/o/oauth2/auth?{urlencode(params)}", follow_redirects=False
    )
    return status, headers


def test_first_consent_with_pkce_gives_access_and_refresh_tokens(server):
    server.state.load({"accounts": [{"id": "dana@example.com", "contentOwners": ["owner-a"]}]})
    verifier, challenge = _pkce_pair()

    status, headers = _authorize(
        server, code_challenge=challenge, code_challenge_method="S256", login_hint="dana@example.com"
    )
    location = urlsplit(headers["Location"])
    query = parse_qs(location.query)
    _, _, tokens = http(
        "POST",
        server.token_uri,
        form={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )

    assert status == 302
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    assert query["state"] == ["xyz"]
    assert {"access_token", "refresh_token", "expires_in", "scope", "token_type"} <= set(tokens)
    owners = (
        partner(server, user_credentials(server, tokens["refresh_token"]))
        .contentOwners()
        .list(fetchMine=True)
        .execute()
    )
    assert [o["id"] for o in owners["items"]] == ["owner-a"]


def test_wrong_code_verifier_is_invalid_grant(server):
    _, challenge = _pkce_pair()
    _, headers = _authorize(server, code_challenge=challenge, code_challenge_method="S256")
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]

    status, _, body = http(
        "POST",
        server.token_uri,
        form={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code_verifier": "not-the-verifier",
        },
    )

    assert status == 400 and body == {"error": "invalid_grant", "error_description": "Invalid code verifier."}


def test_authorization_code_works_once(server):
    code = server.state.issue_authorization_code(
        client_id=CLIENT_ID, redirect_uri=REDIRECT_URI, account="alice@example.com"
    )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }

    first, _, _ = http("POST", server.token_uri, form=form)
    second, _, body = http("POST", server.token_uri, form=form)

    assert (first, second) == (200, 400) and body["error"] == "invalid_grant"


def test_second_consent_without_prompt_consent_gives_no_refresh_token(server):
    def exchange(**overrides):
        _, headers = _authorize(server, **overrides)
        code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
        return http(
            "POST",
            server.token_uri,
            form={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )[2]

    # alice already granted this client (her seeded refresh token)
    assert "refresh_token" not in exchange()
    assert "refresh_token" in exchange(prompt="consent")


def test_unregistered_redirect_uri_is_refused_without_redirect(server):
    status, headers = _authorize(server, redirect_uri="https://evil.example/cb")

    assert status == 400 and "Location" not in headers


def test_denied_consent_redirects_with_access_denied(server):
    server.state.configure(authorizeDecision="deny")

    status, headers = _authorize(server)

    assert status == 302 and parse_qs(urlsplit(headers["Location"]).query) == {
        "error": ["access_denied"],
        "state": ["xyz"],
    }


def _service_account_info(server, key):
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "reporter@sa-project.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": server.token_uri,
    }


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_service_account_jwt_gets_a_token_and_calls_content_id(server, rsa_key):
    public_pem = (
        rsa_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    server.state.load(
        {
            "serviceAccounts": [
                {
                    "clientEmail": "reporter@sa-project.iam.gserviceaccount.com",
                    "publicKeyPem": public_pem,
                    "keyId": "key-1",
                    "contentOwners": ["owner-a"],
                }
            ]
        }
    )
    credentials = service_account.Credentials.from_service_account_info(
        _service_account_info(server, rsa_key), scopes=[PARTNER_SCOPE]
    )

    owners = partner(server, credentials).contentOwners().list(fetchMine=True).execute()

    assert [o["id"] for o in owners["items"]] == ["owner-a"]
    token_call = server.state.requests(operation="oauth.token")[0]
    assert token_call["body"]["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert server.state.quota_used("sa-project", api="youtubePartner") == 1


def test_service_account_signed_with_an_unknown_key_is_refused(server, rsa_key):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        other.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    server.state.load(
        {
            "serviceAccounts": [
                {"clientEmail": "reporter@sa-project.iam.gserviceaccount.com", "publicKeyPem": public_pem}
            ]
        }
    )
    credentials = service_account.Credentials.from_service_account_info(
        _service_account_info(server, rsa_key), scopes=[PARTNER_SCOPE]
    )

    with pytest.raises(RefreshError) as excinfo:
        credentials.refresh(google.auth.transport.requests.Request())

    assert "Invalid JWT Signature." in str(excinfo.value)
