"""One emulator per test module, reset and seeded before each test; clients are the real Google ones."""

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build, build_from_document

from devtools.youtube_emulator import EmulatorServer

REPO = Path(__file__).resolve().parents[3]
SAMPLE_CSV = (
    "video_id,channel_id,claim_id,asset_id,custom_id,category,video_title,video_privacy_status,video_length\n"
    "vApublic001,UCownerA1xxxxxxxxxxxxxxx,C1,A1,LBL-1,10,Mañana — 東京 Live,public,241\n"
    "vAprivate01,UCownerA1xxxxxxxxxxxxxxx,,,,10,Demo,private,59\n"
)
CLIENT_ID = "client-1.apps.googleusercontent.com"
CLIENT_SECRET = "secret-1"
PROJECT = "project-1"
KEY = "AIza-test-key"
KEY_PROJECT = "project-key"
REDIRECT_URI = "http://127.0.0.1:8000/oauth/callback"
CHANNEL_A1 = "UCownerA1xxxxxxxxxxxxxxx"
CHANNEL_A2 = "UCownerA2xxxxxxxxxxxxxxx"
CHANNEL_B1 = "UCownerB1xxxxxxxxxxxxxxx"
CHANNEL_CREATOR = "UCcreatorxxxxxxxxxxxxxxx"


# The Content ID discovery document the library does not ship; vendored beside our client.
PARTNER_DOCUMENT = REPO / "syncs" / "youtube" / "youtubePartner.v1.json"


def partner_document() -> dict:
    return json.loads(PARTNER_DOCUMENT.read_text())


def seed() -> dict:
    return {
        "contentOwners": [
            {"id": "owner-a", "displayName": "Label A"},
            {"id": "owner-b", "displayName": "Label B"},
        ],
        "accounts": [
            {"id": "alice@example.com", "contentOwners": ["owner-a"]},
            {"id": "charlie@example.com", "contentOwners": ["owner-b"]},
            {"id": "multi@example.com", "contentOwners": ["owner-a", "owner-b"]},
            {"id": "creator@example.com", "channels": [CHANNEL_CREATOR]},
        ],
        "oauthClients": [
            {
                "clientId": CLIENT_ID,
                "clientSecret": CLIENT_SECRET,
                "project": PROJECT,
                "redirectUris": [REDIRECT_URI],
            }
        ],
        "apiKeys": [{"key": KEY, "project": KEY_PROJECT}],
        "refreshTokens": [
            {"token": "1//alice", "clientId": CLIENT_ID, "account": "alice@example.com"},
            {"token": "1//charlie", "clientId": CLIENT_ID, "account": "charlie@example.com"},
            {"token": "1//multi", "clientId": CLIENT_ID, "account": "multi@example.com"},
            {"token": "1//creator", "clientId": CLIENT_ID, "account": "creator@example.com"},
        ],
        "channels": [
            {
                "id": CHANNEL_A1,
                "contentOwner": "owner-a",
                "snippet": {"title": "A One", "customUrl": "@aone"},
            },
            {"id": CHANNEL_A2, "contentOwner": "owner-a", "snippet": {"title": "A Two"}},
            {"id": CHANNEL_B1, "contentOwner": "owner-b", "snippet": {"title": "B One"}},
            {"id": CHANNEL_CREATOR, "snippet": {"title": "Creator"}},
        ],
        "videos": [
            {
                "id": "vApublic001",
                "snippet": {
                    "channelId": CHANNEL_A1,
                    "title": "Midnight Song",
                    "description": "About the song",
                    "tags": ["night", "live session"],
                    "categoryId": "10",
                    "defaultLanguage": "en",
                },
                "status": {"privacyStatus": "public", "license": "creativeCommon", "embeddable": False},
                "statistics": {
                    "viewCount": "1200",
                    "likeCount": "30",
                    "favoriteCount": "0",
                    "commentCount": "4",
                },
            },
            {
                "id": "vAprivate01",
                "snippet": {"channelId": CHANNEL_A1, "title": "Secret Demo", "categoryId": "10"},
                "status": {"privacyStatus": "private"},
            },
            {
                "id": "vAunlisted1",
                "snippet": {"channelId": CHANNEL_A2, "title": "Unlisted Cut", "categoryId": "10"},
                "status": {"privacyStatus": "unlisted"},
            },
            {
                "id": "vBpublic001",
                "snippet": {"channelId": CHANNEL_B1, "title": "B Song", "categoryId": "10"},
                "status": {"privacyStatus": "public"},
            },
            {
                "id": "vCreator001",
                "snippet": {"channelId": CHANNEL_CREATOR, "title": "Vlog", "categoryId": "22"},
                "status": {"privacyStatus": "private"},
            },
        ],
        "assets": [
            {
                "id": "A1",
                "contentOwner": "owner-a",
                "type": "music_video",
                "metadata": {"title": "Midnight Song"},
            },
            {"id": "A2", "contentOwner": "owner-a", "type": "web", "metadata": {"title": "Secret Demo"}},
            {"id": "B1", "contentOwner": "owner-b", "type": "web"},
        ],
        "policies": [
            {
                "id": "P-monetize",
                "contentOwner": "owner-a",
                "name": "Monetize everywhere",
                "rules": [{"action": "monetize"}],
            },
            {"id": "P-track", "contentOwner": "owner-a", "name": "Track", "rules": [{"action": "track"}]},
            {"id": "P-b", "contentOwner": "owner-b", "name": "B block", "rules": [{"action": "block"}]},
        ],
        "reportJobs": [
            {
                "id": "job-a4",
                "contentOwner": "owner-a",
                "reportTypeId": "content_owner_video_metadata_a4",
                "name": "System-Managed Job - content_owner_video_metadata_a4",
                "systemManaged": True,
                "createTime": "2026-01-01T00:00:00Z",
            },
            {
                "id": "job-b4",
                "contentOwner": "owner-b",
                "reportTypeId": "content_owner_video_metadata_a4",
                "systemManaged": True,
            },
        ],
        "reports": [
            {
                "id": "r-old",
                "jobId": "job-a4",
                "startTime": "2026-11-24T08:00:00Z",
                "endTime": "2026-11-25T08:00:00Z",
                "createTime": "2026-11-25T12:00:00Z",
                "csv": "video_id\nold\n",
            },
            {
                "id": "r-new",
                "jobId": "job-a4",
                "startTime": "2026-11-25T08:00:00Z",
                "endTime": "2026-11-26T08:00:00Z",
                "createTime": "2026-11-26T12:00:00Z",
                "csv": SAMPLE_CSV,
            },
            {"id": "r-b", "jobId": "job-b4", "csv": "video_id\nvBpublic001\n"},
        ],
    }


