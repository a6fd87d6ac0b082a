"""Rotation keeps the newest backup of each of the last N days and M months that have one."""

import datetime
import json
import os

import pytest

from ytcms_site.backups.services import Backup, backups_list, backups_rotate, select_backups_to_keep

UTC = datetime.UTC


def fake(created: datetime.datetime) -> Backup:
    key = f"ytcms-{created:%Y%m%dT%H%M%SZ}-sqlite-000000.sqlite3.gz"
    return Backup(
        key=key, manifest={"created_at": created.isoformat(), "size": 1, "database_vendor": "sqlite"}
    )


def at(year, month, day, hour=3) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=UTC)


def test_daily_backups_for_400_days_keep_7_days_and_12_months():
    today = at(2026, 3, 20)
    backups = [fake(today - datetime.timedelta(days=n)) for n in range(400)]
    keep = select_backups_to_keep(backups, keep_daily=7, keep_monthly=12)
    kept_dates = sorted(datetime.datetime.strptime(key[6:22], "%Y%m%dT%H%M%SZ").date() for key in keep)
    last_week = [datetime.date(2026, 3, day) for day in range(14, 21)]
    # The last backup of each earlier month, back to April 2025 (12 months with March 2026).
    month_ends = [
        datetime.date(2025, 4, 30),
        datetime.date(2025, 5, 31),
        datetime.date(2025, 6, 30),
        datetime.date(2025, 7, 31),
        datetime.date(2025, 8, 31),
        datetime.date(2025, 9, 30),
        datetime.date(2025, 10, 31),
        datetime.date(2025, 11, 30),
        datetime.date(2025, 12, 31),
        datetime.date(2026, 1, 31),
        datetime.date(2026, 2, 28),
    ]
    assert kept_dates == month_ends + last_week


def test_only_the_newest_backup_of_a_day_counts_for_that_day():
    morning, evening = fake(at(2026, 3, 20, 3)), fake(at(2026, 3, 20, 21))
    yesterday = fake(at(2026, 3, 19))
    keep = select_backups_to_keep([morning, evening, yesterday], keep_daily=2, keep_monthly=0)
    assert keep == {evening.key, yesterday.key}


def test_days_without_a_backup_do_not_push_good_ones_out():
    # Ten days of failed backups: the last seven that exist are still kept.
    backups = [fake(at(2026, 3, 1) + datetime.timedelta(days=n)) for n in range(8)]
    keep = select_backups_to_keep(backups, keep_daily=7, keep_monthly=0)
    assert keep == {backup.key for backup in backups[1:]}


def test_keeping_zero_months_keeps_only_the_days():
    backups = [fake(at(2026, 1, 15)), fake(at(2026, 2, 15)), fake(at(2026, 3, 15))]
    assert select_backups_to_keep(backups, keep_daily=1, keep_monthly=0) == {backups[2].key}


# ---- against the storage


def write_backup(folder, created: datetime.datetime) -> str:
    backup = fake(created)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / backup.key).write_bytes(b"dump")
    (folder / f"{backup.key}.manifest.json").write_text(json.dumps(backup.manifest))
    (folder / f"{backup.key}.verified.json").write_text(json.dumps({"ok": True}))
    return backup.key


def age(path, days):
    stamp = (datetime.datetime.now(UTC) - datetime.timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))


@pytest.mark.django_db
def test_rotation_deletes_the_others_with_their_manifests_and_records(local_backups):
    keys = [write_backup(local_backups, at(2026, 3, 20) - datetime.timedelta(days=n)) for n in range(40)]
    rotation = backups_rotate(keep_daily=3, keep_monthly=2)
    remaining = [backup.key for backup in backups_list()]
    # 20, 19, 18 March (daily) and the last of February (monthly; March's is the 20th).
    assert remaining == keys[:3] + [keys[20]]
    assert sorted(rotation.deleted) == sorted(set(keys) - set(remaining))
    files = {path.name for path in local_backups.iterdir()}
    assert files == {
        name for key in remaining for name in (key, f"{key}.manifest.json", f"{key}.verified.json")
    }


@pytest.mark.django_db
def test_rotation_removes_leftovers_of_interrupted_runs_once_a_day_old(local_backups):
    write_backup(local_backups, at(2026, 3, 20))
    old_leftover = local_backups / "ytcms-20260301T031500Z-sqlite-aaaaaa.sqlite3.gz"
    fresh_leftover = local_backups / "ytcms-20260320T031500Z-sqlite-bbbbbb.sqlite3.gz"
    for leftover in (old_leftover, fresh_leftover):
        leftover.write_bytes(b"half a dump")
    age(old_leftover, days=2)
    rotation = backups_rotate(keep_daily=7, keep_monthly=12)
    assert rotation.leftovers_deleted == [old_leftover.name]
    assert fresh_leftover.exists()  # may still be uploading


@pytest.mark.django_db
def test_an_unreadable_manifest_is_not_listed(local_backups):
    key = write_backup(local_backups, at(2026, 3, 20))
    (local_backups / f"{key}.manifest.json").write_text('{"created_at": "2026-03-')
    assert backups_list() == []
