"""The one module that talks to S3 directly: list report files, describe one, stream one.

It is also the S3 door of the backups (ytcms_site/backups/store.py), which store their files
through django-storages: they ask here what an S3 error was (s3_failure), whether a bucket is
missing and an object's storage class, so no other module imports boto3 or botocore. It imports
nothing of the project but settings: it belongs with the ground helpers (a leaf module).

A key is only ever an S3 key: it is validated (no '.'/'..' segments, no leading '/', no control
characters) and handed to boto3 as the Key parameter, never joined to a local path. Reading
streams the object with ranged GETs; seeking (zip archives read their directory at the end)
opens a new range, so nothing is downloaded to disk or held in memory.

boto3 errors become S3Error with a sentence for the user (error_message).
"""

import io
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError
from django.conf import settings

REPORT_SUFFIXES = (".csv", ".csv.gz", ".gz", ".zip")
LIST_LIMIT = 1000
KEY_MAX_BYTES = 1024  # S3 object key limit


class S3Error(Exception):
    """An S3 problem, worded for the user."""


@dataclass(frozen=True)
class S3ReportFile:
    bucket: str
    key: str
    size: int
    modified: datetime | None
    etag: str

    @property
    def name(self) -> str:
        return posixpath.basename(self.key)


def client():
    return boto3.client(
        "s3",
        region_name=settings.AWS_REGION,
        endpoint_url=settings.AWS_S3_ENDPOINT_URL,
        config=Config(
            s3={"addressing_style": settings.AWS_S3_ADDRESSING_STYLE},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
        ),
    )


def check_key(key: str) -> str:
    """Return the key if it is a plain S3 key; raise S3Error for traversal-shaped or odd keys."""
    if not key or not key.strip():
        raise S3Error("The S3 key is empty.")
    if len(key.encode("utf-8", "surrogatepass")) > KEY_MAX_BYTES:
        raise S3Error(f"The S3 key is longer than {KEY_MAX_BYTES} bytes.")
    if key.startswith("/") or "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise S3Error(
            f"The S3 key {key[:200]!r} is not a plain key (leading '/', backslash or control character)."
        )
    if any(part in (".", "..") for part in key.split("/")):
        raise S3Error(f"The S3 key {key[:200]!r} has '.' or '..' segments; such keys are refused.")
    return key


def check_bucket(bucket: str) -> str:
    if not bucket or not (3 <= len(bucket) <= 63) or "/" in bucket:
        raise S3Error(f"{bucket!r} is not an S3 bucket name.")
    return bucket


def parse_url(url: str) -> tuple[str, str]:
    """'s3://bucket/key' -> (bucket, key), both checked."""
    if not url.startswith("s3://"):
        raise S3Error(f"{url!r} is not an s3://bucket/key URL.")
    bucket, _, key = url[len("s3://") :].partition("/")
    return check_bucket(bucket), check_key(key)


def error_message(exc: Exception, *, bucket: str, key: str | None = None) -> str:
    """A sentence for the user for a boto3/botocore error."""
    where = f"s3://{bucket}/{key}" if key else f"the S3 bucket {bucket!r}"
    if isinstance(exc, NoCredentialsError):
        return f"No AWS credentials are configured, so {where} cannot be read (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or an instance role)."
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket":
            return f"The S3 bucket {bucket!r} does not exist (check S3_BUCKET_NAME and the region)."
        if code in ("NoSuchKey", "404", "NotFound") or (status == 404 and key):
            return f"There is no file s3://{bucket}/{key} (it may have been moved or deleted)."
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
            return f"The AWS credentials were refused ({code}); {where} cannot be read."
        if code in ("AccessDenied", "403", "Forbidden", "AllAccessDisabled") or status == 403:
            return f"Access to {where} was denied: the AWS credentials ytcms uses lack permission (s3:ListBucket / s3:GetObject)."
        if code in ("PreconditionFailed", "412") or status == 412:
            return f"s3://{bucket}/{key} changed since it was chosen for import; import it again."
        if code == "InvalidRange":
            return f"s3://{bucket}/{key} changed while it was being read; import it again."
        message = error.get("Message") or str(exc)
        return f"S3 refused the request for {where}: {code or status} {message}".strip()
    if isinstance(exc, BotoCoreError):
        return f"S3 could not be reached for {where}: {exc}"
    return f"S3 error for {where}: {exc}"