@pytest.fixture(scope="module")
def emulator():
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def server(emulator):
    emulator.state.reset()
    emulator.state.load(seed())
    return emulator


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch):
    # googleapiclient backs off for seconds between retries; the emulator answers at once.
    monkeypatch.setattr("googleapiclient.http.time.sleep", lambda seconds: None)


def user_credentials(server, refresh_token="1//alice", token=None, **extra) -> Credentials:
    return Credentials(
        token=token,
        refresh_token=refresh_token,
        token_uri=server.token_uri,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        **extra,
    )


def youtube(server, credentials=None, *, key=None):
    if credentials is None and key is None:
        credentials = user_credentials(server)
    return build(
        "youtube",
        "v3",
        static_discovery=True,
        credentials=credentials,
        developerKey=key,
        client_options={"api_endpoint": server.url + "/"},
    )


def partner(server, credentials=None):
    return build_from_document(
        partner_document(),
        credentials=credentials or user_credentials(server),
        client_options={"api_endpoint": server.url + "/"},
    )


def reporting(server, credentials=None):
    return build(
        "youtubereporting",
        "v1",
        static_discovery=True,
        credentials=credentials or user_credentials(server),
        client_options={"api_endpoint": server.url + "/"},
    )


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_NO_REDIRECT_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def http(method, url, *, json_body=None, form=None, data=None, headers=None, follow_redirects=True):
    """Plain HTTP for what the Google clients cannot send; returns (status, headers, parsed JSON or bytes)."""
    headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = _OPENER if follow_redirects else _NO_REDIRECT_OPENER
    try:
        with opener.open(request, timeout=10) as response:
            status, response_headers, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, body = error.code, dict(error.headers), error.read()
    try:
        return status, response_headers, json.loads(body)
    except ValueError:
        return status, response_headers, body


def access_token(server, account="alice@example.com", **kwargs) -> str:
    return server.state.issue_access_token(account=account, client_id=CLIENT_ID, **kwargs)["access_token"]
