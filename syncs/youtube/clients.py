"""The Google API clients, pointed at settings.YOUTUBE_*_ENDPOINT (Google or the emulator).

With syncs/youtube/gateway.py this is the only code that imports googleapiclient.
"""

import functools
import json
import logging
import re
from pathlib import Path

import google_auth_httplib2
from django.conf import settings
from googleapiclient.discovery import build, build_from_document
from googleapiclient.http import build_http

# The Content ID discovery document, which google-api-python-client does not ship
# (docs/youtube.md#content-id); a copy of Google's, vendored beside this module.
PARTNER_DISCOVERY_DOCUMENT = Path(__file__).with_name("youtubePartner.v1.json")

_API_KEY_IN_URL = re.compile(r"([?&]key=)[^&\s]+")


class _RedactApiKey(logging.Filter):
    """googleapiclient logs request URLs at DEBUG; an API key travels in the URL (key=…)."""

    def filter(self, record):
        message = record.getMessage()
        if "key=" in message:
            record.msg = _API_KEY_IN_URL.sub(r"\1***", message)
            record.args = ()
        return True


logging.getLogger("googleapiclient.discovery").addFilter(_RedactApiKey())


@functools.cache
def partner_discovery_document() -> dict:
    return json.loads(PARTNER_DISCOVERY_DOCUMENT.read_text(encoding="utf-8"))


def authorized_http(credentials):
    """httplib2 with google-auth's token handling, minus its own retry on 401.

    google-auth still refreshes an expired token before a request; a 401 comes back to the
    gateway, which refreshes once, retries once and charges that retry to the quota ledger.
    """
    http = build_http()
    if credentials is None:
        return http
    return google_auth_httplib2.AuthorizedHttp(credentials, http=http, refresh_status_codes=())


def token_request():
    """The transport google-auth uses for an explicit refresh (after a 401)."""
    return google_auth_httplib2.Request(build_http())


def youtube_client(*, credentials=None, api_key: str | None = None):
    """YouTube Data API v3 (bundled discovery document: no network call to build it)."""
    return build(
        "youtube",
        "v3",
        static_discovery=True,
        cache_discovery=False,
        http=authorized_http(credentials),
        developerKey=api_key,
        client_options={"api_endpoint": settings.YOUTUBE_API_ENDPOINT},
    )


def partner_client(*, credentials):
    """YouTube Content ID API (youtubePartner v1) from the vendored discovery document."""
    return build_from_document(
        partner_discovery_document(),
        http=authorized_http(credentials),
        client_options={"api_endpoint": settings.YOUTUBE_PARTNER_API_ENDPOINT},
    )


def reporting_client(*, credentials):
    """YouTube Reporting API v1 (bundled discovery document)."""
    return build(
        "youtubereporting",
        "v1",
        static_discovery=True,
        cache_discovery=False,
        http=authorized_http(credentials),
        client_options={"api_endpoint": settings.YOUTUBE_REPORTING_API_ENDPOINT},
    )
