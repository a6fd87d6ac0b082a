"""OAuth 2.0: the token endpoint, the consent page, revocation, and bearer-token checks for the APIs.

Wording of errors follows oauth2.googleapis.com (docs/youtube.md#oauth; RFC 6749 §5.2). Messages for
the service-account (JWT bearer) grant are the ones Google sends, as recorded by other emulators that
checked them against Google ("Invalid JWT Signature.", "Invalid JWT: Failed audience check.", …).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .errors import (
    ApiError,
    insufficient_scopes,
    invalid_api_key,
    invalid_credentials,
    login_required,
    missing_api_key,
    oauth_error,
    oneplatform_error,
)
from .state import EmulatorState
from .wire import Caller, Request, Response, Route

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
# Audiences Google accepts in a service account's assertion.
GOOGLE_TOKEN_AUDIENCES = ("https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token")
JWT_MAX_LIFETIME = 3600  # "Token must be a short-lived token (60 minutes)"
JWT_CLOCK_SKEW = 300
MSG_BAD_SIGNATURE = "Invalid JWT Signature."
MSG_BAD_AUDIENCE = "Invalid JWT: Failed audience check."
MSG_BAD_TIME = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)
MSG_UNKNOWN_ACCOUNT = "Invalid grant: account not found"
MSG_BAD_SCOPE = "Invalid OAuth scope or ID token audience provided."

_NO_STORE = {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"}


# ---------------------------------------------------------------------- API authentication


def error_style(api: str) -> str:
    return "oneplatform" if api == "youtubereporting" else "youtube"


def bearer_token(request: Request) -> str | None:
    header = request.header("authorization") or ""
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.param("access_token")


def authenticate(state: EmulatorState, request: Request, route: Route) -> Caller:
    """Resolve the caller of an API request, or raise Google's 400/401/403."""
    style = error_style(route.api)
    token = bearer_token(request)
    if token:
        record = state.access_tokens.get(token)
        if record is None or record["expiresAt"] <= state.clock.timestamp():
            raise invalid_credentials(style)
        account = state.accounts.get(record["account"]) or state.add_account(record["account"])
        return Caller(account, record["project"], record["clientId"], frozenset(record["scopes"]), "oauth")
    key = request.param("key")
    if key:
        record = state.api_keys.get(key)
        if record is None:
            if style == "oneplatform":
                raise oneplatform_error(400, "API key not valid. Please pass a valid API key.")
            raise invalid_api_key()
        if route.auth != "key_or_oauth":
            raise login_required(style)
        return Caller(None, record["project"], None, frozenset(), "key")
    if route.auth == "key_or_oauth":
        raise missing_api_key()
    raise login_required(style)


def caller_project(state: EmulatorState, request: Request) -> str | None:
    """The project a request's credentials belong to, even an expired token's; None if Google never
    issued them (nobody to charge)."""
    token = bearer_token(request)
    if token:
        record = state.access_tokens.get(token)
        return record["project"] if record else None
    key = request.param("key")
    record = state.api_keys.get(key) if key else None
    return record["project"] if record else None


def check_scopes(caller: Caller, route: Route) -> None:
    if caller.via == "oauth" and route.scopes and not caller.scopes.intersection(route.scopes):
        raise insufficient_scopes(error_style(route.api))


# ---------------------------------------------------------------------- token endpoint


def token_endpoint(state: EmulatorState, request: Request) -> Response:
    """POST /token: refresh_token, authorization_code and JWT-bearer grants."""
    form = request.form()
    grant_type = form.get("grant_type")
    if not grant_type:
        raise oauth_error(400, "invalid_request", "Missing required parameter: grant_type")
    if grant_type == JWT_BEARER:
        return _jwt_bearer_grant(state, request, form)
    if grant_type == "refresh_token":
        client = _authenticate_client(state, request, form)
        return _refresh_grant(state, form, client)
    if grant_type == "authorization_code":
        client = _authenticate_client(state, request, form)
        return _authorization_code_grant(state, form, client)
    raise oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _authenticate_client(state: EmulatorState, request: Request, form: dict) -> dict:
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    header = request.header("authorization") or ""
    if header[:6].lower() == "basic ":
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise oauth_error(401, "invalid_client", "Unauthorized") from None
    if not client_id:
        raise oauth_error(400, "invalid_request", "Could not determine client ID from request.")
    client = state.oauth_clients.get(client_id)
    if client is None:
        raise oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if not client_secret or not hmac.compare_digest(client_secret, client["clientSecret"]):
        raise oauth_error(401, "invalid_client", "Unauthorized")
    return client


