"""Backups: create, list, restore, verify, rotate (see the package docstring for the layout)."""

import contextlib
import datetime
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

import ytcms_site
from ytcms_site.backups import engines, store
from ytcms_site.backups.engines import POSTGRESQL, SQLITE, vendor_of
from ytcms_site.backups.store import (
    MANIFEST_SUFFIX,
    VERIFIED_SUFFIX,
    BackupError,
    BackupNotFound,
    backup_storage,
    normalise_key,
)

logger = logging.getLogger("ytcms.backups")

MANIFEST_FORMAT = 1
_EXTENSIONS = {POSTGRESQL: "pgdump", SQLITE: "sqlite3.gz"}
# A dump without a manifest younger than this may still be uploading; older ones are leftovers.
ORPHAN_MIN_AGE = datetime.timedelta(days=1)

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass
class Backup:
    key: str
    manifest: dict
    verification: dict | None = None
    storage_class: str = ""

    @property
    def created_at(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.manifest["created_at"])

    @property
    def size(self) -> int:
        return int(self.manifest["size"])

    @property
    def vendor(self) -> str:
        return self.manifest["database_vendor"]

    @property
    def verified_label(self) -> str:
        if not self.verification:
            return "never"
        outcome = "ok" if self.verification.get("ok") else "FAILED"
        return f"{outcome} {self.verification.get('verified_at', '')[:19]}"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Verification:
    key: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> Check:
        check = Check(name, ok, detail)
        self.checks.append(check)
        return check


def _temporary_directory(prefix: str):
    return tempfile.TemporaryDirectory(prefix=prefix, dir=getattr(settings, "BACKUP_TMP_DIR", None))


def new_key(vendor: str, now: datetime.datetime) -> str:
    return f"ytcms-{now:%Y%m%dT%H%M%SZ}-{vendor}-{secrets.token_hex(3)}.{_EXTENSIONS[vendor]}"


# ---- create


def backup_create(*, database_alias: str = "default", progress: Progress = _quiet) -> Backup:
    """Dump the database, upload the dump, then write its manifest (which makes it a backup)."""
    started = time.monotonic()
    if database_alias not in connections:
        raise BackupError(f"There is no database {database_alias!r} in DATABASES.")
    connection = connections[database_alias]
    settings_dict = connection.settings_dict
    vendor = vendor_of(settings_dict)
    now = timezone.now().astimezone(datetime.UTC)
    key = new_key(vendor, now)
    storage = backup_storage()
    # Fail before the dump, not after an hour of pg_dump, when the bucket is missing or denied.
    store.list_names(storage)
    with _temporary_directory("ytcms-backup-") as scratch:
        dump_path = Path(scratch) / key
        progress(f"dumping {vendor} database {settings_dict['NAME']} …")
        if vendor == POSTGRESQL:
            facts = engines.pg_dump(settings_dict, dump_path)
        else:
            facts = engines.sqlite_dump(connection, dump_path)
        for note in facts.notes:
            progress(note)
        size = dump_path.stat().st_size
        manifest = {
            "format": MANIFEST_FORMAT,
            "key": key,
            "created_at": now.isoformat(),
            "ytcms_version": ytcms_site.__version__,
            "database_vendor": vendor,
            "database_name": settings_dict["NAME"],
            "server_version": facts.server_version,
            "dump_tool": facts.tool_version,
            "compression": "pg_dump custom format (zlib 6)" if vendor == POSTGRESQL else "gzip 6",
            "size": size,
            "sha256": store.sha256_of(dump_path),
            "migrations": facts.migrations,
            "row_counts": facts.row_counts,
        }
        progress(f"uploading {key} ({size:,} bytes) to {store.describe(storage)} …")
        store.upload(storage, key, dump_path)
    try:
        # Last: until the manifest exists, the dump is not listed, restored or verified.
        store.write_json(storage, key + MANIFEST_SUFFIX, manifest)
    except BaseException:
        # Do not leave a dump behind that nothing will ever list (rotation would remove it later).
        with contextlib.suppress(Exception):
            store.delete(storage, key)
        raise
    logger.info(
        "backup %s created: %s, %d bytes, %d tables, %d rows in %.1f s",
        key,
        vendor,
        size,
        len(facts.row_counts),
        sum(facts.row_counts.values()),
        time.monotonic() - started,
    )
    return Backup(key=key, manifest=manifest)


