"""backup_db → list_backups → restore_db → verify_backup on the test database, in local storage.

The test database is the one pytest-django created (connection.settings_dict), so the dump holds the
rows these tests commit: they run in transactional tests, since pg_dump only sees committed data.
"""

import datetime
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.ops.conftest import IS_POSTGRESQL, postgresql_only, sqlite_only, titles_in
from videos.models import Video
from ytcms_site import __version__
from ytcms_site.backups import engines, services, store
from ytcms_site.backups.services import backup_create, backups_list, live_database_alias

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def round_trip(catalogue, local_backups, restore_target):
    output = run("backup_db")
    assert "backup ytcms-" in output
    (backup,) = backups_list()
    manifest = backup.manifest

    # The manifest describes the dump: version, vendor, migrations, rows, checksum of the stored file.
    assert manifest["ytcms_version"] == __version__
    assert manifest["database_vendor"] == connection.vendor
    assert manifest["migrations"]["videos"].startswith("0")
    assert manifest["row_counts"]["videos_video"] == Video.objects.count() == 4
    stored = (local_backups / backup.key).read_bytes()
    assert manifest["sha256"] == hashlib.sha256(stored).hexdigest()
    assert manifest["size"] == len(stored)

    listing = run("list_backups")
    assert backup.key in listing and "never" in listing

    output = run("restore_db", backup.key, "--into", restore_target["url"])
    assert "restored" in output and "match the manifest" in output
    assert {"Midnight Song", "Live at Dawn", "Studio Clip", "Secret Midnight Demo"} <= titles_in(
        restore_target["url"]
    )

    output = run("verify_backup", backup.key)
    assert f"verified {backup.key}" in output
    record = json.loads((local_backups / f"{backup.key}.verified.json").read_text())
    assert record["ok"] is True
    assert [check["name"] for check in record["checks"]] == [
        "checksum",
        "restore",
        "migrations",
        "row counts",
    ]
    assert manifest["sha256"][:16] in record["checks"][0]["detail"]
    assert "ok " in run("list_backups")
    return backup


@sqlite_only
@transactional
def test_sqlite_backup_restores_and_verifies_with_equal_checksums(catalogue, local_backups, restore_target):
    backup = round_trip(catalogue, local_backups, restore_target)
    assert backup.key.endswith(".sqlite3.gz")


@postgresql_only
@transactional
def test_postgresql_backup_restores_and_verifies_with_equal_checksums(
    catalogue, local_backups, restore_target
):
    backup = round_trip(catalogue, local_backups, restore_target)
    assert backup.key.endswith(".pgdump")
    assert backup.manifest["dump_tool"].startswith("pg_dump")
    with connection.cursor() as cursor:  # verify dropped its scratch database
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'ytcms_verify_%%'")
        assert cursor.fetchone()[0] == 0