def _no_such_bucket() -> ClientError:
    return ClientError(
        {"Error": {"Code": "NoSuchBucket"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, "HeadBucket"
    )


def list_report_files(
    *, bucket: str, prefix: str, limit: int = LIST_LIMIT
) -> tuple[list[S3ReportFile], bool]:
    """Report-looking files under the prefix (first `limit`), and whether there were more."""
    check_bucket(bucket)
    found: list[S3ReportFile] = []
    try:
        pages = client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix or "")
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.endswith("/") or not key.lower().endswith(REPORT_SUFFIXES):
                    continue
                try:
                    check_key(key)
                except S3Error:
                    continue  # a traversal-shaped key is never offered for import
                if len(found) >= limit:
                    return found, True
                found.append(
                    S3ReportFile(
                        bucket=bucket,
                        key=key,
                        size=item.get("Size", 0),
                        modified=item.get("LastModified"),
                        etag=str(item.get("ETag", "")).strip('"'),
                    )
                )
    except (ClientError, BotoCoreError) as exc:
        raise S3Error(error_message(exc, bucket=bucket)) from exc
    return found, False


def describe(*, bucket: str, key: str) -> S3ReportFile:
    check_bucket(bucket)
    check_key(key)
    s3_client = client()
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
    except (ClientError, BotoCoreError) as exc:
        # A HEAD answers a bare 404 for a missing bucket and for a missing key alike.
        if (
            isinstance(exc, ClientError)
            and exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404
        ):
            try:
                s3_client.head_bucket(Bucket=bucket)
            except ClientError as bucket_error:
                if bucket_error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    raise S3Error(error_message(_no_such_bucket(), bucket=bucket)) from exc
            except BotoCoreError:
                pass
        raise S3Error(error_message(exc, bucket=bucket, key=key)) from exc
    return S3ReportFile(
        bucket=bucket,
        key=key,
        size=head.get("ContentLength", 0),
        modified=head.get("LastModified"),
        etag=str(head.get("ETag", "")).strip('"'),
    )


class S3ObjectReader(io.RawIOBase):
    """A seekable, read-only stream of one S3 object, fetched with ranged GETs as it is read."""

    def __init__(self, *, bucket: str, key: str, size: int | None = None, etag: str = ""):
        self.bucket = check_bucket(bucket)
        self.key = check_key(key)
        self._client = client()
        if size is None:
            described = describe(bucket=bucket, key=key)
            size, etag = described.size, described.etag
        self.size = size
        self.etag = etag
        self._position = 0
        self._body = None

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._position

    def seek(self, offset, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        else:
            position = self.size + offset
        if position < 0:
            raise ValueError("negative seek position")
        if position != self._position:
            self._close_body()
            self._position = position
        return self._position

    def _open_body(self):
        arguments = {"Bucket": self.bucket, "Key": self.key, "Range": f"bytes={self._position}-"}
        if self.etag:
            arguments["IfMatch"] = f'"{self.etag}"'  # the file must not change under our feet
        try:
            self._body = self._client.get_object(**arguments)["Body"]
        except (ClientError, BotoCoreError) as exc:
            raise S3Error(error_message(exc, bucket=self.bucket, key=self.key)) from exc

    def _close_body(self):
        if self._body is not None:
            try:
                self._body.close()
            finally:
                self._body = None

    def readinto(self, buffer):
        if self._position >= self.size or len(buffer) == 0:
            return 0
        if self._body is None:
            self._open_body()
        try:
            data = self._body.read(len(buffer))
        except (ClientError, BotoCoreError) as exc:
            raise S3Error(error_message(exc, bucket=self.bucket, key=self.key)) from exc
        n = len(data)
        buffer[:n] = data
        self._position += n
        return n

    def close(self):
        self._close_body()
        super().close()


# ---- For callers that reach S3 through django-storages (the backups): its errors, told plainly.

_ERROR_CODE_IN_MESSAGE = re.compile(r"\((\w+)\) when calling")


@dataclass(frozen=True)
class S3Failure:
    """What went wrong in an S3 call, without boto3's classes; the caller words it for its reader."""

    kind: str  # "refused" (S3 answered with an error code), "no_credentials", "unreachable", "other"
    code: str = ""  # S3's error code when it refused: NoSuchBucket, AccessDenied, NoSuchKey, …
    text: str = ""
    endpoint: str = ""  # "unreachable": the endpoint URL that could not be reached
    error_type: str = ""  # the boto3/botocore exception's class name, for messages without a code


def s3_failure(error: BaseException) -> S3Failure | None:
    """The S3 failure behind `error`, or None when it is not a boto3/botocore error."""
    error_type = type(error).__name__
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, text = str(details.get("Code", "")), str(details.get("Message", ""))
        return S3Failure("refused", code=code, text=text, error_type=error_type)
    if isinstance(error, S3UploadFailedError):
        # boto3's upload wraps the ClientError into S3UploadFailedError, keeping only its text.
        match = _ERROR_CODE_IN_MESSAGE.search(str(error))
        code = match.group(1) if match else ""
        return S3Failure("refused", code=code, text=str(error), error_type=error_type)
    if isinstance(error, NoCredentialsError):
        return S3Failure("no_credentials", text=str(error), error_type=error_type)
    if isinstance(error, EndpointConnectionError):
        endpoint = error.kwargs.get("endpoint_url", "?")
        return S3Failure("unreachable", text=str(error), endpoint=endpoint, error_type=error_type)
    if isinstance(error, BotoCoreError):
        return S3Failure("other", text=str(error), error_type=error_type)
    return None


def bucket_missing(*, client, bucket: str) -> bool:
    """After a 404 on an object: is it the bucket that is missing? (HEAD answers a bare 404.)"""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as error:
        return error.response.get("Error", {}).get("Code") in {"404", "NoSuchBucket", "NotFound"}
    except Exception:
        return False
    return False


def object_storage_class(*, bucket, key: str) -> str:
    """S3's storage class of an object of a boto3 Bucket resource (STANDARD when S3 leaves it out)."""
    return bucket.Object(key).storage_class or "STANDARD"