# ---- list


def backups_list(*, with_storage_class: bool = False) -> list[Backup]:
    """Complete backups (those with a manifest), newest first."""
    storage = backup_storage()
    names = set(store.list_names(storage))
    backups = []
    for name in names:
        if not name.endswith(MANIFEST_SUFFIX):
            continue
        key = name.removesuffix(MANIFEST_SUFFIX)
        if key not in names:
            logger.warning("backup manifest %s has no dump beside it; ignored", name)
            continue
        try:
            backup = Backup(key=key, manifest=store.read_json(storage, name, key=key))
            backup.created_at  # noqa: B018 - a manifest without a readable time is not listed
        except (ValueError, KeyError) as error:
            logger.warning("backup manifest %s is unreadable (%s); ignored", name, error)
            continue
        if key + VERIFIED_SUFFIX in names:
            with contextlib.suppress(BackupNotFound):
                backup.verification = store.read_json(storage, key + VERIFIED_SUFFIX, key=key)
        if with_storage_class:
            backup.storage_class = store.storage_class_of(storage, key)
        backups.append(backup)
    backups.sort(key=lambda backup: (backup.created_at, backup.key), reverse=True)
    return backups


def backup_get(*, key: str) -> Backup:
    key = normalise_key(key)
    storage = backup_storage()
    try:
        manifest = store.read_json(storage, key + MANIFEST_SUFFIX, key=key)
    except BackupNotFound:
        if key in store.list_names(storage):
            raise BackupNotFound(
                f"{key} has no manifest: it is not a complete backup (an interrupted run left it)."
            ) from None
        raise
    return Backup(key=key, manifest=manifest)


def backup_latest() -> Backup:
    backups = backups_list()
    if not backups:
        raise BackupNotFound(f"There are no backups in {store.describe(backup_storage())} yet.")
    return backups[0]


def _download_checked(backup: Backup, directory: str, verification: Verification | None = None) -> Path:
    """Download the dump; check size and sha256 against the manifest."""
    storage = backup_storage()
    path = Path(directory) / backup.key
    store.download(storage, backup.key, path)
    actual_size = path.stat().st_size
    actual_sha = store.sha256_of(path)
    ok = actual_sha == backup.manifest["sha256"] and actual_size == backup.size
    detail = (
        f"sha256 {actual_sha[:16]}… and {actual_size:,} bytes match the manifest"
        if ok
        else f"sha256 {actual_sha[:16]}… / {actual_size:,} bytes, the manifest says "
        f"{backup.manifest['sha256'][:16]}… / {backup.size:,} bytes: the dump is damaged"
    )
    if verification is not None:
        verification.add("checksum", ok, detail)
    elif not ok:
        raise BackupError(f"{backup.key}: {detail}; refusing to restore it.")
    return path


def _compare_counts(expected: dict[str, int], actual: dict[str, int]) -> tuple[bool, str]:
    differences = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            differences.append(f"{table} missing")
        elif table not in expected:
            differences.append(f"{table} not in the manifest")
        elif expected[table] != actual[table]:
            differences.append(f"{table} {actual[table]} rows, manifest {expected[table]}")
    if differences:
        shown = "; ".join(differences[:10]) + (
            f"; and {len(differences) - 10} more" if len(differences) > 10 else ""
        )
        return False, shown
    return True, f"{len(expected)} tables, {sum(expected.values()):,} rows match the manifest"


# ---- verify


def _scratch_server_settings(vendor: str) -> dict:
    current = connections["default"].settings_dict
    if vendor == POSTGRESQL and vendor_of(current) != POSTGRESQL:
        raise BackupError(
            "This is a PostgreSQL backup; verify it where DATABASE_URL points at a PostgreSQL server "
            "(the scratch database is created there)."
        )
    return current