def _refresh_grant(state: EmulatorState, form: dict, client: dict) -> Response:
    token = form.get("refresh_token")
    if not token:
        raise oauth_error(400, "invalid_request", "Missing required parameter: refresh_token")
    record = state.refresh_tokens.get(token)
    if record is None or record["revoked"]:
        raise oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    if record["clientId"] != client["clientId"]:
        raise oauth_error(401, "unauthorized_client", "Unauthorized")
    scopes = record["scopes"]
    if form.get("scope"):
        requested = form["scope"].split()
        if not set(requested) <= set(record["scopes"]):
            # Not documented; a refresh may narrow the granted scopes but never widen them.
            raise oauth_error(400, "invalid_scope", "Some requested scopes were invalid or not granted.")
        scopes = requested
    answer = state.issue_access_token(
        account=record["account"], client_id=client["clientId"], scopes=scopes, refresh_token=token
    )
    # No refresh_token in the answer: Google keeps the old one valid and does not repeat it.
    return Response.json(answer, headers=_NO_STORE)


def _authorization_code_grant(state: EmulatorState, form: dict, client: dict) -> Response:
    code = form.get("code")
    if not code:
        raise oauth_error(400, "invalid_request", "Missing required parameter: code")
    record = state.auth_codes.get(code)
    if (
        record is None
        or record["used"]
        or record["expiresAt"] <= state.clock.timestamp()
        or record["clientId"] != client["clientId"]
    ):
        raise oauth_error(400, "invalid_grant", "Bad Request")
    redirect_uri = form.get("redirect_uri")
    if not redirect_uri:
        raise oauth_error(400, "invalid_request", "Missing parameter: redirect_uri")
    if redirect_uri != record["redirectUri"]:
        raise oauth_error(400, "redirect_uri_mismatch", "Bad Request")
    verifier = form.get("code_verifier")
    if record["codeChallenge"]:
        if not verifier:
            raise oauth_error(400, "invalid_grant", "Missing code verifier.")
        if record["codeChallengeMethod"] == "S256":
            computed = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            )
        else:
            computed = verifier
        if not hmac.compare_digest(computed, record["codeChallenge"]):
            raise oauth_error(400, "invalid_grant", "Invalid code verifier.")
    elif verifier:
        raise oauth_error(400, "invalid_request", "code_verifier or verifier is not needed.")
    record["used"] = True
    refresh = None
    if record["offline"]:
        refresh = state.issue_refresh_token(
            client_id=client["clientId"], account=record["account"], scopes=record["scopes"]
        )
    answer = state.issue_access_token(
        account=record["account"],
        client_id=client["clientId"],
        scopes=record["scopes"],
        refresh_token=refresh,
    )
    if refresh:
        answer["refresh_token"] = refresh
    return Response.json(answer, headers=_NO_STORE)


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _jwt_bearer_grant(state: EmulatorState, request: Request, form: dict) -> Response:
    assertion = form.get("assertion")
    if not assertion:
        raise oauth_error(400, "invalid_request", "Missing required parameter: assertion")
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_b64url_decode(header_b64))
        claims = json.loads(_b64url_decode(payload_b64))
        signature = _b64url_decode(signature_b64)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise oauth_error(400, "invalid_grant", MSG_BAD_SIGNATURE) from None
    if header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise oauth_error(400, "invalid_grant", MSG_BAD_SIGNATURE)
    issuer = claims.get("iss")
    if not issuer:
        raise oauth_error(400, "invalid_grant", "Invalid email or User ID.")
    account = state.service_accounts.get(issuer)
    if account is None:
        raise oauth_error(400, "invalid_grant", MSG_UNKNOWN_ACCOUNT)
    keys = account["publicKeys"]
    candidates = [keys[header["kid"]]] if header.get("kid") in keys else list(keys.values())
    signed = f"{header_b64}.{payload_b64}".encode()
    if not any(_rs256_valid(pem, signed, signature) for pem in candidates):
        raise oauth_error(400, "invalid_grant", MSG_BAD_SIGNATURE)
    audiences = {*GOOGLE_TOKEN_AUDIENCES, f"{request.base_url}/token"}
    if claims.get("aud") not in audiences:
        raise oauth_error(400, "invalid_grant", MSG_BAD_AUDIENCE)
    issued, expires = claims.get("iat"), claims.get("exp")
    if issued is None:
        raise oauth_error(400, "invalid_grant", "Invalid JWT: iat (issued at) is not set.")
    if expires is None:
        raise oauth_error(400, "invalid_grant", "Invalid JWT: exp (expiration time) is not set.")
    now = state.clock.timestamp()
    try:
        issued, expires = float(issued), float(expires)
    except (TypeError, ValueError):
        raise oauth_error(400, "invalid_grant", MSG_BAD_TIME) from None
    if expires - issued > JWT_MAX_LIFETIME or issued > now + JWT_CLOCK_SKEW or expires < now - JWT_CLOCK_SKEW:
        raise oauth_error(400, "invalid_grant", MSG_BAD_TIME)
    subject = claims.get("sub")
    if subject and subject != issuer:
        raise oauth_error(
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized "
            "for any of the scopes requested.",
        )
    scopes = str(claims.get("scope") or "").split()
    if not scopes or not all(scope.startswith("https://") for scope in scopes):
        raise oauth_error(400, "invalid_scope", MSG_BAD_SCOPE)
    answer = state.issue_access_token(account=issuer, scopes=scopes, project=account["project"])
    answer.pop("scope")
    return Response.json(answer, headers=_NO_STORE)


