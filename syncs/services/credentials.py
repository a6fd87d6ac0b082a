"""Writes of stored credentials: connect, keep tokens current, record successes and failures."""

from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from channels_app.models import ContentOwner
from syncs.models import REAUTHORISE_MESSAGE, YouTubeCredential


def _log(owner: ContentOwner, user, message: str) -> None:
    if user is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[owner],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )


@transaction.atomic
def credential_connect_oauth(
    *,
    owner: ContentOwner,
    refresh_token: str,
    client_id: str,
    scopes: list[str],
    access_token: str = "",
    expiry: datetime | None = None,
    account: str = "",
    user=None,
) -> YouTubeCredential:
    """Store (or replace) the owner's OAuth grant; any earlier credential of the owner goes."""
    if not refresh_token:
        raise ValueError("An OAuth credential needs a refresh token.")
    credential, _ = YouTubeCredential.objects.update_or_create(
        owner=owner,
        defaults={
            "kind": YouTubeCredential.Kind.OAUTH,
            "client_id": client_id,
            "account": account,
            "refresh_token": refresh_token,
            "access_token": access_token,
            "access_token_expiry": expiry,
            "service_account_key": "",
            "scopes": list(scopes),
            "status": YouTubeCredential.Status.OK,
            "last_error": "",
            "last_error_at": None,
            "connected_by": user,
        },
    )
    _log(owner, user, "Connected YouTube (OAuth).")
    return credential


@transaction.atomic
def credential_connect_service_account(
    *, owner: ContentOwner, key_json: str, client_email: str, scopes: list[str], user=None
) -> YouTubeCredential:
    credential, _ = YouTubeCredential.objects.update_or_create(
        owner=owner,
        defaults={
            "kind": YouTubeCredential.Kind.SERVICE_ACCOUNT,
            "client_id": "",
            "account": client_email,
            "refresh_token": "",
            "access_token": "",
            "access_token_expiry": None,
            "service_account_key": key_json,
            "scopes": list(scopes),
            "status": YouTubeCredential.Status.OK,
            "last_error": "",
            "last_error_at": None,
            "connected_by": user,
        },
    )
    _log(owner, user, f"Connected YouTube (service account {client_email}).")
    return credential


def credential_save_tokens(
    *, credential: YouTubeCredential, access_token: str, expiry: datetime | None, refresh_token: str
) -> None:
    """Persist what google-auth holds after a call; a refresh token is never replaced by nothing."""
    fields = {"access_token": access_token, "access_token_expiry": expiry, "updated_at": timezone.now()}
    if refresh_token:
        fields["refresh_token"] = refresh_token
    # .update(): a concurrent status change (needs_reauthorisation) must not be overwritten.
    YouTubeCredential.objects.filter(pk=credential.pk).update(**fields)
    credential.access_token, credential.access_token_expiry = access_token, expiry
    if refresh_token:
        credential.refresh_token = refresh_token


def credential_mark_success(*, credential: YouTubeCredential) -> None:
    now = timezone.now()
    YouTubeCredential.objects.filter(pk=credential.pk).update(last_success_at=now, updated_at=now)
    credential.last_success_at = now


def credential_mark_error(*, credential: YouTubeCredential, message: str) -> None:
    now = timezone.now()
    YouTubeCredential.objects.filter(pk=credential.pk).update(
        last_error=message[:2000], last_error_at=now, updated_at=now
    )
    credential.last_error, credential.last_error_at = message[:2000], now


def credential_mark_needs_reauthorisation(*, credential: YouTubeCredential, detail: str) -> None:
    """Google refused the grant (invalid_grant): stop using it until a person reconnects."""
    now = timezone.now()
    message = f"{REAUTHORISE_MESSAGE} ({detail})" if detail else REAUTHORISE_MESSAGE
    YouTubeCredential.objects.filter(pk=credential.pk).update(
        status=YouTubeCredential.Status.NEEDS_REAUTHORISATION,
        access_token="",
        access_token_expiry=None,
        last_error=message[:2000],
        last_error_at=now,
        updated_at=now,
    )
    credential.status = YouTubeCredential.Status.NEEDS_REAUTHORISATION
    credential.last_error, credential.last_error_at = message[:2000], now
