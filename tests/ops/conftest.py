"""Fixtures for the operations tests: a backups storage of their own, moto S3 over real HTTP."""

import secrets
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from core.env import database_from_url
from ytcms_site.backups import engines
from ytcms_site.backups.config import backup_storage
from ytcms_site.backups.engines import private_connection


@pytest.fixture
def local_backups(settings, tmp_path):
    """The `backups` storage in a folder of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": backup_storage(var_dir=tmp_path, s3_bucket_name=None),
    }
    return tmp_path / "backups"


@pytest.fixture
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto S3 server on a free loopback port for the whole session (real HTTP, no mocks)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import boto3

    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
def s3_backups(settings, s3_client, moto_endpoint):
    """The `backups` storage on a fresh moto bucket, configured exactly as settings.py does it."""
    bucket = f"ytcms-ops-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": backup_storage(
            var_dir="/nonexistent",
            s3_bucket_name=bucket,
            region_name="us-east-1",
            endpoint_url=moto_endpoint,
            addressing_style="path",
        ),
    }
    return bucket


@pytest.fixture
def restore_target(tmp_path):
    """A database URL to restore into, of the test database's vendor, removed afterwards."""
    if not IS_POSTGRESQL:
        yield {"url": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
        return
    source = connection.settings_dict
    name = f"test_ytcms_ops_restore_{secrets.token_hex(4)}"
    host = source["HOST"] or "127.0.0.1"
    port = source["PORT"] or "5432"
    credentials = source["USER"] + (f":{source['PASSWORD']}" if source["PASSWORD"] else "")
    yield {"url": f"postgres://{credentials}@{host}:{port}/{name}"}
    engines.pg_drop_database(source, name)


def titles_in(url: str) -> set[str]:
    target = database_from_url(url, base_dir=Path(django_settings.VAR_DIR), conn_max_age=0)
    with private_connection(target) as db, db.cursor() as cursor:
        cursor.execute("SELECT title FROM videos_video")
        return {row[0] for row in cursor.fetchall()}


IS_POSTGRESQL = connection.vendor == "postgresql"  # the backend class only; no query

postgresql_only = pytest.mark.skipif(
    not IS_POSTGRESQL,
    reason="needs PostgreSQL (DATABASE_URL=postgres://…); CI runs it in its PostgreSQL + Redis pass",
)
sqlite_only = pytest.mark.skipif(
    IS_POSTGRESQL,
    reason="SQLite only; the suite runs on PostgreSQL here and CI runs this in its embedded-default pass",
)
