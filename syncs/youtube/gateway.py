"""The one door to Google: every request goes through YouTubeSession.execute.

execute() books each attempt's full price in the quota ledger before sending it, refuses once the
day's budget is spent, settles the booking to what Google charges for the answer once it came back,
retries rate limits and server errors with exponential backoff and jitter (its own bounded loop:
the decisions are ours, not googleapiclient's num_retries), refreshes the token once on a 401,
turns every failure into a typed error (errors.decide), persists the tokens google-auth refreshed,
and records an ApiCall row. Call it outside transaction.atomic: the ledger must commit on its own.
"""

from __future__ import annotations

import logging
import random
import time
from functools import cached_property

import httplib2
from django.conf import settings
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import HttpError

from channels_app.models import ContentOwner
from core.fields import SecretDecryptionError
from syncs.models import ApiCall, YouTubeCredential, unreadable_message
from syncs.services.api_calls import api_call_record
from syncs.services.credentials import (
    credential_mark_error,
    credential_mark_needs_reauthorisation,
    credential_mark_success,
    credential_save_tokens,
    credential_with_secrets,
)
from syncs.services.quota import QuotaReservation, quota_charge, quota_mark_exhausted, quota_settle
from syncs.youtube import clients
from syncs.youtube.auth import TokenState, google_credentials, service_account_info
from syncs.youtube.costs import answer_units, quota_api, quota_units
from syncs.youtube.errors import (
    CredentialUnreadable,
    Decision,
    GoogleAnswer,
    NeedsReauthorisation,
    NotConnected,
    PermanentError,
    QuotaExhausted,
    RetryableError,
    YouTubeError,
    decide,
    parse_error_body,
)
from syncs.youtube.quota_clock import next_quota_reset

logger = logging.getLogger("ytcms.youtube")

# Backoff before retry n: a random wait in [0, min(cap, base * 2**(n-1))] ("full jitter").
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 32.0
# A Retry-After longer than this is not waited for in-process; the call fails as retryable.
RETRY_AFTER_MAX_SECONDS = 60.0
TRANSPORT_ERRORS = (httplib2.HttpLib2Error, OSError)
sleep = time.sleep  # tests replace it


def backoff_seconds(retry: int, retry_after: float | None = None) -> float:
    wait = random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (retry - 1)))
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return wait


