"""Google-shaped error bodies.

Three families exist and the emulator answers with the one the real service uses:

- the YouTube Data API and the Content ID API (the older "apiary" front end):
  ``{"error": {"code", "message", "errors": [{"message", "domain", "reason", ...}], "status"}}``
  [doc https://developers.google.com/youtube/v3/docs/core_errors];
- the Reporting API (a One Platform API): ``{"error": {"code", "message", "status"}}``;
- the OAuth token endpoint: ``{"error": "invalid_grant", "error_description": "..."}`` (RFC 6749 §5.2).
"""

from __future__ import annotations

# Canonical gRPC status names that Google puts in ``error.status``.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}

# Google's wording for a bad or expired bearer token.
INVALID_CREDENTIALS_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS_MESSAGE = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
# Google's wording (docs/youtube.md#errors).
QUOTA_EXCEEDED_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


class ApiError(Exception):
    """An HTTP error answer: status, JSON body and extra headers."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    @property
    def reason(self) -> str | None:
        """The reason a client would branch on: errors[0].reason, the OAuth error, or the status name."""
        error = self.body.get("error")
        if isinstance(error, str):
            return error
        if isinstance(error, dict):
            errors = error.get("errors") or []
            if errors:
                return errors[0].get("reason")
            return error.get("status")
        return None


def google_error(
    status: int,
    reason: str,
    message: str,
    domain: str = "global",
    *,
    location: str | None = None,
    location_type: str | None = None,
    top_message: str | None = None,
) -> ApiError:
    """An error in the Data API / Content ID shape, with one entry in ``errors``."""
    detail = {"message": message, "domain": domain, "reason": reason}
    if location is not None:
        detail["location"] = location
        detail["locationType"] = location_type or "parameter"
    body = {
        "error": {
            "code": status,
            "message": top_message or message,
            "errors": [detail],
            "status": STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }
    return ApiError(status, body)


def oneplatform_error(status: int, message: str) -> ApiError:
    """An error in the One Platform shape (Reporting API): no ``errors`` list."""
    body = {"error": {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}}
    return ApiError(status, body)


def oauth_error(status: int, error: str, description: str) -> ApiError:
    """An error from the token endpoint (RFC 6749 §5.2), as oauth2.googleapis.com sends it."""
    return ApiError(status, {"error": error, "error_description": description})


def invalid_credentials(style: str = "youtube") -> ApiError:
    if style == "oneplatform":
        return oneplatform_error(401, INVALID_CREDENTIALS_MESSAGE)
    return google_error(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        top_message=INVALID_CREDENTIALS_MESSAGE,
    )


def login_required(style: str = "youtube") -> ApiError:
    if style == "oneplatform":
        return oneplatform_error(401, MISSING_CREDENTIALS_MESSAGE)
    return google_error(401, "required", "Login Required.", location="Authorization", location_type="header")


def missing_api_key() -> ApiError:
    return google_error(403, "forbidden", "The request is missing a valid API key.")


def invalid_api_key() -> ApiError:
    return google_error(400, "badRequest", "API key not valid. Please pass a valid API key.")


def insufficient_scopes(style: str = "youtube") -> ApiError:
    if style == "oneplatform":
        return oneplatform_error(403, "Request had insufficient authentication scopes.")
    return google_error(
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        top_message="Request had insufficient authentication scopes.",
    )


def quota_exceeded(api: str, project: str) -> ApiError:
    """The daily quota is gone.

    The Data API answers 403 ``youtube.quota/quotaExceeded`` (docs/youtube.md#errors). The Content ID and
    Reporting APIs have their own quotas managed by the Partner Manager and no documented error; they are
    answered the way other Google Cloud APIs answer an exhausted per-day quota (429 RESOURCE_EXHAUSTED).
    """
    if api == "youtube":
        return google_error(403, "quotaExceeded", QUOTA_EXCEEDED_MESSAGE, "youtube.quota")
    host = {"youtubePartner": "youtubepartner.googleapis.com"}.get(api, "youtubereporting.googleapis.com")
    message = (
        f"Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service '{host}' "
        f"for consumer '{project}'."
    )
    return google_error(429, "rateLimitExceeded", message, "usageLimits")


def forbidden(
    message: str = "Access forbidden. The request may not be properly authorized.",
    domain: str = "youtube.common",
    reason: str = "forbidden",
) -> ApiError:
    return google_error(403, reason, message, domain)


def not_emulated(operation: str) -> ApiError:
    return google_error(
        501, "notImplemented", f"The YouTube emulator does not implement {operation}.", "emulator"
    )
