"""EncryptedTextField: secrets (OAuth tokens, service-account keys) encrypted at rest.

The database holds Fernet tokens; Python code sees plaintext. The key ring is a MultiFernet over
ENCRYPTION_KEYS (comma-separated Fernet keys): the first key encrypts, every key decrypts, so a new
key goes first and `manage.py rotate_keys` re-encrypts everything with it before an old key is
dropped. Serialisation (dumpdata) writes the ciphertext, never the plaintext.
"""

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

GENERATE_KEY_COMMAND = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)
# Every Fernet token starts with the version byte 0x80, which base64url writes as "gAAAAA".
FERNET_PREFIX = "gAAAAA"


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted by any key of ENCRYPTION_KEYS."""


@functools.cache
def key_ring() -> MultiFernet:
    keys = list(settings.ENCRYPTION_KEYS)
    if not keys:
        # Never a key derived from SECRET_KEY: a leaked or public SECRET_KEY would open every stored
        # token. With DEBUG on the settings generate a random key of the checkout's own instead.
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS is not set. ytcms encrypts YouTube tokens at rest. Generate a key with\n    "
            f"{GENERATE_KEY_COMMAND}\nand set ENCRYPTION_KEYS to it (comma-separated; the first "
            "key encrypts, the others only decrypt)."
        )
    return MultiFernet([Fernet(key) for key in keys])


@receiver(setting_changed)
def _forget_key_ring(*, setting, **kwargs):
    if setting in {"ENCRYPTION_KEYS", "SECRET_KEY", "DEBUG"}:
        key_ring.cache_clear()


def encrypt(plaintext: str) -> str:
    return key_ring().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return key_ring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        raise SecretDecryptionError(
            "A stored secret cannot be decrypted with any key of ENCRYPTION_KEYS: a key it was "
            "encrypted with is missing (keep old keys after the new one until rotate_keys has run)."
        ) from None


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; "" and None are stored as they are (no secret)."""

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value)

    def to_python(self, value):
        # Deserialising a dump (loaddata) hands back the ciphertext value_to_string wrote.
        if isinstance(value, str) and value.startswith(FERNET_PREFIX):
            return decrypt(value)
        return super().to_python(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return encrypt(value) if value else value
