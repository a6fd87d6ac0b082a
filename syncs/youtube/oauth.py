"""The OAuth consent flow (google-auth-oauthlib): authorisation URL out, code in, tokens back.

access_type=offline and prompt=consent, so Google hands out a refresh token even to an account
that consented before (docs/youtube.md#oauth); PKCE (S256) and a random state guard the code.
"""

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error

from syncs.youtube.auth import SCOPES

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
# oauthlib reads these from os.environ on each call: one flow at a time may change them.
_ENVIRON_LOCK = threading.Lock()


class AuthorizationRefused(Exception):
    """Google's token endpoint refused the authorisation code; `error` is its OAuth error code."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class AuthorizationStart:
    url: str
    state: str
    code_verifier: str


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    expiry: datetime | None
    scopes: list[str]


def _flow(*, redirect_uri: str, state: str | None = None, code_verifier: str | None = None) -> Flow:
    client_config = {
        "web": {
            "client_id": settings.YOUTUBE_CLIENT_ID,
            "client_secret": settings.YOUTUBE_CLIENT_SECRET,
            "auth_uri": settings.YOUTUBE_AUTH_URI,
            "token_uri": settings.YOUTUBE_TOKEN_URI,
            "redirect_uris": [redirect_uri],
        }
    }
    return Flow.from_client_config(
        client_config, scopes=SCOPES, redirect_uri=redirect_uri, state=state, code_verifier=code_verifier
    )


@contextlib.contextmanager
def _plain_http_allowed(*urls: str):
    """oauthlib refuses http:// URLs unless OAUTHLIB_INSECURE_TRANSPORT=1.

    Allowed only while every http:// URL involved is on this machine (the emulator, a dev server
    on 127.0.0.1) and DEBUG or YOUTUBE_EMULATOR is on; set for the duration of one call only.
    Also relax oauthlib's "scope has changed" exception: Google may grant fewer scopes than asked
    (the consent screen lets people untick them), which the caller checks and reports itself.
    """
    plain = [url for url in urls if urlsplit(url).scheme == "http"]
    allow = (
        bool(plain)
        and (settings.DEBUG or settings.YOUTUBE_EMULATOR)
        and all(urlsplit(url).hostname in LOOPBACK_HOSTS for url in plain)
    )
    names = ["OAUTHLIB_RELAX_TOKEN_SCOPE"] + (["OAUTHLIB_INSECURE_TRANSPORT"] if allow else [])
    with _ENVIRON_LOCK:
        previous = {name: os.environ.get(name) for name in names}
        os.environ.update({name: "1" for name in names})
        try:
            yield
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def authorization_start(*, redirect_uri: str) -> AuthorizationStart:
    """Where to send the browser; keep state and code_verifier (in the session) for the callback."""
    flow = _flow(redirect_uri=redirect_uri)
    try:
        with _plain_http_allowed(settings.YOUTUBE_AUTH_URI, redirect_uri):
            url, state = flow.authorization_url(access_type="offline", prompt="consent")
    except InsecureTransportError:
        raise ValueError(
            f"OAuth needs https: {settings.YOUTUBE_AUTH_URI} and {redirect_uri} must be https:// "
            "(plain http is allowed only on 127.0.0.1/localhost with DEBUG or the emulator). "
            "Serve the site over https or set YOUTUBE_OAUTH_REDIRECT_URI."
        ) from None
    return AuthorizationStart(url=url, state=state, code_verifier=flow.code_verifier)


def authorization_finish(*, code: str, state: str, code_verifier: str, redirect_uri: str) -> Grant:
    """Exchange the authorisation code (with the PKCE verifier) for tokens at YOUTUBE_TOKEN_URI.

    Raises AuthorizationRefused when the token endpoint refuses (invalid_grant, …): oauthlib's own
    errors stay inside this door.
    """
    flow = _flow(redirect_uri=redirect_uri, state=state, code_verifier=code_verifier)
    try:
        with _plain_http_allowed(settings.YOUTUBE_TOKEN_URI, redirect_uri):
            token = flow.fetch_token(code=code)
    except OAuth2Error as error:
        raise AuthorizationRefused(error.error) from error
    scope = token.get("scope") or []
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    expires_at = token.get("expires_at")
    return Grant(
        access_token=token.get("access_token", ""),
        refresh_token=token.get("refresh_token", ""),
        expiry=datetime.fromtimestamp(expires_at, UTC) if expires_at else None,
        scopes=scopes,
    )
