"""API tokens: issue, revoke, and authenticate `Authorization: Token <key>` (or `Bearer <key>`).

Only the SHA-256 of a key is stored; the key itself is shown once, when it is made. A token is
refused once revoked or past its expiry, and whenever its user may no longer use the site
(`user_may_use_site`: deactivated, no longer staff, or left without any membership), checked on
every request so that taking someone's access away also ends their scripts.
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from channels_app.models import ApiToken
from channels_app.selectors import user_may_use_site

KEY_PREFIX = "ytc_"
# 32 random bytes: 43 URL-safe characters after the "ytc_" marker.
KEY_RANDOM_BYTES = 32
PREFIX_LENGTH = 12  # "ytc_" + 8 random characters: shown in the admin, used to find the row
KEYWORDS = (b"token", b"bearer")
# Writing last_used on every request would turn each read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, token: ApiToken) -> str:
    """Give an unsaved token (user, name, expiry set) a new key, save it, and return the key.

    The key is returned only here: the database keeps its hash and its first characters.
    """
    for _ in range(5):
        key = KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)
        token.prefix = key[:PREFIX_LENGTH]
        token.key_hash = hash_key(key)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            continue  # 48 random bits of prefix collided; draw again
        return key
    raise RuntimeError("could not draw a unique API token prefix")


def api_token_create(*, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    token = ApiToken(user=user, name=name, expires_at=expires_at)
    key = api_token_issue(token=token)
    return token, key


@transaction.atomic
def api_tokens_revoke(*, tokens: Iterable[ApiToken], user) -> int:
    """Revoke the tokens that are still live; record who did it in the admin's history."""
    now = timezone.now()
    revoked = [token for token in tokens if token.revoked_at is None]
    ApiToken.objects.filter(pk__in=[token.pk for token in revoked]).update(revoked_at=now)
    token_type = ContentType.objects.get_for_model(ApiToken)
    LogEntry.objects.bulk_create(
        LogEntry(
            user_id=user.pk,
            content_type_id=token_type.pk,
            object_id=str(token.pk),
            object_repr=str(token)[:200],
            action_flag=CHANGE,
            change_message="Revoked the token.",
        )
        for token in revoked
    )
    return len(revoked)


def api_token_for_key(key: str) -> ApiToken:
    """The live token with this key, or AuthenticationFailed saying why not."""
    token = None
    if key.startswith(KEY_PREFIX) and len(key) > PREFIX_LENGTH:
        token = ApiToken.objects.select_related("user").filter(prefix=key[:PREFIX_LENGTH]).first()
    # compare_digest: the time taken must not tell how much of a guessed hash was right.
    if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)):
        raise exceptions.AuthenticationFailed("Invalid API token.", code="invalid_token")
    now = timezone.now()
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed("This API token was revoked.", code="token_revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise exceptions.AuthenticationFailed("This API token has expired.", code="token_expired")
    if not token.user.is_active:
        raise exceptions.AuthenticationFailed("The token's user is inactive.", code="user_inactive")
    if not user_may_use_site(user=token.user):
        raise exceptions.AuthenticationFailed(
            "The token's user no longer has access to ytcms.", code="user_without_access"
        )
    if token.last_used is None or now - token.last_used >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` or `Authorization: Bearer <key>`; request.auth is the ApiToken."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: let session authentication try
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header; send 'Bearer <token>'.", code="invalid_token"
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API token.", code="invalid_token") from None
        token = api_token_for_key(key)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403 when no credentials came.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "channels_app.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made in the admin (API tokens); `Token <key>` works too.",
        }