def backup_verify(*, key: str | None = None, progress: Progress = _quiet) -> Verification:
    """Restore the backup into a scratch database and check it against its manifest.

    Checks: the dump's sha256 and size, that it restores, that the code's migrations are all
    applied in it (and none unknown), and the row count of every table. The result is stored as
    <key>.verified.json and shown by list_backups.
    """
    started = time.monotonic()
    backup = backup_get(key=key) if key else backup_latest()
    verification = Verification(key=backup.key)
    vendor = backup.vendor
    with _temporary_directory("ytcms-verify-") as scratch:
        progress(f"downloading {backup.key} …")
        dump_path = _download_checked(backup, scratch, verification)
        if vendor == POSTGRESQL:
            server = _scratch_server_settings(vendor)
            scratch_name = f"ytcms_verify_{secrets.token_hex(6)}"
            target = {**server, "NAME": scratch_name}
            progress(f"restoring into scratch database {scratch_name} …")
            engines.pg_create_database(server, scratch_name)
            try:
                _restore_and_inspect(backup, dump_path, target, verification)
            finally:
                engines.pg_drop_database(server, scratch_name)
        else:
            target = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(scratch) / "verify.sqlite3")}
            progress("restoring into a scratch SQLite file …")
            _restore_and_inspect(backup, dump_path, target, verification)
    record = {
        "key": backup.key,
        "ok": verification.ok,
        "verified_at": timezone.now().astimezone(datetime.UTC).isoformat(),
        "ytcms_version": ytcms_site.__version__,
        "checks": [
            {"name": check.name, "ok": check.ok, "detail": check.detail} for check in verification.checks
        ],
    }
    store.write_json(backup_storage(), backup.key + VERIFIED_SUFFIX, record)
    log = logger.info if verification.ok else logger.error
    log(
        "backup %s verification %s in %.1f s: %s",
        backup.key,
        "passed" if verification.ok else "FAILED",
        time.monotonic() - started,
        "; ".join(
            f"{check.name} {'ok' if check.ok else 'FAILED: ' + check.detail}" for check in verification.checks
        ),
    )
    return verification


def _restore_and_inspect(backup: Backup, dump_path: Path, target: dict, verification: Verification) -> None:
    try:
        if backup.vendor == POSTGRESQL:
            engines.pg_restore(dump_path, target, replace=False)
        else:
            engines.sqlite_restore(dump_path, target["NAME"])
    except BackupError as error:
        verification.add("restore", False, str(error))
        return
    verification.add("restore", True, "restored into a scratch database")
    counts, migrations, problems = engines.inspect_database(target)
    if migrations != backup.manifest["migrations"]:
        problems.append("the latest applied migrations differ from the manifest")
    verification.add(
        "migrations",
        not problems,
        "; ".join(problems) if problems else "every migration of this code is applied, none unknown",
    )
    verification.add("row counts", *_compare_counts(backup.manifest["row_counts"], counts))


# ---- restore


def _same_sqlite_file(a: str, b: str) -> bool:
    if a.startswith("file:") or b.startswith("file:") or ":memory:" in (a, b):
        return a == b
    return os.path.realpath(a) == os.path.realpath(b)


_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def live_database_alias(target: dict) -> str | None:
    """The alias of a database this site uses that target points at, if any."""
    for alias in connections:
        live = connections[alias].settings_dict
        if vendor_of(live) != vendor_of(target):
            continue
        if vendor_of(live) == SQLITE:
            if _same_sqlite_file(live["NAME"], target["NAME"]):
                return alias
            continue
        live_host = live.get("HOST") or ""
        target_host = target.get("HOST") or ""
        same_host = live_host == target_host or {live_host, target_host} <= _LOCAL_HOSTS
        same_port = str(live.get("PORT") or "5432") == str(target.get("PORT") or "5432")
        if same_host and same_port and live["NAME"] == target["NAME"]:
            return alias
    return None


@dataclass
class Restore:
    key: str
    target_name: str
    counts_ok: bool
    counts_detail: str
    migration_problems: list[str]


