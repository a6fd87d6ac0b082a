"""Writes of stored credentials: connect, keep tokens current, record successes and failures."""

from datetime import datetime

from django.contrib.admin.models import CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from channels_app.models import ContentOwner
from core.audit.models import AuditEvent
from core.audit.services import audit_event_record
from core.fields import SecretDecryptionError
from syncs.changesets.scheduling import changesets_schedule_parked
from syncs.events import publish_credential_update
from syncs.models import REAUTHORISE_MESSAGE, CredentialStatusChange, YouTubeCredential, unreadable_message

READABLE_AGAIN_MESSAGE = "ENCRYPTION_KEYS opens the stored credential again."


def _log(owner: ContentOwner, user, message: str) -> None:
    if user is not None:
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[owner],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )


def _status_changed(*, owner_id: str, old_status: str, new_status: str, message: str, user=None) -> None:
    """The audit rows and the live event of one change of an owner's connection status.

    CredentialStatusChange stays the owner page's own list; the audit log answers "who did what"
    with everything else. No user: ytcms found it (Google revoked the grant, no key opens it).
    """
    change = CredentialStatusChange.objects.create(
        content_owner_id=owner_id,
        old_status=old_status,
        new_status=new_status,
        message=message[:2000],
        user=user,
    )
    audit_event_record(
        event_type=AuditEvent.Type.CREDENTIAL_STATUS_CHANGED,
        acting_user=user,
        content_owner_id=owner_id,
        object_type="credential",
        object_id=owner_id,
        object_repr=f"YouTube connection of {owner_id}",
        old={"status": old_status},
        new={"status": new_status},
        extra={"message": message[:2000], "credential_status_change_id": change.pk},
        created_at=change.created_at,
    )
    publish_credential_update(
        owner_id=owner_id, old_status=old_status, new_status=new_status, message=message
    )
    if new_status == YouTubeCredential.Status.OK:
        # Connected again or readable again: what waited for the credential is pushed now.
        transaction.on_commit(lambda: changesets_schedule_parked(content_owner=ContentOwner(pk=owner_id)))


@transaction.atomic
def _status_set(*, credential: YouTubeCredential, status: str, message: str, **fields) -> bool:
    """Set the status (and fields); audit and announce it when it changed. True when it changed."""
    old_status = (
        YouTubeCredential.objects.select_for_update()
        .filter(pk=credential.pk)
        .values_list("status", flat=True)
        .first()
    )
    YouTubeCredential.objects.filter(pk=credential.pk).update(
        status=status, updated_at=timezone.now(), **fields
    )
    credential.status = status
    if old_status is None or old_status == status:
        return False
    _status_changed(owner_id=credential.owner_id, old_status=old_status, new_status=status, message=message)
    return True


def _connected(*, owner: ContentOwner, old_status: str | None, user) -> None:
    if old_status != YouTubeCredential.Status.OK:
        _status_changed(
            owner_id=owner.pk,
            old_status=old_status or "",
            new_status=YouTubeCredential.Status.OK,
            message="Connected.",
            user=user,
        )


def _old_status(owner: ContentOwner) -> str | None:
    return YouTubeCredential.objects.filter(owner=owner).values_list("status", flat=True).first()


def _without_secrets():
    # Secrets are replaced or checked, never read on the way: an unreadable credential still loads.
    return YouTubeCredential.objects.defer(*YouTubeCredential.SECRET_FIELDS)


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
    old_status = _old_status(owner)
    credential, _ = _without_secrets().update_or_create(
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
    _connected(owner=owner, old_status=old_status, user=user)
    return credential


@transaction.atomic
def credential_connect_service_account(
    *, owner: ContentOwner, key_json: str, client_email: str, scopes: list[str], user=None
) -> YouTubeCredential:
    old_status = _old_status(owner)
    credential, _ = _without_secrets().update_or_create(
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
    _connected(owner=owner, old_status=old_status, user=user)
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
    _status_set(
        credential=credential,
        status=YouTubeCredential.Status.NEEDS_REAUTHORISATION,
        message=message,
        access_token="",
        access_token_expiry=None,
        last_error=message[:2000],
        last_error_at=now,
    )
    credential.last_error, credential.last_error_at = message[:2000], now


def credential_with_secrets(*, owner: ContentOwner) -> YouTubeCredential | None:
    """The owner's credential with its secrets decrypted; None when it has none (and not decrypted
    when it needs re-authorisation: it is not used then).

    When no key of ENCRYPTION_KEYS opens them the owner is marked unreadable and SecretDecryptionError
    is raised; a credential marked so that opens again (a key was put back) is marked connected.
    """
    credential = _without_secrets().filter(owner=owner).first()
    if credential is None or credential.needs_reauthorisation:
        return credential
    try:
        credential.refresh_from_db(fields=list(YouTubeCredential.SECRET_FIELDS))
    except SecretDecryptionError:
        credential_mark_unreadable(credential=credential)
        raise
    if credential.is_unreadable:
        _status_set(credential=credential, status=YouTubeCredential.Status.OK, message=READABLE_AGAIN_MESSAGE)
    return credential


def credential_readable(*, owner: ContentOwner) -> bool:
    """False when no key of ENCRYPTION_KEYS opens the owner's credential (it is marked so)."""
    try:
        credential_with_secrets(owner=owner)
    except SecretDecryptionError:
        return False
    return True


def credential_mark_unreadable(*, credential: YouTubeCredential) -> None:
    """No key of ENCRYPTION_KEYS opens the secrets: the owner's work waits until a person acts."""
    now = timezone.now()
    message = unreadable_message(credential.owner_id)
    _status_set(
        credential=credential,
        status=YouTubeCredential.Status.UNREADABLE,
        message=message,
        last_error=message,
        last_error_at=now,
    )
    credential.last_error, credential.last_error_at = message, now


def credentials_recheck_unreadable() -> int:
    """Try every credential marked unreadable again (after rotate_keys); how many open now."""
    opened = 0
    for owner_id in YouTubeCredential.objects.filter(status=YouTubeCredential.Status.UNREADABLE).values_list(
        "owner_id", flat=True
    ):
        try:
            credential = credential_with_secrets(owner=ContentOwner(pk=owner_id))
        except SecretDecryptionError:
            continue
        opened += credential is not None and credential.status == YouTubeCredential.Status.OK
    return opened