class YouTubeSession:
    """Talking to Google for one content owner (its credential) or anonymously (the API key)."""

    def __init__(
        self,
        *,
        owner: ContentOwner | None = None,
        credential: YouTubeCredential | None = None,
        api_key: str | None = None,
    ):
        if credential is None and not api_key:
            raise NotConnected("A YouTube session needs a credential or an API key.")
        self.owner = owner
        self.credential = credential
        self.api_key = None if credential is not None else api_key
        self.units_spent = 0
        self.calls = 0
        self._credentials = google_credentials(credential) if credential is not None else None
        self._saved = TokenState.of_credential(credential) if credential is not None else None

    # ------------------------------------------------------------------ construction

    @classmethod
    def for_owner(cls, owner: ContentOwner) -> YouTubeSession:
        """The owner's credential; NotConnected without one, NeedsReauthorisation if it is broken
        (CredentialUnreadable when no key of ENCRYPTION_KEYS opens it)."""
        try:
            credential = credential_with_secrets(owner=owner)
        except SecretDecryptionError:
            raise CredentialUnreadable(
                unreadable_message(owner.pk), owner_id=owner.pk, reason="credentialUnreadable"
            ) from None
        if credential is None:
            raise NotConnected(
                f"Content owner {owner.pk} is not connected to YouTube: connect it in the admin or "
                "with manage.py youtube_connect.",
                owner_id=owner.pk,
            )
        if credential.needs_reauthorisation:
            raise NeedsReauthorisation(credential.last_error, owner_id=owner.pk, reason="invalid_grant")
        return cls(owner=owner, credential=credential)

    @classmethod
    def public(cls) -> YouTubeSession:
        """Anonymous reads of public data with YOUTUBE_API_KEY."""
        if not settings.YOUTUBE_API_KEY:
            raise NotConnected(
                "No credential for these videos' content owner and no YOUTUBE_API_KEY for public reads."
            )
        return cls(api_key=settings.YOUTUBE_API_KEY)

    @property
    def owner_id(self) -> str | None:
        return self.owner.pk if self.owner is not None else None

    @property
    def uses_api_key(self) -> bool:
        return self.credential is None

    @cached_property
    def project(self) -> str:
        """The Google Cloud project whose quota this session spends (the ledger's key)."""
        if self.credential is not None and self.credential.kind == YouTubeCredential.Kind.SERVICE_ACCOUNT:
            return service_account_info(self.credential.service_account_key)["project_id"]
        if settings.YOUTUBE_QUOTA_PROJECT:
            return settings.YOUTUBE_QUOTA_PROJECT
        if self.credential is not None:
            return self.credential.client_id
        return settings.YOUTUBE_CLIENT_ID or "api-key"

    def owner_params(self) -> dict:
        """onBehalfOfContentOwner when acting for an owner; nothing for anonymous reads."""
        return {"onBehalfOfContentOwner": self.owner.pk} if self.owner and self.credential else {}

    @cached_property
    def youtube(self):
        return clients.youtube_client(credentials=self._credentials, api_key=self.api_key)

    @cached_property
    def partner(self):
        self._require_credential("Content ID")
        return clients.partner_client(credentials=self._credentials)

    @cached_property
    def reporting(self):
        self._require_credential("the Reporting API")
        return clients.reporting_client(credentials=self._credentials)

    def _require_credential(self, what: str) -> None:
        if self._credentials is None:
            raise NotConnected(f"{what} needs a content owner's credential; an API key is not enough.")

    # ------------------------------------------------------------------ the call

    def execute(self, request) -> dict:
        """Send one googleapiclient request (e.g. ``session.youtube.videos().list(...)``)."""
        method = request.methodId
        api, units = quota_api(method), quota_units(method)
        started = time.monotonic()
        retries = charged = 0
        refresh_first = refreshed = False
        # The booking of an attempt whose request may not have left yet: if google-auth's
        # refresh before sending fails, Google never saw the request and it is given back.
        unsent: QuotaReservation | None = None
        try:
            while True:
                self._check_usable(method)
                if refresh_first:
                    refresh_first = False
                    self._credentials.refresh(clients.token_request())
                reservation = quota_charge(project=self.project, api=api, units=units)
                charged += units
                unsent = reservation
                try:
                    result = request.execute(num_retries=0)
                except HttpError as error:
                    unsent = None
                    answer = parse_error_body(error.resp.status, error.content, error.resp)
                    charged -= self._settle(reservation, method, answer.status)
                    decision = decide(status=answer.status, reason=answer.reason, message=answer.message)
                    if decision is Decision.RETRY and retries < settings.YOUTUBE_MAX_RETRIES:
                        retries += 1
                        sleep(backoff_seconds(retries, answer.retry_after))
                        continue
                    if decision is Decision.REFRESH and not refreshed and self._credentials is not None:
                        refreshed = refresh_first = True
                        retries += 1
                        continue
                    raise self._error(decision, answer, method, api) from None
                except TRANSPORT_ERRORS as error:
                    unsent = None  # it may have reached Google: the full price stays booked
                    if retries < settings.YOUTUBE_MAX_RETRIES:
                        retries += 1
                        sleep(backoff_seconds(retries))
                        continue
                    raise RetryableError(
                        f"{method}: no answer from Google ({type(error).__name__}).",
                        method=method,
                        owner_id=self.owner_id,
                        reason="transportError",
                    ) from None
                break
        except (RefreshError, TransportError) as error:
            if unsent is not None:
                quota_settle(reservation=unsent, units=0)
                charged -= unsent.units
            if isinstance(error, RefreshError):
                failure = self._refresh_failed(error, method)
            else:
                failure = RetryableError(
                    f"{method}: the token endpoint did not answer.",
                    method=method,
                    owner_id=self.owner_id,
                    reason="transportError",
                )
            self._finish(method, started, charged, retries, failure)
            raise failure from None
        except YouTubeError as failure:
            self._finish(method, started, charged, retries, failure)
            raise
        self._finish(method, started, charged, retries, None)
        return result

    def _settle(self, reservation: QuotaReservation, method: str, status: int) -> int:
        """Book what Google charges for this answer instead of the full price; the units given back."""
        units = answer_units(method, status)
        quota_settle(reservation=reservation, units=units)
        return reservation.units - units

    def _check_usable(self, method: str) -> None:
        if self.credential is not None and self.credential.needs_reauthorisation:
            raise NeedsReauthorisation(
                self.credential.last_error, method=method, owner_id=self.owner_id, reason="invalid_grant"
            )

    def _error(self, decision: Decision, answer: GoogleAnswer, method: str, api: str) -> YouTubeError:
        details = {
            "method": method,
            "owner_id": self.owner_id,
            "status": answer.status,
            "reason": answer.reason,
        }
        said = f"{answer.status} {answer.reason or 'error'}: {answer.message}".rstrip(": ")
        if decision is Decision.QUOTA:
            quota_mark_exhausted(project=self.project, api=api)
            reset_at = next_quota_reset()
            return QuotaExhausted(
                f"{method}: Google says the daily quota of project {self.project} is exhausted; "
                f"nothing is sent until midnight Pacific time ({reset_at:%Y-%m-%d %H:%M} UTC).",
                reset_at=reset_at,
                project=self.project,
                api=api,
                **details,
            )
        if decision is Decision.RETRY:
            return RetryableError(f"{method}: still failing after retries ({said}).", **details)
        if decision is Decision.REFRESH:
            return PermanentError(f"{method}: Google refused the credentials ({said}).", **details)
        return PermanentError(f"{method}: YouTube refused the request ({said}).", **details)

    def _refresh_failed(self, error: RefreshError, method: str) -> YouTubeError:
        data = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], dict) else {}
        code = data.get("error") or str(error.args[0] if error.args else "").split(":", 1)[0]
        description = data.get("error_description") or ""
        if code == "invalid_grant":
            credential_mark_needs_reauthorisation(
                credential=self.credential, detail=f"invalid_grant: {description}".rstrip(": ")
            )
            return NeedsReauthorisation(
                self.credential.last_error, method=method, owner_id=self.owner_id, reason="invalid_grant"
            )
        message = f"{method}: the token endpoint refused the refresh ({code or 'error'}: {description})."
        if getattr(error, "retryable", False):
            return RetryableError(message, method=method, owner_id=self.owner_id, reason=code)
        return PermanentError(message, method=method, owner_id=self.owner_id, reason=code)

    def _finish(self, method, started, charged, retries, failure: YouTubeError | None) -> None:
        """Persist refreshed tokens, note the outcome on the credential, record the ApiCall."""
        self.calls += 1
        self.units_spent += charged
        if self.credential is not None and self._credentials is not None:
            current = TokenState.of_google(self._credentials, keep_refresh_token=self._saved.refresh_token)
            if current != self._saved and not self.credential.needs_reauthorisation:
                credential_save_tokens(
                    credential=self.credential,
                    access_token=current.access_token,
                    expiry=current.expiry,
                    refresh_token=current.refresh_token,
                )
                self._saved = current
            if failure is None:
                credential_mark_success(credential=self.credential)
            elif not isinstance(failure, NeedsReauthorisation):
                credential_mark_error(credential=self.credential, message=failure.message)
        api_call_record(
            method=method,
            owner_id=self.owner_id,
            project=self.project,
            quota_units=charged,
            duration_ms=int((time.monotonic() - started) * 1000),
            outcome=_OUTCOMES.get(type(failure), ApiCall.Outcome.PERMANENT)
            if failure
            else ApiCall.Outcome.OK,
            http_status=failure.status if failure else 200,
            reason=failure.reason if failure else "",
            message=failure.message if failure else "",
            retries=retries,
        )


_OUTCOMES = {
    QuotaExhausted: ApiCall.Outcome.QUOTA_EXHAUSTED,
    RetryableError: ApiCall.Outcome.RETRYABLE,
    PermanentError: ApiCall.Outcome.PERMANENT,
    NeedsReauthorisation: ApiCall.Outcome.NEEDS_REAUTHORISATION,
}
