"""Google's answers turned into typed errors — decided here and nowhere else.

Quota, rate limits and permission problems all come back as 403, so the decision is made on
``errors[0].reason`` (docs/youtube.md#errors). The status code only decides what the reason cannot:
401 (a token problem), 429 and 5xx (retry).
"""

import enum
import json
from dataclasses import dataclass
from datetime import datetime

# Retried with backoff [doc core_errors; docs/youtube.md#errors].
RETRY_REASONS = frozenset(
    {
        "rateLimitExceeded",
        "userRateLimitExceeded",
        "backendError",
        "backendNotConnected",
        "internalError",
        "notReady",
    }
)
# A bad or expired access token: refresh once, then retry once [doc core_errors].
REFRESH_REASONS = frozenset({"authError", "expired"})


class Decision(enum.StrEnum):
    QUOTA = "quota"  # park until the next Pacific midnight
    RETRY = "retry"  # back off and try again, a bounded number of times
    REFRESH = "refresh"  # refresh the access token once, then retry once
    FAIL = "fail"  # permanent: fix the data, the permissions or the configuration


def decide(*, status: int, reason: str | None, message: str = "") -> Decision:
    """What to do about one error answer: the single place that maps reasons to behaviour.

    Everything not listed is permanent: the invalid* metadata reasons, forbidden*, videoNotFound,
    insufficientPermissions, defaultLanguageNotSet, dailyLimitExceeded, accessNotConfigured, …
    The Content ID and Reporting APIs answer an exhausted *daily* quota the Google Cloud way, a 429
    rate limit whose message names the per-day limit ("limit 'Queries per day'"): retrying that
    only burns the retries, so it is a quota answer (parked until the reset) like quotaExceeded.
    """
    if reason == "quotaExceeded":
        return Decision.QUOTA
    if status == 429 and _names_a_daily_limit(message):
        return Decision.QUOTA
    if reason in RETRY_REASONS:
        return Decision.RETRY
    if status == 401 or reason in REFRESH_REASONS:
        return Decision.REFRESH
    if status == 429 or status >= 500:
        return Decision.RETRY
    return Decision.FAIL


def _names_a_daily_limit(message: str) -> bool:
    text = message.lower()
    return "per day" in text or "perday" in text


@dataclass(frozen=True)
class GoogleAnswer:
    """What an error response says: status, errors[0].reason and YouTube's message."""

    status: int
    reason: str
    message: str
    retry_after: float | None = None


def parse_error_body(status: int, content: bytes | str | None, headers=None) -> GoogleAnswer:
    """Read both error shapes: the Data API / Content ID one (with ``errors``) and One Platform's."""
    reason, message = "", ""
    try:
        body = json.loads(content or b"{}")
    except (TypeError, ValueError):
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        details = error.get("errors") or []
        first = details[0] if details and isinstance(details[0], dict) else {}
        reason = first.get("reason") or error.get("status") or ""
        message = first.get("message") or error.get("message") or ""
    elif isinstance(error, str):  # the token endpoint's {"error": "invalid_grant", ...}
        reason = error
        message = body.get("error_description", "")
    retry_after = None
    raw = (headers or {}).get("retry-after")
    if raw:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None
    return GoogleAnswer(status=status, reason=reason, message=str(message), retry_after=retry_after)


# ------------------------------------------------------------------------ typed errors


class YouTubeError(Exception):
    """Base of every error the YouTube door raises; the message is safe to show and log."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        owner_id: str | None = None,
        status: int | None = None,
        reason: str = "",
    ):
        super().__init__(message)
        self.message = message
        self.method = method
        self.owner_id = owner_id
        self.status = status
        self.reason = reason


class QuotaExhausted(YouTubeError):
    """No call may be made until `reset_at` (the next midnight America/Los_Angeles)."""

    def __init__(self, message: str, *, reset_at: datetime, project: str = "", api: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.reset_at = reset_at
        self.project = project
        self.api = api


class RetryableError(YouTubeError):
    """Failed after the bounded retries; trying again later may work."""


class PermanentError(YouTubeError):
    """Google refused the request; trying again will not help (fix the data or the access)."""


class NeedsReauthorisation(YouTubeError):
    """The owner's grant was revoked or expired: a person must reconnect it; nothing is sent."""


class CredentialUnreadable(NeedsReauthorisation):
    """No key of ENCRYPTION_KEYS opens the owner's stored credential; nothing is sent.

    A kind of NeedsReauthorisation on purpose: the owner's work waits exactly as for a revoked
    grant (parked, skipped, summarised) until a person fixes the keys or reconnects.
    """


class NotConnected(YouTubeError):
    """No credential for this content owner and no API key for public reads."""