@transactional
def test_verify_catches_a_corrupted_dump_and_restore_refuses_it(catalogue, local_backups, restore_target):
    backup = backup_create()
    dump = local_backups / backup.key
    data = bytearray(dump.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(byte ^ 0xFF for byte in data[middle : middle + 64])
    dump.write_bytes(bytes(data))

    with pytest.raises(CommandError, match="FAILED"):
        run("verify_backup")
    record = json.loads((local_backups / f"{backup.key}.verified.json").read_text())
    assert record["ok"] is False
    checksum = record["checks"][0]
    assert checksum["name"] == "checksum" and checksum["ok"] is False
    assert "FAILED" in run("list_backups")
    with pytest.raises(CommandError, match="damaged; refusing to restore"):
        run("restore_db", backup.key, "--into", restore_target["url"])


@transactional
def test_backup_interrupted_before_its_manifest_is_not_listed_and_leaves_no_dump(
    catalogue, local_backups, monkeypatch
):
    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed while writing the manifest")

    monkeypatch.setattr(services.store, "write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        backup_create()
    assert backups_list() == []
    assert list(local_backups.iterdir()) == []


@pytest.mark.django_db
def test_dump_left_without_manifest_is_not_a_backup(local_backups):
    # What a process killed between the upload and the manifest leaves behind.
    local_backups.mkdir(parents=True)
    key = "ytcms-20260101T031500Z-sqlite-abcdef.sqlite3.gz"
    (local_backups / key).write_bytes(b"half a dump")
    assert backups_list() == []
    assert "no backups" in run("list_backups")
    with pytest.raises(CommandError, match="not a complete backup"):
        run("verify_backup", key)


@pytest.mark.django_db
def test_verify_without_backups_says_there_are_none(local_backups):
    with pytest.raises(CommandError, match="no backups"):
        run("verify_backup")


@pytest.mark.django_db
def test_restore_of_an_unknown_key_names_it(local_backups, tmp_path):
    with pytest.raises(CommandError, match="No backup 'ytcms-20200101T000000Z-sqlite-000000.sqlite3.gz'"):
        run(
            "restore_db",
            "ytcms-20200101T000000Z-sqlite-000000.sqlite3.gz",
            "--into",
            f"sqlite:///{tmp_path / 'x.sqlite3'}",
        )


# ---- restoring over the live database


@pytest.fixture
def live_target(monkeypatch):
    """Make restore_db take its target for the live database, and record restores instead of running them."""
    from ytcms_site.management.commands import restore_db

    restored = []
    monkeypatch.setattr(restore_db, "live_database_alias", lambda target: "default")
    monkeypatch.setattr(
        restore_db,
        "backup_restore",
        lambda **kwargs: (
            restored.append(kwargs)
            or services.Restore(kwargs["key"], kwargs["target"]["NAME"], True, "all rows match", [])
        ),
    )
    return restored


LIVE_URL = "postgres://ytcms@db.example:5432/ytcms_live"


def test_restore_over_the_live_database_needs_force_live(live_target):
    with pytest.raises(CommandError, match="--force-live"):
        run("restore_db", "ytcms-x.pgdump", "--into", LIVE_URL, stdin=io.StringIO("ytcms_live\n"))
    assert live_target == []


def test_restore_over_the_live_database_without_input_is_refused(live_target):
    with pytest.raises(CommandError, match="without a typed confirmation"):
        run("restore_db", "ytcms-x.pgdump", "--into", LIVE_URL, "--force-live", "--no-input")
    assert live_target == []


def test_restore_over_the_live_database_refuses_a_wrong_name(live_target):
    with pytest.raises(CommandError, match="does not match"):
        run("restore_db", "ytcms-x.pgdump", "--into", LIVE_URL, "--force-live", stdin=io.StringIO("ytcms\n"))
    assert live_target == []


def test_restore_over_the_live_database_refuses_end_of_input(live_target):
    with pytest.raises(CommandError, match="does not match"):
        run("restore_db", "ytcms-x.pgdump", "--into", LIVE_URL, "--force-live", stdin=io.StringIO(""))
    assert live_target == []


def test_restore_over_the_live_database_goes_on_with_the_typed_name(live_target):
    output = run(
        "restore_db", "ytcms-x.pgdump", "--into", LIVE_URL, "--force-live", stdin=io.StringIO("ytcms_live\n")
    )
    assert "restored ytcms-x.pgdump" in output
    assert [restore["target"]["NAME"] for restore in live_target] == ["ytcms_live"]


@pytest.mark.django_db
def test_the_test_database_counts_as_live_and_another_does_not(tmp_path):
    live = dict(connection.settings_dict)
    assert live_database_alias(live) == "default"
    if IS_POSTGRESQL:
        other = {**live, "NAME": "some_other_database"}
        same_elsewhere = {**live, "HOST": "db.elsewhere.example"}
        assert live_database_alias(same_elsewhere) is None
    else:
        other = {**live, "NAME": str(tmp_path / "other.sqlite3")}
    assert live_database_alias(other) is None


def test_a_url_with_a_password_is_never_echoed(live_target):
    with pytest.raises(CommandError) as raised:
        run("restore_db", "k", "--into", "postgres://ytcms:hunter2-secret@db.example/ytcms_live")
    assert "hunter2-secret" not in str(raised.value)


# ---- PostgreSQL client and server versions


def test_older_pg_dump_than_the_server_is_refused_with_the_fix():
    with pytest.raises(store.BackupError, match="postgresql-client-16"):
        engines.pg_version_note(
            client_major=15, client_text="pg_dump 15.2", server_major=16, server_text="16.1"
        )


def test_newer_pg_dump_than_the_server_is_noted():
    note = engines.pg_version_note(
        client_major=16, client_text="pg_dump 16.1", server_major=15, server_text="15.20"
    )
    assert "newer than the PostgreSQL 15.20 server" in note


def test_same_major_versions_are_said_to_match():
    note = engines.pg_version_note(
        client_major=15, client_text="pg_dump 15.20", server_major=15, server_text="15.4"
    )
    assert "matches" in note


@postgresql_only
@pytest.mark.django_db
def test_the_installed_pg_dump_is_compared_with_the_server():
    client_major, _ = engines.pg_tool_version("pg_dump")
    assert client_major >= connection.pg_version // 10000


# ---- the daily run


@transactional
def test_ops_daily_backs_up_verifies_and_rotates(catalogue, local_backups, settings):
    settings.BACKUP_KEEP_DAILY = 1
    old = backup_create()
    output = run("ops_daily")
    (newest,) = backups_list()  # one day kept: today's newest only
    assert newest.key != old.key
    assert newest.verification["ok"] is True
    assert f"ops_daily: {newest.key} verified" in output


@pytest.mark.django_db
def test_ops_daily_fails_and_keeps_everything_when_the_new_backup_does_not_verify(
    local_backups, settings, monkeypatch
):
    from tests.ops.test_rotation import write_backup
    from ytcms_site.management.commands import ops_daily

    settings.BACKUP_KEEP_DAILY = 1
    yesterday = write_backup(local_backups, datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1))
    today = write_backup(local_backups, datetime.datetime.now(datetime.UTC))

    def broken(*, key, progress):
        verification = services.Verification(key=key)
        verification.add("restore", False, "pg_restore failed")
        return verification

    monkeypatch.setattr(ops_daily, "backup_create", lambda progress: services.backup_get(key=today))
    monkeypatch.setattr(ops_daily, "backup_verify", broken)
    with pytest.raises(CommandError, match="did NOT verify; rotation skipped"):
        run("ops_daily")
    assert {backup.key for backup in backups_list()} == {yesterday, today}
