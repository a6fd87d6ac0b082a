"""google-auth credentials built from a stored YouTubeCredential, and what to persist after a call.

google-auth does the refreshing (it keeps the refresh token when the answer has none,
docs/youtube.md#oauth); ytcms only stores what comes out.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import google.oauth2.credentials
from django.conf import settings
from google.oauth2 import service_account

from syncs.models import YouTubeCredential
from syncs.youtube.errors import PermanentError

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
# Read and edit videos (videos.update lists youtube.force-ssl), Content ID (youtubepartner is
# required by it), and the Reporting API's reports (docs/youtube.md#oauth).
SCOPES = [
    SCOPE_PREFIX + "youtube.force-ssl",
    SCOPE_PREFIX + "youtubepartner",
    SCOPE_PREFIX + "yt-analytics.readonly",
]


def _naive_utc(when: datetime | None) -> datetime | None:
    # google-auth compares expiry with a naive UTC "now".
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None)


def _aware_utc(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def service_account_info(key_json: str) -> dict:
    """The key file's JSON, checked, with token_uri pointed at YOUTUBE_TOKEN_URI."""
    try:
        info = json.loads(key_json)
    except ValueError:
        raise ValueError("The service-account key is not JSON.") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError('The key file is not a service-account key ("type": "service_account").')
    missing = [name for name in ("client_email", "private_key", "project_id") if not info.get(name)]
    if missing:
        raise ValueError(f"The service-account key lacks {', '.join(missing)}.")
    return {**info, "token_uri": settings.YOUTUBE_TOKEN_URI}


def google_credentials(credential: YouTubeCredential):
    """The google-auth credentials for a stored credential, with its current access token."""
    if credential.kind == YouTubeCredential.Kind.SERVICE_ACCOUNT:
        try:
            creds = service_account.Credentials.from_service_account_info(
                service_account_info(credential.service_account_key), scopes=SCOPES
            )
        except ValueError as error:
            raise PermanentError(
                f"The service-account key of {credential.owner_id} is unusable: {error}",
                owner_id=credential.owner_id,
            ) from None
        if credential.access_token:
            creds.token = credential.access_token
            creds.expiry = _naive_utc(credential.access_token_expiry)
        return creds
    if credential.client_id != settings.YOUTUBE_CLIENT_ID or not settings.YOUTUBE_CLIENT_SECRET:
        raise PermanentError(
            f"The credential of {credential.owner_id} was issued to the OAuth client "
            f"{credential.client_id or '(unknown)'}, but YOUTUBE_CLIENT_ID/YOUTUBE_CLIENT_SECRET "
            "name another one or are unset: a refresh token only works with the client that "
            "issued it. Set them back, or reconnect the owner.",
            owner_id=credential.owner_id,
        )
    return google.oauth2.credentials.Credentials(
        token=credential.access_token or None,
        refresh_token=credential.refresh_token,
        token_uri=settings.YOUTUBE_TOKEN_URI,
        client_id=credential.client_id,
        client_secret=settings.YOUTUBE_CLIENT_SECRET,
        scopes=credential.scopes or None,
        expiry=_naive_utc(credential.access_token_expiry),
    )


@dataclass(frozen=True)
class TokenState:
    access_token: str
    expiry: datetime | None
    refresh_token: str

    @classmethod
    def of_credential(cls, credential: YouTubeCredential) -> "TokenState":
        return cls(
            credential.access_token or "",
            _aware_utc(credential.access_token_expiry),
            credential.refresh_token or "",
        )

    @classmethod
    def of_google(cls, creds, *, keep_refresh_token: str) -> "TokenState":
        # Google's refresh answer usually has no refresh_token: keep the one we have.
        refresh_token = getattr(creds, "refresh_token", None) or keep_refresh_token
        return cls(creds.token or "", _aware_utc(creds.expiry), refresh_token)
