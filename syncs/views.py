"""The OAuth consent flow in the admin: start (from the content owner's page) and Google's callback."""

import hmac
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.urls import reverse

from channels_app.selectors import content_owners_managed_by
from syncs.services.connect import missing_scopes, youtube_connect_oauth_grant, youtube_connect_verify
from syncs.youtube.errors import YouTubeError
from syncs.youtube.oauth import AuthorizationRefused, authorization_finish, authorization_start

logger = logging.getLogger("ytcms.youtube")

SESSION_KEY = "youtube_oauth"


def _redirect_uri(request) -> str:
    return settings.YOUTUBE_OAUTH_REDIRECT_URI or request.build_absolute_uri(
        reverse("youtube_oauth_callback")
    )


def _owner_page(owner_id: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:channels_app_contentowner_change", args=[owner_id]))


def youtube_connect_start(request, owner):
    """Send the browser to Google's consent page; state, PKCE verifier and owner wait in the session.

    Called by the content owner admin after it checked the user manages the owner.
    """
    if not settings.YOUTUBE_CLIENT_ID or not settings.YOUTUBE_CLIENT_SECRET:
        raise ValueError(
            "YouTube is not configured: set YOUTUBE_CLIENT_ID and YOUTUBE_CLIENT_SECRET (the OAuth "
            "client of the Google Cloud project) and restart."
        )
    redirect_uri = _redirect_uri(request)
    start = authorization_start(redirect_uri=redirect_uri)
    request.session[SESSION_KEY] = {
        "state": start.state,
        "code_verifier": start.code_verifier,
        "owner_id": owner.pk,
        "redirect_uri": redirect_uri,
    }
    return HttpResponseRedirect(start.url)


@staff_member_required
def youtube_oauth_callback(request):
    """Google's redirect back: check the state, exchange the code, store and verify the credential."""
    pending = request.session.pop(SESSION_KEY, None)
    if not pending:
        messages.error(request, "No YouTube connection was in progress; start again from the content owner.")
        return HttpResponseRedirect(reverse("admin:channels_app_contentowner_changelist"))
    owner_id = pending["owner_id"]
    state = request.GET.get("state", "")
    if not hmac.compare_digest(state, pending["state"]):
        messages.error(
            request, "The answer from Google did not match this connection attempt; nothing was stored."
        )
        return _owner_page(owner_id)
    if request.GET.get("error"):
        messages.error(request, f"Google did not grant access ({request.GET['error']}); nothing was stored.")
        return _owner_page(owner_id)
    # Checked again: the membership may have changed while the user was at Google.
    owner = content_owners_managed_by(user=request.user).filter(pk=owner_id).first()
    if owner is None:
        messages.error(request, "You no longer manage this content owner; nothing was stored.")
        return HttpResponseRedirect(reverse("admin:channels_app_contentowner_changelist"))
    try:
        grant = authorization_finish(
            code=request.GET.get("code", ""),
            state=state,
            code_verifier=pending["code_verifier"],
            redirect_uri=pending["redirect_uri"],
        )
        credential = youtube_connect_oauth_grant(owner=owner, grant=grant, user=request.user)
    except AuthorizationRefused as error:
        messages.error(request, f"Google refused the authorisation code ({error.error}); nothing was stored.")
        return _owner_page(owner.pk)
    except ValueError as error:
        messages.error(request, str(error))
        return _owner_page(owner.pk)
    lacking = missing_scopes(credential)
    if lacking:
        messages.warning(
            request,
            "Connected, but without permission for "
            + ", ".join(s.rsplit("/", 1)[-1] for s in lacking)
            + ": reconnect and keep every box ticked on Google's consent screen.",
        )
    try:
        channels = youtube_connect_verify(owner=owner)
    except YouTubeError as error:
        messages.warning(request, f"Connected, but the test call failed: {error.message}")
    else:
        messages.success(
            request, f"Connected to YouTube: Google lists {channels} channels managed for {owner}."
        )
    return _owner_page(owner.pk)
