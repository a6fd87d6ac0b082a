"""Connecting a content owner to YouTube: store the credential, then prove it with one cheap call."""

import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from channels_app.models import ContentOwner
from syncs.models import YouTubeCredential
from syncs.services.credentials import credential_connect_oauth, credential_connect_service_account
from syncs.youtube.auth import SCOPES, service_account_info
from syncs.youtube.gateway import YouTubeSession
from syncs.youtube.oauth import Grant


def youtube_connect_refresh_token(*, owner: ContentOwner, refresh_token: str, user=None) -> YouTubeCredential:
    """Store a refresh token issued to YOUTUBE_CLIENT_ID (headless set-up)."""
    if not settings.YOUTUBE_CLIENT_ID or not settings.YOUTUBE_CLIENT_SECRET:
        raise ImproperlyConfigured(
            "YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET must be set: a refresh token is used "
            "together with the OAuth client that issued it."
        )
    refresh_token = refresh_token.strip()
    if not refresh_token:
        raise ValueError("The refresh token is empty.")
    # The scopes of a pasted token are unknown; refreshing without `scope` gets all it was granted.
    return credential_connect_oauth(
        owner=owner,
        refresh_token=refresh_token,
        client_id=settings.YOUTUBE_CLIENT_ID,
        scopes=[],
        user=user,
    )


def youtube_connect_oauth_grant(*, owner: ContentOwner, grant: Grant, user=None) -> YouTubeCredential:
    """Store what the consent flow returned."""
    if not grant.refresh_token:
        raise ValueError(
            "Google returned no refresh token. Remove ytcms's access in the Google account's "
            "security settings and connect again."
        )
    return credential_connect_oauth(
        owner=owner,
        refresh_token=grant.refresh_token,
        client_id=settings.YOUTUBE_CLIENT_ID,
        scopes=grant.scopes,
        access_token=grant.access_token,
        expiry=grant.expiry,
        user=user,
    )


def youtube_connect_service_account(*, owner: ContentOwner, key_json: str, user=None) -> YouTubeCredential:
    """Store a service-account key (the JSON file from the Google Cloud console)."""
    info = service_account_info(key_json)  # ValueError when it is not a usable key
    # Stored as given (without our token_uri override): the file is the secret, kept whole.
    return credential_connect_service_account(
        owner=owner,
        key_json=json.dumps(json.loads(key_json)),
        client_email=info["client_email"],
        scopes=SCOPES,
        user=user,
    )


def missing_scopes(credential: YouTubeCredential) -> list[str]:
    """Scopes ytcms asks for that the grant lacks (people can untick them on the consent screen)."""
    if not credential.scopes:
        return []
    return [scope for scope in SCOPES if scope not in credential.scopes]


def youtube_connect_verify(*, owner: ContentOwner) -> int:
    """One channels.list(managedByMe) call for the owner (1 unit); returns how many channels it manages.

    Raises the gateway's typed errors (NeedsReauthorisation, PermanentError, QuotaExhausted, …).
    """
    session = YouTubeSession.for_owner(owner)
    answer = session.execute(
        session.youtube.channels().list(part="id", managedByMe=True, maxResults=50, **session.owner_params())
    )
    return int((answer.get("pageInfo") or {}).get("totalResults", len(answer.get("items", []))))
