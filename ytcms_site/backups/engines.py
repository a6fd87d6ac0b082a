"""Dump, restore and inspect a database: pg_dump/pg_restore for PostgreSQL, the online backup API for SQLite.

Every function takes a DATABASES-style settings dict, so the same code serves the live database,
a scratch database for verification and any --into target. Connections are private (their own
ConnectionHandler) and closed before returning.
"""

import contextlib
import copy
import gzip
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import ConnectionHandler

from ytcms_site.backups.store import BackupError

POSTGRESQL, SQLITE = "postgresql", "sqlite"


@dataclass
class DumpFacts:
    """What a dump holds, taken from the same snapshot as the dump itself."""

    row_counts: dict[str, int]
    migrations: dict[str, str]
    server_version: str
    tool_version: str = ""
    notes: list[str] = field(default_factory=list)


def vendor_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("postgresql"):
        return POSTGRESQL
    if engine.endswith("sqlite3"):
        return SQLITE
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def _private_settings(settings_dict: dict, **changes) -> dict:
    private = copy.deepcopy(settings_dict)
    private.update(changes)
    options = private.setdefault("OPTIONS", {})
    # A pool is shared per alias across the process; a private connection must not borrow from it.
    options.pop("pool", None)
    private["CONN_MAX_AGE"] = 0
    return private


@contextlib.contextmanager
def private_connection(settings_dict: dict, **changes):
    """A Django connection of its own to the database settings_dict names (closed on exit)."""
    handler = ConnectionHandler({"default": _private_settings(settings_dict, **changes)})
    connection = handler["default"]
    try:
        yield connection
    finally:
        handler.close_all()


def table_row_counts(connection, cursor) -> dict[str, int]:
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def latest_migrations(connection, cursor) -> dict[str, str]:
    """The last applied migration of each app, from django_migrations (empty before migrate)."""
    if "django_migrations" not in connection.introspection.table_names(cursor):
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    latest = {}
    for app, name in cursor.fetchall():
        latest[app] = name
    return dict(sorted(latest.items()))


def migration_problems(connection) -> list[str]:
    """What stops the code from running on this database: unapplied or unknown migrations."""
    executor = MigrationExecutor(connection)
    problems = []
    try:
        executor.loader.check_consistent_history(connection)
    except Exception as error:  # InconsistentMigrationHistory
        problems.append(f"inconsistent migration history: {error}")
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan[:10])
        more = f" and {len(plan) - 10} more" if len(plan) > 10 else ""
        problems.append(
            f"{len(plan)} migration(s) of this code are not applied in the backup: {names}{more} "
            f"(the backup predates them: after restoring it, run `manage.py migrate`)"
        )
    known = set(executor.loader.disk_migrations)
    unknown = sorted(key for key in executor.loader.applied_migrations if key not in known)
    if unknown:
        problems.append(
            "the backup has migrations this code does not know (it is newer than the code): "
            + ", ".join(f"{app}.{name}" for app, name in unknown[:10])
        )
    return problems


