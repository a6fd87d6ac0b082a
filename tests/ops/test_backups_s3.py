"""Backups on S3 through django-storages, against moto in server mode over real HTTP.

AccessDenied: moto only denies once IAM enforcement is switched on for the whole server (every
test sharing it would then need signed IAM users), so that mapping is tested with the ClientError
botocore raises for it, built by hand.
"""

import io

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.ops.conftest import titles_in
from ytcms_site.backups.config import backup_storage
from ytcms_site.backups.services import backup_create, backups_list
from ytcms_site.backups.store import BackupStorageError
from ytcms_site.backups.store import backup_storage as backups_in_settings

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


@transactional
def test_s3_backup_is_encrypted_infrequent_access_and_round_trips(
    catalogue, s3_backups, s3_client, restore_target
):
    run("backup_db")
    (backup,) = backups_list(with_storage_class=True)

    for key in (f"backups/{backup.key}", f"backups/{backup.key}.manifest.json"):
        head = s3_client.head_object(Bucket=s3_backups, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        assert head["StorageClass"] == "STANDARD_IA"
    assert backup.storage_class == "STANDARD_IA"
    listing = run("list_backups")
    assert backup.key in listing and "STANDARD_IA" in listing and f"s3://{s3_backups}/backups/" in listing

    run("restore_db", backup.key, "--into", restore_target["url"])
    assert "Midnight Song" in titles_in(restore_target["url"])
    assert f"verified {backup.key}" in run("verify_backup")
    verified = s3_client.get_object(Bucket=s3_backups, Key=f"backups/{backup.key}.verified.json")
    assert b'"ok": true' in verified["Body"].read()


@transactional
def test_s3_backup_interrupted_before_the_manifest_is_not_listed(
    catalogue, s3_backups, s3_client, monkeypatch
):
    from ytcms_site.backups import services

    monkeypatch.setattr(
        services.store, "write_json", lambda *a, **k: (_ for _ in ()).throw(OSError("connection reset"))
    )
    with pytest.raises(OSError):
        backup_create()
    assert backups_list() == []
    assert s3_client.list_objects_v2(Bucket=s3_backups).get("KeyCount", 0) == 0


@pytest.fixture
def missing_bucket(settings, s3_client, moto_endpoint):
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": backup_storage(
            var_dir="/nonexistent",
            s3_bucket_name="ytcms-no-such-bucket",
            region_name="us-east-1",
            endpoint_url=moto_endpoint,
            addressing_style="path",
        ),
    }


@pytest.mark.django_db
def test_no_such_bucket_on_backup_says_so_and_exits_non_zero(missing_bucket):
    with pytest.raises(CommandError, match="bucket 'ytcms-no-such-bucket' does not exist") as raised:
        run("backup_db")
    assert raised.value.returncode == 1


@pytest.mark.django_db
def test_no_such_bucket_on_listing_says_so(missing_bucket):
    with pytest.raises(CommandError, match="does not exist"):
        run("list_backups")


@pytest.mark.django_db
def test_no_such_bucket_on_verify_of_a_key_says_so(missing_bucket):
    with pytest.raises(CommandError, match="does not exist"):
        run("verify_backup", "ytcms-20200101T000000Z-sqlite-000000.sqlite3.gz")


@pytest.mark.django_db
def test_no_such_key_names_the_backup(s3_backups):
    with pytest.raises(
        CommandError, match="No backup 'ytcms-20200101T000000Z-sqlite-000000.sqlite3.gz' in s3://"
    ):
        run("verify_backup", "ytcms-20200101T000000Z-sqlite-000000.sqlite3.gz")


def access_denied(operation):
    return ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        operation,
    )


@pytest.mark.django_db
def test_access_denied_on_listing_names_the_permissions_needed(s3_backups, monkeypatch):
    storage = backups_in_settings()

    def denied(name):
        raise access_denied("ListObjects")

    monkeypatch.setattr(storage, "listdir", denied)
    with pytest.raises(CommandError, match="S3 denied access to bucket .*s3:ListBucket"):
        run("list_backups")


@transactional
def test_access_denied_on_upload_is_mapped_even_through_boto3s_upload_error(
    catalogue, s3_backups, monkeypatch
):
    from boto3.exceptions import S3UploadFailedError

    storage = backups_in_settings()

    def denied(name, content, max_length=None):
        raise S3UploadFailedError(
            "Failed to upload x to b/x: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
        )

    monkeypatch.setattr(storage, "save", denied)
    with pytest.raises(BackupStorageError, match="S3 denied access"):
        backup_create()
