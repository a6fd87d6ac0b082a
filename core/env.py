"""Typed readers for environment variables that fail loudly on bad values.

Every setting ytcms reads from the environment goes through one of these, so a typo such as
``DEBUG=ture`` stops the process with the variable's name instead of silently meaning False.
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str | None = None, *, environ=None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool, *, environ=None) -> bool:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}.")


def env_int(name: str, default: int, *, minimum: int | None = None, environ=None) -> int:
    value = env_str(name, environ=environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum of {minimum}.")
    return number


def env_list(name: str, default: list[str] | None = None, *, environ=None) -> list[str]:
    value = env_str(name, environ=environ)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def _without_password(url: str) -> str:
    """Return the URL with its password masked, for error messages that end up in logs."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)).geturl()


def database_from_url(url: str, *, base_dir: Path, conn_max_age: int = 60) -> dict:
    """Turn ``sqlite:///path`` or ``postgres://user:pw@host:port/name?opt=v`` into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = parsed.path[1:] if parsed.path.startswith("//") else parsed.path.lstrip("/")
        if not path:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file.")
        # ":memory:" is SQLite's in-memory database, not a file to put next to the code.
        name = path if path.startswith("/") or path == ":memory:" else str(base_dir / path)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            "OPTIONS": {
                # IMMEDIATE transactions stop "database is locked" errors when the worker and the
                # web process write at the same time; WAL lets readers go on during a write.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    if parsed.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={_without_password(url)!r} names no database.")
        try:
            port = parsed.port
        except ValueError:
            raise ImproperlyConfigured(
                f"DATABASE_URL={_without_password(url)!r} has a port that is not a number."
            ) from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            # Unquoted so a socket directory can be given as postgres://%2Frun%2Fpostgresql/name.
            "HOST": unquote(parsed.hostname or ""),
            "PORT": str(port or ""),
            # The Django equivalent of SQLAlchemy's pool_recycle + pool_pre_ping: keep a
            # connection for a while and check it is alive before reusing it.
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {key: values[-1] for key, values in parse_qs(parsed.query).items()},
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL scheme {parsed.scheme!r} is not supported; use sqlite:/// or postgres://."
    )


def generated_secret(path: Path, *, make: Callable[[], str]) -> str:
    """Return the secret stored in ``path``, creating it with ``make()`` on first use.

    For development only (DEBUG on, no key in the environment): each checkout gets keys of its own
    instead of one published in the repository. The file is written whole under a temporary name
    (0600, O_EXCL) and then hard-linked into place, which fails if another process got there
    first; so processes starting together all read back the same, complete key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as draft_file:
                draft_file.write(make() + "\n")
                draft_file.flush()
                os.fsync(draft_file.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process's key won; everyone uses that one
        finally:
            draft.unlink(missing_ok=True)
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ImproperlyConfigured(f"{path} is empty; delete it to have a new key generated.")
    return value