def inspect_database(settings_dict: dict) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Row counts, latest migrations and migration problems of the database settings_dict names."""
    with private_connection(settings_dict) as connection:
        with connection.cursor() as cursor:
            counts = table_row_counts(connection, cursor)
            migrations = latest_migrations(connection, cursor)
        problems = migration_problems(connection)
    return counts, migrations, problems


# ---- PostgreSQL


def pg_tool(name: str) -> str:
    """Path of pg_dump/pg_restore: PG_BIN_DIR when set (e.g. /usr/lib/postgresql/16/bin), else PATH."""
    bin_dir = getattr(settings, "PG_BIN_DIR", None)
    path = str(Path(bin_dir) / name) if bin_dir else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        where = f"in PG_BIN_DIR={bin_dir}" if bin_dir else "on PATH"
        raise BackupError(
            f"{name} is not installed {where}. Install the PostgreSQL client tools of the server's "
            f"major version (Debian: apt-get install postgresql-client-<major>) or set PG_BIN_DIR."
        )
    return path


def pg_tool_version(name: str) -> tuple[int, str]:
    output = subprocess.run([pg_tool(name), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", output)
    if not match:
        raise BackupError(f"Cannot read the version of {name} from {output!r}.")
    return int(match.group(1)), output.strip()


def _server_version(connection) -> tuple[int, str]:
    number = connection.pg_version  # e.g. 150020 for 15.20
    major = number // 10000
    return major, f"{major}.{number % 10000}"


def pg_version_note(*, client_major: int, client_text: str, server_major: int, server_text: str) -> str:
    """Say how pg_dump's version compares with the server's; raise if it cannot dump it."""
    if client_major < server_major:
        raise BackupError(
            f"{client_text} is older than the PostgreSQL {server_text} server and cannot dump it. "
            f"Install postgresql-client-{server_major} and point PG_BIN_DIR at its bin directory."
        )
    if client_major > server_major:
        return (
            f"note: {client_text} is newer than the PostgreSQL {server_text} server; that works, "
            f"but restore the dump with pg_restore {client_major} or newer."
        )
    return f"{client_text} matches the PostgreSQL {server_text} server."


def pg_environment(settings_dict: dict, *, dbname: str | None = None) -> dict:
    """libpq environment for the command-line tools: the password never appears in argv."""
    _, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    # PG* variables already in the environment are kept: libpq reads them for the site's own
    # connections too, so the tools connect the way the site does. The settings take precedence.
    env = dict(os.environ)
    env.update(extra or {})
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    env["PGDATABASE"] = dbname or settings_dict["NAME"]
    env["PGCONNECT_TIMEOUT"] = env.get("PGCONNECT_TIMEOUT", "10")
    return env


def _run_pg_tool(args: list[str], env: dict, what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True)
    if result.returncode != 0:
        # A damaged dump makes pg_restore echo its bytes back: never assume UTF-8 here.
        message = (result.stderr or result.stdout).decode("utf-8", errors="replace").strip()
        raise BackupError(f"{what} failed (exit {result.returncode}): {message[-2000:]}")


def pg_dump(settings_dict: dict, out_path: Path) -> DumpFacts:
    """pg_dump -Fc of the database, with row counts and migrations from the very same snapshot.

    A REPEATABLE READ transaction exports its snapshot and pg_dump --snapshot dumps exactly that,
    so the counts in the manifest describe the dump even while the site keeps writing.
    """
    client_major, client_text = pg_tool_version("pg_dump")
    with private_connection(settings_dict) as connection:
        server_major, server_text = _server_version(connection)
        note = pg_version_note(
            client_major=client_major,
            client_text=client_text,
            server_major=server_major,
            server_text=server_text,
        )
        connection.set_autocommit(False)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
                _run_pg_tool(
                    [
                        pg_tool("pg_dump"),
                        "--format=custom",
                        "--compress=6",
                        "--no-password",
                        f"--snapshot={snapshot}",
                        f"--file={out_path}",
                    ],
                    pg_environment(settings_dict),
                    "pg_dump",
                )
                counts = table_row_counts(connection, cursor)
                migrations = latest_migrations(connection, cursor)
        finally:
            connection.rollback()
            connection.set_autocommit(True)
    return DumpFacts(counts, migrations, server_text, client_text, [note])


def pg_database_exists(settings_dict: dict, name: str) -> bool:
    with private_connection(settings_dict) as connection, connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def pg_create_database(settings_dict: dict, name: str) -> None:
    with private_connection(settings_dict) as connection, connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def pg_drop_database(settings_dict: dict, name: str) -> None:
    with private_connection(settings_dict) as connection, connection._nodb_cursor() as cursor:
        # WITH (FORCE) (PostgreSQL 13+) ends sessions a failed check may have left behind.
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def pg_restore(dump_path: Path, settings_dict: dict, *, replace: bool) -> str:
    """pg_restore into the database settings_dict names, all or nothing (one transaction).

    replace=True drops the dump's objects first (--clean --if-exists), for a target that already
    holds a copy of the schema. Ownership and grants are not restored: the objects belong to the
    user that restores, which is what a restore onto another server needs.
    """
    client_major, client_text = pg_tool_version("pg_restore")
    args = [
        pg_tool("pg_restore"),
        "--no-password",
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={settings_dict['NAME']}",
    ]
    if replace:
        args += ["--clean", "--if-exists"]
    _run_pg_tool([*args, str(dump_path)], pg_environment(settings_dict), "pg_restore")
    return client_text


# ---- SQLite


def sqlite_dump(connection, out_path: Path) -> DumpFacts:
    """Copy the live database with SQLite's online backup API, then gzip the copy to out_path.

    The backup API copies a consistent snapshot while other connections keep reading and writing
    (copying the file could catch a half-written page or miss the WAL). The counts are taken from
    the copy, so they describe exactly what the dump holds.
    """
    if connection.in_atomic_block:
        # The backup would wait forever for the lock this very connection holds.
        raise BackupError("an SQLite database cannot be backed up from inside a transaction on it")
    connection.ensure_connection()
    with tempfile.TemporaryDirectory(prefix="ytcms-backup-") as scratch:
        copy_path = Path(scratch) / "copy.sqlite3"
        destination = sqlite3.connect(copy_path)
        try:
            connection.connection.backup(destination)
        finally:
            destination.close()
        with private_connection({"ENGINE": "django.db.backends.sqlite3", "NAME": str(copy_path)}) as copy_db:
            with copy_db.cursor() as cursor:
                counts = table_row_counts(copy_db, cursor)
                migrations = latest_migrations(copy_db, cursor)
        with open(copy_path, "rb") as source, gzip.open(out_path, "wb", compresslevel=6) as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
    return DumpFacts(
        counts, migrations, sqlite3.sqlite_version, f"sqlite3 {sqlite3.sqlite_version} backup API"
    )


def sqlite_restore(dump_path: Path, target_path: str) -> None:
    """Write the gzipped SQLite dump into target_path through the backup API.

    The backup API replaces the target's pages under SQLite's own locking, so connections other
    processes hold on the target see the old database or the new one, never a mix.
    """
    with tempfile.TemporaryDirectory(prefix="ytcms-restore-") as scratch:
        plain_path = Path(scratch) / "restore.sqlite3"
        try:
            with gzip.open(dump_path, "rb") as source, open(plain_path, "wb") as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
        except (OSError, EOFError, zlib.error) as error:
            raise BackupError(f"the SQLite dump cannot be decompressed: {error}") from error
        source_db = sqlite3.connect(plain_path)
        try:
            try:
                (check,) = source_db.execute("PRAGMA integrity_check").fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"the SQLite dump is not a database: {error}") from error
            if check != "ok":
                raise BackupError(f"the SQLite dump is damaged: integrity_check says {check!r}")
            if target_path != ":memory:" and not target_path.startswith("file:"):
                Path(target_path).parent.mkdir(parents=True, exist_ok=True)
            target_db = sqlite3.connect(target_path, uri=target_path.startswith("file:"), timeout=20)
            try:
                source_db.backup(target_db)
            finally:
                target_db.close()
        finally:
            source_db.close()