def backup_restore(*, key: str, target: dict, progress: Progress = _quiet) -> Restore:
    """Restore a backup into the database target names (a DATABASES-style dict), all or nothing.

    PostgreSQL: the database is created when missing; objects of the dump already in it are
    replaced in one transaction. SQLite: the file's content is replaced through the backup API.
    The caller decides whether target may be the live database.
    """
    started = time.monotonic()
    backup = backup_get(key=key)
    if vendor_of(target) != backup.vendor:
        raise BackupError(
            f"{backup.key} is a {backup.vendor} backup; it cannot be restored into {vendor_of(target)}."
        )
    with _temporary_directory("ytcms-restore-") as scratch:
        progress(f"downloading {backup.key} …")
        dump_path = _download_checked(backup, scratch)
        progress(f"restoring into {target['NAME']} …")
        if backup.vendor == POSTGRESQL:
            if not engines.pg_database_exists(target, target["NAME"]):
                progress(f"creating database {target['NAME']}")
                engines.pg_create_database(target, target["NAME"])
            engines.pg_restore(dump_path, target, replace=True)
        else:
            engines.sqlite_restore(dump_path, target["NAME"])
    # A connection this process holds to the target would still see the old pages or tables.
    live_alias = live_database_alias(target)
    if live_alias is not None:
        connections[live_alias].close()
    counts, _, problems = engines.inspect_database(target)
    counts_ok, counts_detail = _compare_counts(backup.manifest["row_counts"], counts)
    logger.info(
        "backup %s restored into %s in %.1f s (row counts %s)",
        backup.key,
        target["NAME"],
        time.monotonic() - started,
        "match" if counts_ok else "DIFFER",
    )
    return Restore(backup.key, target["NAME"], counts_ok, counts_detail, problems)


# ---- rotate


def select_backups_to_keep(backups: Iterable[Backup], *, keep_daily: int, keep_monthly: int) -> set[str]:
    """The newest backup of each of the last keep_daily days and keep_monthly months (UTC) that have one.

    Days and months without a backup do not count, so a week of failed backups never pushes the
    last good ones out.
    """
    keep: set[str] = set()
    days: set[datetime.date] = set()
    months: set[tuple[int, int]] = set()
    for backup in sorted(backups, key=lambda backup: (backup.created_at, backup.key), reverse=True):
        created = backup.created_at.astimezone(datetime.UTC)
        day, month = created.date(), (created.year, created.month)
        if day not in days and len(days) < keep_daily:
            days.add(day)
            keep.add(backup.key)
        if month not in months and len(months) < keep_monthly:
            months.add(month)
            keep.add(backup.key)
    return keep


@dataclass
class Rotation:
    kept: list[str]
    deleted: list[str]
    leftovers_deleted: list[str]


def backups_rotate(
    *, keep_daily: int | None = None, keep_monthly: int | None = None, now: datetime.datetime | None = None
) -> Rotation:
    """Delete backups outside the daily/monthly retention, and leftovers of interrupted runs."""
    keep_daily = settings.BACKUP_KEEP_DAILY if keep_daily is None else keep_daily
    keep_monthly = settings.BACKUP_KEEP_MONTHLY if keep_monthly is None else keep_monthly
    now = now or timezone.now()
    storage = backup_storage()
    backups = backups_list()
    keep = select_backups_to_keep(backups, keep_daily=keep_daily, keep_monthly=keep_monthly)
    deleted = []
    for backup in backups:
        if backup.key in keep:
            continue
        # The manifest first: from then on the backup is no longer listed, whatever else fails.
        for name in (backup.key + MANIFEST_SUFFIX, backup.key, backup.key + VERIFIED_SUFFIX):
            store.delete(storage, name)
        deleted.append(backup.key)
    names = set(store.list_names(storage))
    leftovers = []
    for name in sorted(names):
        if name.endswith(MANIFEST_SUFFIX):
            continue
        key = name.removesuffix(VERIFIED_SUFFIX)
        if key + MANIFEST_SUFFIX in names or not key.startswith("ytcms-"):
            continue
        if now - store.modified_time(storage, name) >= ORPHAN_MIN_AGE:
            store.delete(storage, name)
            leftovers.append(name)
    kept = [backup.key for backup in backups if backup.key in keep]
    logger.info(
        "backup rotation: kept %d (daily %d, monthly %d), deleted %d, removed %d leftovers",
        len(kept),
        keep_daily,
        keep_monthly,
        len(deleted),
        len(leftovers),
    )
    return Rotation(kept=kept, deleted=deleted, leftovers_deleted=leftovers)
