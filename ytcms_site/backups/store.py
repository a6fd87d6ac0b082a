"""Backups in Django storage (the `backups` alias): files, manifests, verification records.

A backup is three objects side by side:

    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump                  the dump, uploaded first
    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump.manifest.json    written last: "complete"
    ytcms-20260101T031500Z-postgresql-1a2b3c.pgdump.verified.json    the last verify_backup result

Only a dump with a manifest is a backup; a dump left by an interrupted run is not listed, and
rotation deletes it once it is a day old.

Storage errors become BackupError subclasses with a message an operator can act on. Storage itself
goes through django-storages; what S3 itself said (the error, a missing bucket, a storage class)
is asked of the one S3 door, reports/s3.py, so boto3 is imported nowhere else.
"""

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from reports import s3

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


def s3_error_message(storage, failure: s3.S3Failure, *, key: str | None = None) -> BackupError:
    """Map an S3 refusal to what the operator should check (the seed's handle_s3_error)."""
    code = failure.code
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
    return BackupStorageError(f"S3 request failed ({code or failure.error_type}): {failure.text}")


def _bucket_missing(storage) -> bool:
    """After a 404 on an object: is it the bucket that is missing? (HEAD answers a bare 404.)"""
    return s3.bucket_missing(client=storage.connection.meta.client, bucket=storage.bucket_name)


@contextlib.contextmanager
def storage_errors(storage, *, key: str | None = None):
    """Turn storage exceptions into BackupError with a message for the operator."""
    try:
        yield
    except BackupError:
        raise
    except FileNotFoundError as error:
        if is_s3(storage) and _bucket_missing(storage):
            raise s3_error_message(storage, s3.S3Failure("refused", code="NoSuchBucket")) from error
        raise BackupNotFound(
            f"No backup {key!r} in {describe(storage)}; `manage.py list_backups` lists them."
        ) from error
    except PermissionError as error:
        raise BackupStorageError(f"No permission to use {describe(storage)}: {error}") from error
    except Exception as error:
        failure = s3.s3_failure(error)
        if failure is None:
            raise
        raise _backup_error(storage, failure, key=key) from error


def _backup_error(storage, failure: s3.S3Failure, *, key: str | None) -> BackupError:
    if failure.kind == "refused":
        return s3_error_message(storage, failure, key=key)
    if failure.kind == "no_credentials":
        return BackupStorageError(
            "No AWS credentials found for the backup bucket: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or give the machine an instance role."
        )
    if failure.kind == "unreachable":
        return BackupStorageError(f"Cannot reach S3 at {failure.endpoint}: {failure.text}")
    return BackupStorageError(f"S3 request failed: {failure.text}")


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
        return s3.object_storage_class(bucket=storage.bucket, key=storage._normalize_name(name))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