def _rs256_valid(pem: str, signed: bytes, signature: bytes) -> bool:
    try:
        key = serialization.load_pem_public_key(pem.encode())
        key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# ---------------------------------------------------------------------- consent page and revocation


def authorize_endpoint(state: EmulatorState, request: Request) -> Response:
    """GET /o/oauth2/auth: consent without a screen — the configured account approves (or denies)."""
    client_id = request.param("client_id")
    client = state.oauth_clients.get(client_id or "")
    if client is None:
        return _error_page(401, "invalid_client", "The OAuth client was not found.")
    redirect_uri = request.param("redirect_uri")
    if not redirect_uri:
        return _error_page(400, "invalid_request", "Missing required parameter: redirect_uri")
    if client["redirectUris"] and redirect_uri not in client["redirectUris"]:
        return _error_page(
            400,
            "redirect_uri_mismatch",
            f"The redirect URI in the request, {redirect_uri}, does not match the ones authorized for the OAuth client.",
        )
    state_param = request.param("state")
    if request.param("response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state_param})
    scope = request.param("scope")
    if not scope:
        return _error_page(400, "invalid_request", "Missing required parameter: scope")
    method = request.param("code_challenge_method")
    if method not in (None, "S256", "plain"):
        return _error_page(400, "invalid_request", f"Invalid code_challenge_method: {method}")
    account = _consenting_account(state, request.param("login_hint"))
    if account is None:
        return _error_page(
            400,
            "emulator_no_account",
            "No account to consent as: pass login_hint or set the emulator setting authorizeAccount.",
        )
    if state.settings["authorizeDecision"] == "deny":
        return _redirect(redirect_uri, {"error": "access_denied", "state": state_param})
    code = state.issue_authorization_code(
        client_id=client["clientId"],
        redirect_uri=redirect_uri,
        account=account,
        scopes=scope.split(),
        code_challenge=request.param("code_challenge"),
        code_challenge_method=method,
        access_type=request.param("access_type") or "online",
        prompt=request.param("prompt") or "",
    )
    return _redirect(redirect_uri, {"state": state_param, "code": code, "scope": scope})


def _consenting_account(state: EmulatorState, login_hint: str | None) -> str | None:
    if login_hint and login_hint in state.accounts:
        return login_hint
    if state.settings["authorizeAccount"]:
        return state.settings["authorizeAccount"]
    people = [a["id"] for a in state.accounts.values() if not a["serviceAccount"]]
    return people[0] if len(people) == 1 else None


def _redirect(uri: str, params: dict) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    location = uri + ("&" if "?" in uri else "?") + query
    return Response(302, b"", {"Location": location, "Content-Type": "text/html; charset=UTF-8"})


def _error_page(status: int, error: str, description: str) -> Response:
    page = (
        f"<!doctype html><title>Error {status}: {html.escape(error)}</title>"
        f"<h1>Error {status}: {html.escape(error)}</h1><p>{html.escape(description)}</p>"
    )
    return Response(status, page.encode(), {"Content-Type": "text/html; charset=UTF-8"}, {"error": error})


def revoke_endpoint(state: EmulatorState, request: Request) -> Response:
    """POST /revoke?token=…: revoking an access token also revokes its refresh token, as Google does."""
    token = request.form().get("token") or request.param("token")
    if token in state.refresh_tokens and not state.refresh_tokens[token]["revoked"]:
        state.revoke_refresh_token(token)
        return Response.json({})
    access = state.access_tokens.pop(token or "", None)
    if access is not None:
        if access["refreshToken"]:
            state.revoke_refresh_token(access["refreshToken"])
        return Response.json({})
    raise ApiError(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
