"""Backups in Django storage (the `backups` alias): files, manifests, verification records.

A backup is three objects side by side:

    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump                  the dump, uploaded first
    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump.manifest.json    written last: "complete"
    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump.verified.json    the last verify_backup result

Only a dump with a manifest is a backup; a dump left by an interrupted run is not listed, and
rotation deletes it once it is a day old.

This is the one module that knows S3 error codes: storage errors become BackupError subclasses with
a message an operator can act on. Storage itself goes through django-storages.
"""

import contextlib
import hashlib
import json
import re
import shutil
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

try:  # botocore comes with django-storages[s3]; without it there is no S3 to fail.
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
except ImportError:  # pragma: no cover - only without boto3 installed
    S3UploadFailedError = BotoCoreError = ClientError = EndpointConnectionError = NoCredentialsError = ()

BACKUP_STORAGE_ALIAS = "backups"
MANIFEST_SUFFIX = ".manifest.json"
VERIFIED_SUFFIX = ".verified.json"
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup operation failed; the message says what to do about it."""


class BackupNotFound(BackupError):
    pass


class BackupStorageError(BackupError):
    pass


def backup_storage():
    return storages[BACKUP_STORAGE_ALIAS]


def is_s3(storage) -> bool:
    return hasattr(storage, "bucket_name")


def describe(storage) -> str:
    if is_s3(storage):
        return f"s3://{storage.bucket_name}/{storage.location.strip('/')}/"
    return str(getattr(storage, "location", storage))


def normalise_key(key: str) -> str:
    """Accept a key as listed, with the storage prefix (backups/…) or as a manifest name."""
    key = key.strip().removeprefix("backups/")
    for suffix in (MANIFEST_SUFFIX, VERIFIED_SUFFIX):
        key = key.removesuffix(suffix)
    if not key or "/" in key or key.startswith("."):
        raise BackupNotFound(f"{key!r} is not a backup key; `manage.py list_backups` lists them.")
    return key


_ERROR_CODE_IN_MESSAGE = re.compile(r"\((\w+)\) when calling")


def _s3_error_code(error) -> tuple[str, str]:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return str(details.get("Code", "")), str(details.get("Message", ""))
    # boto3's upload wraps the ClientError into S3UploadFailedError, keeping only its text.
    match = _ERROR_CODE_IN_MESSAGE.search(str(error))
    return (match.group(1) if match else ""), str(error)


def s3_error_message(storage, error, *, key: str | None = None) -> BackupError:
    """Map an S3 error to what the operator should check (the seed's handle_s3_error)."""
    code, text = _s3_error_code(error)
    bucket = getattr(storage, "bucket_name", "?")
    if code == "NoSuchBucket":
        return BackupStorageError(
            f"The S3 bucket {bucket!r} does not exist (S3_BUCKET_NAME). Create it, or correct "
            f"S3_BUCKET_NAME / AWS_REGION / AWS_S3_ENDPOINT_URL."
        )
    if code in {
        "AccessDenied",
        "403",
        "Forbidden",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
    }:
        return BackupStorageError(
            f"S3 denied access to bucket {bucket!r} ({code}). The credentials in use need "
            f"s3:ListBucket on the bucket and s3:GetObject, s3:PutObject and s3:DeleteObject on "
            f"backups/*; check AWS_ACCESS_KEY_ID / the instance role."
        )
    if code in {"NoSuchKey", "404", "NotFound"}:
        return BackupNotFound(
            f"No backup {key!r} in {describe(storage)}; `manage.py list_backups` lists them."
        )
    return BackupStorageError(f"S3 request failed ({code or type(error).__name__}): {text}")


def _bucket_missing(storage) -> bool:
    """After a 404 on an object: is it the bucket that is missing? (HEAD answers a bare 404.)"""
    try:
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    except ClientError as error:
        return error.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket", "NotFound"}
    except Exception:
        return False
    return False


@contextlib.contextmanager
def storage_errors(storage, *, key: str | None = None):
    """Turn storage exceptions into BackupError with a message for the operator."""
    try:
        yield
    except BackupError:
        raise
    except FileNotFoundError as error:
        if is_s3(storage) and _bucket_missing(storage):
            raise s3_error_message(storage, _FakeCode("NoSuchBucket")) from error
        raise BackupNotFound(
            f"No backup {key!r} in {describe(storage)}; `manage.py list_backups` lists them."
        ) from error
    except (ClientError, S3UploadFailedError) as error:
        raise s3_error_message(storage, error, key=key) from error
    except NoCredentialsError as error:
        raise BackupStorageError(
            "No AWS credentials found for the backup bucket: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or give the machine an instance role."
        ) from error
    except EndpointConnectionError as error:
        raise BackupStorageError(
            f"Cannot reach S3 at {error.kwargs.get('endpoint_url', '?')}: {error}"
        ) from error
    except BotoCoreError as error:
        raise BackupStorageError(f"S3 request failed: {error}") from error
    except PermissionError as error:
        raise BackupStorageError(f"No permission to use {describe(storage)}: {error}") from error


class _FakeCode(Exception):
    """An error whose message carries an S3 code, for errors known only from their context."""

    def __init__(self, code: str):
        super().__init__(f"An error occurred ({code}) when calling the HeadBucket operation")


def list_names(storage) -> list[str]:
    with storage_errors(storage):
        try:
            _, files = storage.listdir("")
        except FileNotFoundError:
            return []  # a local backups folder that no backup has created yet
    return files


def upload(storage, name: str, path: Path) -> None:
    with storage_errors(storage, key=name), open(path, "rb") as handle:
        stored = storage.save(name, File(handle, name=name))
    if stored != name:
        raise BackupStorageError(f"the storage stored {name!r} as {stored!r}; backups need their own name")


def download(storage, name: str, path: Path) -> None:
    with storage_errors(storage, key=name), storage.open(name, "rb") as source, open(path, "wb") as target:
        shutil.copyfileobj(source, target, _CHUNK)


def read_json(storage, name: str, *, key: str | None = None) -> dict:
    with storage_errors(storage, key=key or name), storage.open(name, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def write_json(storage, name: str, data: dict) -> None:
    body = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    with storage_errors(storage, key=name):
        stored = storage.save(name, ContentFile(body, name=name))
    if stored != name:
        raise BackupStorageError(f"the storage stored {name!r} as {stored!r}; backups need their own name")


def delete(storage, name: str) -> None:
    with storage_errors(storage, key=name):
        storage.delete(name)


def size_of(storage, name: str) -> int:
    with storage_errors(storage, key=name):
        return storage.size(name)


def modified_time(storage, name: str):
    with storage_errors(storage, key=name):
        return storage.get_modified_time(name)


def storage_class_of(storage, name: str) -> str:
    """S3's storage class of the object (STANDARD when S3 leaves it out), or "local"."""
    if not is_s3(storage):
        return "local"
    with storage_errors(storage, key=name):
        obj = storage.bucket.Object(storage._normalize_name(name))
        return obj.storage_class or "STANDARD"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
