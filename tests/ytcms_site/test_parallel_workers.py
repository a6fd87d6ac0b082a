"""`make test` runs the suite in pytest-xdist workers: nothing one worker writes may be another's.

A small pytest run with two workers, started as bin/test starts pytest, records what each worker's
settings point at: its test database, its runtime files (generated keys, log, dashboard cache) and
its Redis database (the tests FLUSHDB the caches there). Takes two Django start-ups, hence `slow`.
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.workers import worker_redis_url, worker_var_dir

REPO_ROOT = Path(__file__).resolve().parents[2]

PROBE = '''
import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection


@pytest.mark.parametrize("number", range(6))
@pytest.mark.django_db
def test_probe(number):
    """What this worker's settings point at."""
    caches["dashboard"].set("probe", number)
    worker = os.environ["PYTEST_XDIST_WORKER"]
    record = {
        "worker": worker,
        "var_dir": str(settings.VAR_DIR),
        "secret_key": settings.SECRET_KEY,
        "log_file": settings.LOGGING["handlers"].get("file", {}).get("filename"),
        "dashboard_cache": settings.CACHES["dashboard"]["LOCATION"],
        "redis_url": settings.REDIS_URL,
        "layer_hosts": json.dumps(settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("hosts")),
        "database": connection.settings_dict["NAME"],
        "vendor": connection.vendor,
    }
    Path(os.environ["PROBE_OUT"], f"{worker}-{number}.json").write_text(json.dumps(record))
'''


@pytest.mark.slow
def test_two_workers_share_no_database_files_or_redis_database(tmp_path):
    probe = tmp_path / "probe" / "test_probe.py"
    probe.parent.mkdir()
    probe.write_text(PROBE)
    out = tmp_path / "out"
    out.mkdir()
    # A run of its own, not a worker of this one (when this suite itself runs in workers).
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_XDIST")}
    env.update(PROBE_OUT=str(out), YTCMS_VAR_DIR=str(tmp_path / "var"), DEBUG="true")
    # Test databases of its own: with this run's name its workers' would be this run's (<name>_gw0).
    env["TEST_DATABASE_NAME"] = f"test_ytcms_probe_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "load",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(REPO_ROOT),
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
            str(probe),
        ],  # fmt: skip
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(path.read_text()) for path in sorted(out.glob("*.json"))]
    by_worker = {record["worker"]: record for record in records}
    assert sorted(by_worker) == ["gw0", "gw1"], done.stdout
    gw0, gw1 = by_worker["gw0"], by_worker["gw1"]

    assert gw0["var_dir"] == str(tmp_path / "var" / "pytest-gw0")
    assert gw1["var_dir"] == str(tmp_path / "var" / "pytest-gw1")
    for key in ("secret_key", "log_file", "dashboard_cache", "database"):
        if gw0["vendor"] == "sqlite" and key == "database":
            continue  # an in-memory database is the process's own
        assert gw0[key] != gw1[key], key
    assert (tmp_path / "var" / "pytest-gw0" / "dev_secret_key").read_text().strip() == gw0["secret_key"]
    if gw0["vendor"] == "postgresql":
        assert gw0["database"] == env["TEST_DATABASE_NAME"] + "_gw0"
        assert gw1["database"] == env["TEST_DATABASE_NAME"] + "_gw1"
    if os.environ.get("REDIS_URL"):
        assert gw0["redis_url"] == worker_redis_url(os.environ["REDIS_URL"], "gw0")
        assert gw1["redis_url"] == worker_redis_url(os.environ["REDIS_URL"], "gw1")
        assert gw0["redis_url"] != gw1["redis_url"]
        assert gw0["redis_url"] in gw0["layer_hosts"] and gw1["redis_url"] in gw1["layer_hosts"]


def test_worker_redis_database_follows_the_runs_own():
    assert worker_redis_url("redis://127.0.0.1:6379/11", "gw0") == "redis://127.0.0.1:6379/11"
    assert worker_redis_url("redis://127.0.0.1:6379/11", "gw2") == "redis://127.0.0.1:6379/13"
    assert worker_redis_url("redis://:pw@redis:6380", "gw1") == "redis://:pw@redis:6380/1"
    with pytest.raises(pytest.UsageError, match="beyond the 16"):
        worker_redis_url("redis://127.0.0.1:6379/14", "gw2")


def test_worker_var_dir_is_inside_the_runs_own():
    assert worker_var_dir("var", "gw1") == "var/pytest-gw1"
    assert worker_var_dir("/srv/ytcms/var", "gw0") == "/srv/ytcms/var/pytest-gw0"
