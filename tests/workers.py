"""Parallel test runs (pytest-xdist): each worker gets runtime files and a Redis database of its own.

Loaded with `-p tests.workers` (pyproject.toml), so that it runs before pytest-django imports the
settings, which read YTCMS_VAR_DIR and REDIS_URL once. In a worker (PYTEST_XDIST_WORKER=gw<N>):

- YTCMS_VAR_DIR becomes <var>/pytest-gw<N>: the generated development keys, the log file and the
  dashboard's file cache are the worker's own (the autouse fixtures empty that cache per test).
- REDIS_URL's database number becomes <its database> + N: the tests empty the throttle and
  dashboard caches with FLUSHDB, which would wipe another worker's counters and channel layer
  mid-test. Redis has 16 databases by default, so <database> + workers must stay below 16.

The test database needs nothing here: pytest-django suffixes its name with the worker id
(test_ytcms_ci_gw0, ...). Both variables reach subprocesses the tests start through os.environ,
unless a test gives them values of its own. A run without workers changes nothing.
"""

import os
from pathlib import PurePosixPath
from urllib.parse import urlsplit, urlunsplit

import pytest


def worker_number(worker_id: str) -> int:
    """gw3 → 3."""
    return int(worker_id.removeprefix("gw"))


def worker_var_dir(var_dir: str, worker_id: str) -> str:
    return str(PurePosixPath(var_dir) / f"pytest-{worker_id}")


def worker_redis_url(url: str, worker_id: str) -> str:
    """The same server, the database after the run's own by the worker's number."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + worker_number(worker_id)
    if database > 15:
        raise pytest.UsageError(
            f"REDIS_URL={url}: worker {worker_id} would use Redis database {database}, beyond the 16 "
            "a default Redis has; start from a lower database or run fewer workers (-n)."
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    worker_id = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker_id:
        return
    os.environ["YTCMS_VAR_DIR"] = worker_var_dir(os.environ.get("YTCMS_VAR_DIR", "var"), worker_id)
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], worker_id)
